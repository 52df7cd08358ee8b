"""Idempotence, revisions, cases by identifiers, near-duplicates and merges, cancel and crash."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auditing import chain as audit
from app.errors import AccordError
from app.intake import dedup, import_paths, importer, rows, store
from models import (
    AffectedProduct,
    Attachment,
    Case,
    CaseStatus,
    Identifier,
    Report,
    ReportRevision,
    Vulnerability,
)
from tests.app.intake.helpers import INTAKE, csaf_doc, write_json


def _count(ws, model) -> int:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_same_document_twice_changes_nothing(any_ws, tmp_path):
    path = write_json(tmp_path / "a.json", csaf_doc())
    first = import_paths(any_ws, [path])
    assert (first.imported, first.duplicates) == (1, 0)
    with any_ws.session() as s:
        events = audit.verify_session(s).events
    second = import_paths(any_ws, [path])
    assert (second.imported, second.duplicates, second.updated) == (0, 1, 0)
    assert _count(any_ws, Report) == 1
    assert _count(any_ws, Case) == 1
    with any_ws.session() as s:
        assert audit.verify_session(s).events == events


def test_later_revision_updates_and_keeps_history(any_ws, tmp_path):
    v1 = write_json(tmp_path / "v1.json", csaf_doc(version="1"))
    v2 = write_json(
        tmp_path / "v2.json", csaf_doc(version="2", title="Prompt injection (fixed in 2.2)")
    )
    import_paths(any_ws, [v1])
    result = import_paths(any_ws, [v2])
    assert (result.imported, result.updated) == (0, 1)
    with any_ws.session() as s:
        report = s.scalars(select(Report)).one()
        [old] = s.scalars(select(ReportRevision)).all()
        assert report.revision == "2"
        assert report.title == "Prompt injection (fixed in 2.2)"
        assert old.revision == "1"
        assert old.raw == v1.read_bytes()
        assert s.scalar(select(func.count()).select_from(Vulnerability)) == 1
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    # The old revision arriving late changes nothing.
    late = import_paths(any_ws, [v1])
    assert (late.imported, late.updated, late.duplicates) == (0, 0, 1)


def test_revision_ordering():
    assert store.revision_key("10") > store.revision_key("9")
    assert store.revision_key("1.10.0") > store.revision_key("1.9.3")
    assert store.revision_key("2024-05-01T00:00:00Z") > store.revision_key("2024-04-30T23:59:59Z")


def test_reports_with_the_same_cve_share_a_case(ws, tmp_path):
    a = write_json(tmp_path / "a.json", csaf_doc(tracking_id="ACME-1", cve="CVE-2026-1111"))
    b = write_json(
        tmp_path / "b.json",
        csaf_doc(
            tracking_id="PARTNER-9", cve="CVE-2026-1111", title="Partner view of the same flaw"
        ),
    )
    c = write_json(
        tmp_path / "c.json",
        csaf_doc(
            tracking_id="ACME-2",
            cve="CVE-2026-2222",
            product="Other product 1.0",
            title="Unrelated denial of service",
        ),
    )
    result = import_paths(ws, [a, b, c])
    assert result.imported == 3
    with ws.session() as s:
        case_ids = [r.case_id for r in s.scalars(select(Report).order_by(Report.id))]
    assert case_ids[0] == case_ids[1] != case_ids[2]
    assert len(result.case_keys) == 2


def test_mandatory_test_failure_is_a_warning(ws, tmp_path):
    path = write_json(tmp_path / "wrong.json", csaf_doc(stated=5.0))
    result = import_paths(ws, [path])
    assert result.imported == 1
    [d] = result.score_disagreements
    assert (d.vector, d.stated, d.computed) == (
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        5.0,
        9.8,
    )
    with ws.session() as s:
        warnings = s.scalars(select(Report)).one().warnings
        vuln = s.scalars(select(Vulnerability)).one()
    assert any(w.startswith("CSAF mandatory test 6.1.9 failed") for w in warnings)
    assert any("disagrees with the computed 9.8" in w for w in warnings)
    assert vuln.scores[0]["score"] == 9.8 and vuln.scores[0]["stated"] == 5.0


def _near_pair(ws, tmp_path):  # type: ignore[no-untyped-def]
    a = write_json(tmp_path / "a.json", csaf_doc(tracking_id="ACME-1", cve="CVE-2026-3001"))
    b = write_json(
        tmp_path / "b.json",
        csaf_doc(
            tracking_id="OTHER-7",
            cve="CVE-2026-3002",
            title="Prompt injection in ChatAssist tool calling feature",
            note="Crafted documents make the assistant call its tools with attacker arguments.",
        ),
    )
    import_paths(ws, [a])
    result = import_paths(ws, [b])
    assert result.near_duplicates == 1
    with ws.session() as s:
        [cand] = dedup.list_candidates(s)
    return cand


def test_near_duplicate_offered_and_dismissed(ws, tmp_path):
    cand = _near_pair(ws, tmp_path)
    assert cand.score >= dedup.THRESHOLD
    assert "same product ChatAssist LLM" in cand.reason
    with ws.session() as s:
        info = dedup.dismiss(s, ws.actor, cand.id)
    assert info.state == "dismissed"
    with ws.session() as s:
        assert dedup.list_candidates(s) == []
        assert {c.status for c in s.scalars(select(Case))} == {CaseStatus.NEW}
        with pytest.raises(AccordError):
            dedup.confirm(s, ws.actor, cand.id)


def test_near_duplicate_confirmed(ws, tmp_path):
    cand = _near_pair(ws, tmp_path)
    with ws.session() as s:
        dedup.confirm(s, ws.actor, cand.id)
    with ws.session() as s:
        statuses = {c.key: c.status for c in s.scalars(select(Case))}
    assert statuses[cand.new.case_key] == CaseStatus.DUPLICATE
    assert statuses[cand.existing.case_key] == CaseStatus.NEW


def test_merge_keeps_every_source(ws, tmp_path):
    cand = _near_pair(ws, tmp_path)
    with ws.session() as s:
        info = dedup.merge(s, ws.actor, cand.id)
    assert info.state == "merged"
    with ws.session() as s:
        target = s.scalar(select(Case).where(Case.key == cand.existing.case_key))
        emptied = s.scalar(select(Case).where(Case.key == cand.new.case_key))
        reports = s.scalars(select(Report).where(Report.case_id == target.id)).all()
        assert {r.document_id for r in reports} == {"ACME-1", "OTHER-7"}
        assert all(r.raw and r.source == "manual" for r in reports)
        assert (
            s.scalar(
                select(func.count())
                .select_from(Vulnerability)
                .where(Vulnerability.case_id == emptied.id)
            )
            == 0
        )
        assert emptied.status == CaseStatus.DUPLICATE
        assert audit.verify_session(s).events > 0
    # A later report naming the merged CVE lands in the surviving case.
    c = write_json(tmp_path / "c.json", csaf_doc(tracking_id="THIRD-1", cve="CVE-2026-3002"))
    result = import_paths(ws, [c])
    assert result.case_keys == (cand.existing.case_key,)


def test_cancel_mid_batch_leaves_whole_documents(ws, tmp_path):
    paths = [
        write_json(
            tmp_path / f"d{i}.json", csaf_doc(tracking_id=f"T-{i}", cve=f"CVE-2026-{5000 + i}")
        )
        for i in range(6)
    ]
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, message: str = "") -> None:
        seen.append((done, total, message))

    def cancel() -> bool:
        return len([m for _d, _t, m in seen if m]) >= 3

    result = import_paths(ws, paths, progress, cancel)
    assert result.cancelled
    assert result.imported == 3 and result.done == 3 and result.total == 6
    assert _count(ws, Report) == 3
    assert _count(ws, Case) == 3
    with ws.session() as s:
        for report in s.scalars(select(Report)):
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(Vulnerability)
                    .where(Vulnerability.report_id == report.id)
                )
                == 1
            )
        assert audit.verify_session(s).events > 0
    assert seen[-1][0] == 3


def test_crash_while_storing_one_document_keeps_the_others_whole(ws, tmp_path, monkeypatch):
    paths = [
        write_json(
            tmp_path / f"d{i}.json", csaf_doc(tracking_id=f"T-{i}", cve=f"CVE-2026-{6000 + i}")
        )
        for i in range(3)
    ]
    real = rows.vuln_rows

    def flaky(report_id, case_id, doc, scores):  # type: ignore[no-untyped-def]
        if doc.document_id == "T-1":
            raise RuntimeError("disk on fire")
        return real(report_id, case_id, doc, scores)

    # Fails inside the run of new documents written together: the run is rolled back and
    # its documents stored one by one, so only T-1 is refused.
    monkeypatch.setattr(rows, "vuln_rows", flaky)
    result = import_paths(ws, paths)
    assert result.imported == 2
    [r] = result.rejected
    assert r.path.endswith("d1.json") and "could not be stored: RuntimeError" in r.reason
    with ws.session() as s:
        assert set(s.scalars(select(Report.document_id))) == {"T-0", "T-2"}
        assert s.scalar(select(func.count()).select_from(Case)) == 2
        assert (
            s.scalar(select(func.count()).select_from(Identifier).where(Identifier.value == "T-1"))
            == 0
        )
        assert audit.verify_session(s).events > 0


def test_email_attachment_stays_with_its_case_after_merge(ws):
    import_paths(ws, [INTAKE / "report-with-attachment.eml"])
    with ws.session() as s:
        a = s.scalars(select(Attachment)).one()
        r = s.scalars(select(Report)).one()
    assert a.case_id == r.case_id


def test_parallel_workers_give_the_same_result(ws, tmp_path, monkeypatch):
    paths = [
        write_json(
            tmp_path / f"d{i}.json", csaf_doc(tracking_id=f"P-{i}", cve=f"CVE-2026-{7000 + i}")
        )
        for i in range(4)
    ]
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    result = import_paths(ws, [*paths, bad, INTAKE / "report-with-attachment.eml"], workers=2)
    assert result.imported == 5 and len(result.rejected) == 1
    with ws.session() as s:
        assert sorted(s.scalars(select(AffectedProduct.name).distinct())) == [
            "ChatAssist LLM",
            "SummarAI",
        ]


def test_vendor_ids_of_different_systems_do_not_merge_cases(ws, tmp_path):
    """Two vendors' bug 12345 are two vulnerabilities; the same system's 12345 is one."""

    def with_id(tracking: str, cve: str, system: str) -> dict:  # type: ignore[type-arg]
        doc = csaf_doc(tracking, cve=cve, title=f"Advisory {tracking}")
        doc["vulnerabilities"][0]["ids"] = [{"system_name": system, "text": "12345"}]
        return doc

    paths = [
        write_json(tmp_path / "a.json", with_id("V-1", "CVE-2026-7001", "Acme Bugzilla")),
        write_json(tmp_path / "b.json", with_id("V-2", "CVE-2026-7002", "Globex Jira")),
        write_json(tmp_path / "c.json", with_id("V-3", "CVE-2026-7003", "Acme Bugzilla")),
    ]
    assert import_paths(ws, paths).imported == 3
    with ws.session() as s:
        case_of = dict(
            s.execute(
                select(Report.document_id, Case.key).join(Case, Case.id == Report.case_id)
            ).all()
        )
        values = set(s.scalars(select(Identifier.value)))
    assert case_of["V-1"] == case_of["V-3"] != case_of["V-2"]
    assert {"ACME BUGZILLA:12345", "GLOBEX JIRA:12345"} <= values


def _cve5(cve: str, description: str, updated: str | None = None) -> dict:  # type: ignore[type-arg]
    org = "0f3a9b52-7c1d-4e8a-9a55-3d2b1c0e4f6a"
    meta = {"cveId": cve, "assignerOrgId": org, "state": "PUBLISHED"}
    if updated:
        meta["dateUpdated"] = updated
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": meta,
        "containers": {
            "cna": {
                "providerMetadata": {"orgId": org},
                "affected": [
                    {
                        "vendor": "Acme AI",
                        "product": "ChatAssist",
                        "versions": [{"version": "2.1", "status": "affected"}],
                    }
                ],
                "descriptions": [{"lang": "en", "value": description}],
                "references": [{"url": "https://acme.example/advisories/1"}],
            }
        },
    }


def test_aliases_tie_reports_of_different_formats_to_one_case(ws, tmp_path):
    osv = {
        "id": "PYSEC-2026-42",
        "modified": "2026-02-01T00:00:00Z",
        "summary": "Prompt injection in chatassist tool calls",
        "details": "Injected text makes the agent call tools.",
        "aliases": ["CVE-2026-4242", "GHSA-cfgh-jmpq-rvwx"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "chatassist"}}],
    }
    paths = [
        write_json(tmp_path / "a-osv.json", osv),
        write_json(tmp_path / "b-cve.json", _cve5("CVE-2026-4242", "Tool-call injection.")),
    ]
    note = tmp_path / "c-note.md"
    note.write_text("# Follow-up on GHSA-cfgh-jmpq-rvwx\n\nMore detail.", encoding="utf-8")
    result = import_paths(ws, [*paths, note])
    assert (result.imported, result.rejected) == (3, ())
    assert len(set(result.case_keys)) == 1
    assert _count(ws, Case) == 1


def test_a_later_cve_record_updates_its_report_and_keeps_the_first(ws, tmp_path):
    first = write_json(
        tmp_path / "v1.json", _cve5("CVE-2026-4343", "First text.", "2026-01-01T00:00:00.000Z")
    )
    later = write_json(
        tmp_path / "v2.json", _cve5("CVE-2026-4343", "Updated text.", "2026-03-01T00:00:00.000Z")
    )
    import_paths(ws, [first])
    result = import_paths(ws, [later])
    assert (result.imported, result.updated) == (0, 1)
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
        assert report.description.startswith("Updated text.")
        kept = s.scalars(select(ReportRevision)).one()
        assert b"First text." in kept.raw
