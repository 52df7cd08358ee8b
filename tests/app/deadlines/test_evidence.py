"""Clocks from the evidence (issue 16): facts proposed from real documents, accepted in one
action (bulk for imports) and audited with their source; workflow events record facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.deadlines import evidence
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, CaseFact
from tests.conftest import FIXTURES, shared_data


def test_read_facts_from_a_kev_listed_cve_record() -> None:
    raw = shared_data("cve5", "cisa-vulnrichment-sample", "CVE-2024-38189.json").read_bytes()
    found = {f.name: f for f in evidence.read_facts("cve5", raw)}
    # KEV dateAdded 2024-08-13 is earlier than the SSVC "Exploitation: active" timestamp.
    assert found["exploited-aware"].at == datetime(2024, 8, 13, tzinfo=UTC)
    assert found["exploited-aware"].field == "ADP KEV dateAdded"
    assert "published" in found


def test_read_facts_from_a_cisa_csaf_advisory() -> None:
    raw = shared_data("csaf", "cisa-sample", "icsa-22-032-02.json").read_bytes()
    found = {f.name: f for f in evidence.read_facts("csaf", raw)}
    assert found["published"].at == datetime(2022, 2, 1, tzinfo=UTC)
    # Its notes say no known exploitation: nothing is proposed from prose.
    assert "exploited-aware" not in found
    doc = json.loads(raw)
    doc["vulnerabilities"][0]["threats"] = [
        {"category": "exploit_status", "details": "KEV", "date": "2022-03-01T00:00:00Z"}
    ]
    found = {f.name: f for f in evidence.read_facts("csaf", json.dumps(doc).encode())}
    assert found["exploited-aware"].at == datetime(2022, 3, 1, tzinfo=UTC)


def test_read_facts_from_osv_and_email_date() -> None:
    osv = json.dumps({"id": "X", "published": "2024-05-01T10:00:00Z"}).encode()
    assert evidence.read_facts("osv", osv)[0].at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    mail = b"From: a@example.org\r\nDate: Tue, 01 Apr 2025 09:30:00 +0200\r\n\r\nbody\r\n"
    (f,) = evidence.read_facts("email", mail)
    assert (f.name, f.at) == ("reported", datetime(2025, 4, 1, 7, 30, tzinfo=UTC))


def test_imported_documents_propose_facts_accepted_in_bulk(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    kev = shared_data("cve5", "cisa-vulnrichment-sample", "CVE-2024-38189.json")
    csaf = shared_data("csaf", "cisa-sample", "icsa-22-032-02.json")
    mail = FIXTURES / "intake" / "report-with-attachment.eml"
    r = cli("import", str(kev), str(csaf), str(mail), "--json")
    assert r.code == 0, r.err
    listed = cli("deadline", "proposals", "--json").json()
    assert isinstance(listed, list)
    facts = {(p["fact"], p["at"]) for p in listed}  # type: ignore[index]
    assert ("exploited-aware", "2024-08-13T00:00:00+00:00") in facts
    assert ("published", "2022-02-01T00:00:00+00:00") in facts
    assert any(p["fact"] == "reported" for p in listed)  # type: ignore[index]
    assert all("sha256" in str(p["source"]) for p in listed)  # type: ignore[index]
    r = cli("deadline", "accept", "--all", "--json")
    assert r.code == 0, r.err
    assert {p["state"] for p in r.json()} <= {"accepted", "superseded"}  # type: ignore[union-attr,index]
    assert cli("deadline", "proposals", "--json").json() == []
    kev_case = next(p["case"] for p in listed if p["fact"] == "exploited-aware")  # type: ignore[index]
    rows = cli("deadlines", str(kev_case), "--json").json()
    assert rows is not None
    r = cli("case", "show", str(kev_case), "--json")
    assert r.code == 0


def test_accept_records_the_source_and_is_audited(ws: Workspace) -> None:
    raw = shared_data("cve5", "cisa-vulnrichment-sample", "CVE-2024-38189.json").read_bytes()
    from models import Report

    with ws.session() as s:
        actor = ws.require_actor()
        case = cases.create_case(s, actor, "kev")
        s.add(Report(case_id=case.id, format="cve5", raw=raw, raw_sha256="ab" * 32))
        s.flush()
        items = evidence.proposals(s, case.key)
        exploited = next(p for p in items if p.name == "exploited-aware")
        evidence.decide(s, actor, [exploited.id], True)
        fact = s.scalars(select(CaseFact).where(CaseFact.name == "exploited-aware")).one()
        assert fact.at == datetime(2024, 8, 13, tzinfo=UTC)
        assert fact.source is not None and "KEV" in fact.source and "abababab" in fact.source
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "case.fact.proposal")).one()
        assert ev.details["state"] == "accepted" and ev.details["report"] is not None


def test_workflow_events_record_their_facts(ws: Workspace) -> None:
    with ws.session() as s:
        actor = ws.require_actor()
        key = cases.create_case(s, actor, "flow").key
        cases.transition(s, actor, key, "triage", "look")
        cases.transition(s, actor, key, "accepted", "real")
        names = set(s.scalars(select(CaseFact.name)))
        assert "triaged" in names
        views = {v.rule: v for v in dl.deadlines(s, ws.actor, key)}
        assert views["accord-triage-10bd"].state in ("met", "met-late")
        assert "case moved to accepted" in (views["accord-triage-10bd"].evidence or "")
