"""accord demo: deterministic, realistic, spread over every state, refuses to run twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.auditing import chain as audit
from app.demos import seed as demo
from app.demos.text import load
from app.errors import AccordError, PermissionDenied
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import (
    AffectedProduct,
    Analyst,
    Assessment,
    AuditEvent,
    Case,
    CaseFact,
    CaseJurisdiction,
    CasePartner,
    CaseSearch,
    CaseStatus,
    Partner,
    Report,
    Reporter,
    Role,
    Vulnerability,
)

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def _filled(count: int = demo.DEFAULT_COUNT) -> Workspace:
    return _filled_at(NOW, count)


def _filled_at(now: datetime, count: int) -> Workspace:
    ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url="sqlite://")
    with ws.session() as s:
        demo.fill(s, ws.require_actor(), now=now, count=count, label="memory")
    return ws


@pytest.fixture(scope="module")
def demo_ws() -> Iterator[Workspace]:
    ws = _filled()
    yield ws
    ws.engine.dispose()


def test_plan_is_deterministic_and_seeded() -> None:
    a = demo.plan(NOW)
    b = demo.plan(NOW)
    assert [(p.text.title, p.final, p.created, p.steps) for p in a] == [
        (p.text.title, p.final, p.created, p.steps) for p in b
    ]
    other = demo.plan(NOW, seed=demo.DEMO_SEED + 1)
    assert [p.text.title for p in other] != [p.text.title for p in a]


def test_two_runs_give_the_same_cases() -> None:
    first, again = _filled(30), _filled(30)
    try:
        # The demo's own 30 (a 31st comes from the partner in a bundle).
        query = (
            select(Case.key, Case.title, Case.status, Case.tier)
            .where(Case.id <= 30)
            .order_by(Case.key)
        )
        with first.session() as s1, again.session() as s2:
            # The replayed history is the same; the showcase that follows it carries freshly
            # generated keys (fingerprints, bundle ids), so it starts with the org key.
            keyed = select(AuditEvent.seq).where(AuditEvent.action == "org.key.generate")
            end1, end2 = s1.scalar(keyed), s2.scalar(keyed)
            assert end1 is not None and end1 == end2
            events = (
                select(AuditEvent.action, AuditEvent.case_key, AuditEvent.details)
                .where(
                    AuditEvent.seq > 2,  # the workspace's own creation is dated now
                    AuditEvent.seq < end1,
                )
                .order_by(AuditEvent.seq)
            )
            rows = s1.execute(query).all()
            assert len(rows) == 30 and rows == s2.execute(query).all()
            assert s1.execute(events).all() == s2.execute(events).all()
    finally:
        first.engine.dispose()
        again.engine.dispose()


def test_the_same_cases_whatever_the_minute() -> None:
    """Built a few minutes apart, the demo holds the same cases, answers and reasons (only
    the dates move with it): screenshots and a demo shown twice do not change by the minute."""
    first, later = _filled(30), _filled_at(NOW + timedelta(minutes=7), 30)
    try:
        cases = select(Case.key, Case.title, Case.status, Case.tier).where(Case.id <= 30)
        scores = select(
            Assessment.case_id, Assessment.cvss_vector, Assessment.ssvc_inputs,
            Assessment.ai_factors, Assessment.tier,
        ).order_by(Assessment.id)  # fmt: skip
        moves = (
            select(AuditEvent.case_key, AuditEvent.details)
            .where(AuditEvent.action == "case.transition")
            .order_by(AuditEvent.seq)
        )
        with first.session() as s1, later.session() as s2:
            for query in (cases.order_by(Case.key), scores, moves):
                assert s1.execute(query).all() == s2.execute(query).all()
    finally:
        first.engine.dispose()
        later.engine.dispose()


def test_at_least_200_cases_in_every_state(demo_ws: Workspace) -> None:
    with demo_ws.session() as s:
        assert s.scalar(select(func.count(Case.id))) >= 200
        states = set(s.scalars(select(Case.status).distinct()))
        assert states == set(CaseStatus)
        keys = list(s.scalars(select(Case.key)))
        assert all(k.startswith("ACC-2026-") for k in keys) and len(set(keys)) == len(keys)


def test_cases_read_like_real_reports(demo_ws: Workspace) -> None:
    with demo_ws.session() as s:
        titles = list(s.scalars(select(Case.title)))
        assert len(set(titles)) > 0.8 * len(titles)
        assert not any("{" in t or "lorem" in t.lower() for t in titles)
        assert s.scalar(select(func.count(Report.id))) == len(titles)
        # The demo's own reports (the partner's case came with its bundle's document).
        own = select(Report).where(Report.filename.like("report-%"))
        bodies = [r.raw.decode() for r in s.scalars(own)]
        assert len(bodies) == demo.DEFAULT_COUNT
        assert all("Impact" in b and "{" not in b and len(b) > 600 for b in bodies)
        assert sum("Steps to reproduce" in b for b in bodies) > len(bodies) // 3
        classes = {v.ai_class for v in s.scalars(select(Vulnerability))}
        assert {"LLM01:2025", "LLM02:2025", "LLM03:2025", "LLM10:2025"} <= classes
        kinds = set(s.scalars(select(AffectedProduct.kind)))
        assert {"model", "system"} <= kinds
        hashes = s.scalars(select(AffectedProduct.hash).where(AffectedProduct.hash.is_not(None)))
        assert all(h.startswith("sha256:") and len(h) == 71 for h in hashes)
        jailbreak = s.scalars(select(Case.title).where(Case.title.contains(" of "))).all()
        assert any("/" in t for t in jailbreak) or jailbreak  # k/n success rates in titles


def test_partners_analysts_reporters(demo_ws: Workspace) -> None:
    with demo_ws.session() as s:
        partners = s.scalars(select(Partner)).all()
        assert len(partners) >= 6
        assert len({p.country for p in partners}) >= 5
        for p in partners:
            ZoneInfo(p.timezone)
        assert len({p.timezone for p in partners}) >= 5
        roles = {a.role for a in s.scalars(select(Analyst))}
        assert roles == {Role.ANALYST, Role.SHIFT_LEAD, Role.COORDINATOR}
        assignees = set(s.scalars(select(Case.assignee_id).where(Case.assignee_id.is_not(None))))
        assert len(assignees) >= 3
        reporters = s.scalars(select(Reporter)).all()
        assert any(r.real_identity is None for r in reporters)  # pseudonymous ones
        assert any(r.consent_to_be_named for r in reporters)
        # partners_label is kept in step with the case's partner links
        for case in s.scalars(select(Case).where(Case.partners_label != "")).all()[:50]:
            names = s.scalars(
                select(Partner.name).join(CasePartner, CasePartner.partner_id == Partner.id)
                .where(CasePartner.case_id == case.id)
            ).all()  # fmt: skip
            assert case.partners_label == ", ".join(sorted(names))


def test_facts_jurisdictions_and_tiers(demo_ws: Workspace) -> None:
    with demo_ws.session() as s:
        facts = set(s.scalars(select(CaseFact.name).distinct()))
        assert {"reported", "vendor-contacted", "fix-available", "published"} <= facts
        codes = set(s.scalars(select(CaseJurisdiction.code).distinct()))
        assert {"EU", "US", "JP"} <= codes
        tiers = set(s.scalars(select(Case.tier).where(Case.tier.is_not(None))))
        assert len(tiers) >= 3
        new_cases = s.scalars(select(Case).where(Case.status == CaseStatus.NEW)).all()
        assert all(c.tier is None for c in new_cases)


def test_audit_history_is_real_and_dated_in_the_past(demo_ws: Workspace) -> None:
    with demo_ws.session() as s:
        result = audit.verify_session(s)
        assert result.events > 1000
        transitions = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.transition")
        ).all()
        assert all(e.details["reason"] for e in transitions)
        assert all(e.at <= NOW for e in transitions)
        assert len({e.actor for e in transitions}) >= 4
        closed = s.scalars(select(Case).where(Case.status == CaseStatus.CLOSED)).first()
        assert closed is not None
        states = [
            e.details["to"]
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.case_key == closed.key, AuditEvent.action == "case.transition")
                .order_by(AuditEvent.seq)
            )
        ]
        assert states[:2] == ["triage", "accepted"] and states[-1] == "closed"


def test_refuses_a_second_run(demo_ws: Workspace) -> None:
    with demo_ws.session() as s, pytest.raises(AccordError, match="already has"):
        demo.fill(s, demo_ws.require_actor(), now=NOW, label="memory")


def test_only_a_coordinator_runs_it(ws: Workspace) -> None:
    from app.identity import analysts
    from app.identity.actor import Actor

    with ws.session() as s:
        info = analysts.add(s, ws.require_actor(), "bob", "analyst")
    with ws.session() as s, pytest.raises(PermissionDenied):
        demo.fill(s, Actor(info.id, "bob", Role.ANALYST), now=NOW, count=12)


def test_cli_creates_marks_and_refuses(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACCORD_PASSPHRASE", ws_mod.DEMO_PASSPHRASE)
    first = cli("demo", "--count", "14", "--json")
    assert first.code == 0, first.err
    data = first.json()
    assert data["cases"] == 14 and data["demo_marker"] is True
    assert ws_mod.is_demo(tmp_path / "ws")
    again = cli("demo", "--count", "14")
    assert again.code == 1 and "already has 15 cases" in again.err  # one a partner sent
    listed = cli("--as", "Mara Lindqvist", "cases", "list", "--json")
    assert listed.code == 0 and len(listed.json()) == 15  # and one a partner sent
    assert cli("--as", "Mara Lindqvist", "audit", "verify").code == 0
    # Each demo analyst unlocks as themselves with the public pattern (README).
    second = load().people["analysts"][1]["name"]
    env = {"ACCORD_PASSPHRASE": demo.analyst_passphrase(second)}
    assert cli("case", "new", "--title", "Demo check", env=env).code == 0
    assert cli("audit", "log", "--json").json()[-1]["actor"] == second
    assert cli("audit", "verify").code == 0


def test_cli_private_passphrase_gets_no_marker(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = initialised_cli("demo", "--count", "12", "--json")
    assert result.code == 0, result.err
    assert result.json()["demo_marker"] is False
    assert not ws_mod.is_demo(tmp_path / "ws")


@pytest.mark.parametrize("descending", [False, True])
def test_queue_orders_the_demo_like_a_plain_sort(demo_ws: Workspace, descending: bool) -> None:
    """The queue's fast id fetch (bench/queue.py) keeps SQL order for every column."""
    from app.casework.cases import TIER_RANK
    from app.queueing import queue
    from app.queueing.queue import SORTABLE, QueueQuery

    with demo_ws.session() as s:
        everything = queue.ids(s, QueueQuery())
        by_id = queue.rows(s, everything)
        keys: dict[str, Callable[[queue.QueueRow], Any]] = {
            "id": lambda r: tuple(int(x) for x in r.key.split("-")[1:]),
            "title": lambda r: r.title,
            "status": lambda r: (r.status, *(int(x) for x in r.key.split("-")[1:])),
            "tier": lambda r: TIER_RANK.get(r.tier or "", 0),
            "assignee": lambda r: r.assignee,
            "next_deadline": lambda r: r.next_deadline_utc,
            "age": lambda r: r.created_at,
            "partners": lambda r: r.partners,
        }
        for column in SORTABLE:  # TLP is shown, not sorted (no index)
            got = queue.ids(s, QueueQuery(sort=column, descending=descending))
            present = [r for r in by_id.values() if keys[column](r) is not None]
            absent = sorted(
                (r.id for r in by_id.values() if keys[column](r) is None), reverse=descending
            )
            present.sort(key=lambda r: (keys[column](r), r.id), reverse=descending)
            assert got == [r.id for r in present] + absent, column
        triage = queue.ids(s, QueueQuery(statuses=("triage",), sort="assignee"))
        assert triage and all(by_id[i].status == "triage" for i in triage)
        found = queue.ids(s, QueueQuery(text="jailbreak"))
        docs = {i: d for i, d in s.execute(select(CaseSearch.case_id, CaseSearch.document))}
        assert set(found) == {i for i, d in docs.items() if "jailbreak" in d.lower()}
        by_key = queue.ids(s, QueueQuery(text=" acc-2026-01 "))
        assert by_key == sorted(
            (i for i, r in by_id.items() if r.key.startswith("ACC-2026-01")),
            key=lambda i: by_id[i].key,
        )
        assert len(by_key) == 100


def test_cli_refuses_a_count_below_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("demo", "--count", "0")
    assert result.code == 2 and "--count" in result.err
    assert not (tmp_path / "ws" / ws_mod.DB_FILE).exists()


# -- the showcase: every capability is present in the demo (issue 15 item 6) ----------------


def test_partners_have_real_certificates_some_verified(demo_ws: Workspace) -> None:
    from app.exchange import keys, partners, pgp

    with demo_ws.session() as s:
        own = keys.current_key(s)
        assert pgp.parse_cert(own.certificate).fingerprint.upper() == own.fingerprint
        listed = {p.name: p for p in partners.list_partners(s)}
    verified = [n for n, p in listed.items() if p.verified]
    keyed_unverified = [n for n, p in listed.items() if p.current_key and not p.verified]
    assert len(verified) >= 2 and keyed_unverified  # the wizard's partner page works
    for name in verified:
        key = listed[name].current_key
        assert key is not None and key.validity == "valid"


def test_bundles_sent_received_and_one_held(demo_ws: Workspace) -> None:
    from app.exchange import holding

    with demo_ws.session() as s:
        rows = holding.list_bundles(s)
        held = holding.list_bundles(s, held_only=True)
        ours = s.scalar(select(func.count(Case.id)).where(Case.key.like("ACC-%")))
    directions = {(b.direction, b.state) for b in rows}
    assert ("out", "done") in directions and ("in", "done") in directions
    assert len(held) == 1 and held[0].direction == "in"
    assert ours and ours > demo.DEFAULT_COUNT  # the partner's own case came in a bundle


def test_casework_parties_notes_ids_affected_hazard(demo_ws: Workspace) -> None:
    from models import Attachment, CaseParty, Identifier, Note, PartyStatus

    with demo_ws.session() as s:
        statuses = set(s.scalars(select(PartyStatus.status)))
        assert {"affected", "notified"} <= statuses
        assert s.scalar(select(func.count()).select_from(CaseParty)) >= 3
        shared = set(s.scalars(select(Note.shared)))
        assert shared == {True, False}
        schemes = set(s.scalars(select(Identifier.scheme)))
        assert {"CVE", "GHSA", "vendor"} <= schemes
        ranges = s.scalars(
            select(AffectedProduct.version_range).where(AffectedProduct.version_range.is_not(None))
        ).all()
        assert any(r.startswith("vers:") for r in ranges)
        hazardous = s.scalars(select(Attachment).where(Attachment.hazardous)).all()
        assert hazardous and hazardous[0].hazard_kind


def test_contact_log_recorded(demo_ws: Workspace) -> None:
    from app.parties import service as parties
    from models import CaseParty

    with demo_ws.session() as s:
        party = s.scalar(select(CaseParty).where(CaseParty.kind == "vendor"))
        assert party is not None
        key = s.scalar(select(Case.key).where(Case.id == party.case_id))
        assert key is not None
        logged = [p for p in parties.list_parties(s, key) if p.log]
    assert logged and any(e.direction == "received" for p in logged for e in p.log)


def test_advisories_in_several_languages_one_stale(demo_ws: Workspace) -> None:
    from app.advisories import review
    from models import Advisory, AdvisoryText

    with demo_ws.session() as s:
        advisories = s.scalars(select(Advisory)).all()
        assert len(advisories) >= 2
        for adv in advisories:
            case = s.get(Case, adv.case_id)
            assert case is not None and case.status in (CaseStatus.DISCLOSED, CaseStatus.CLOSED)
        languages = set(s.scalars(select(AdvisoryText.language)))
        assert {"en", "de", "ja"} <= languages
        stale = [a for a in advisories if review._stale_cells(a)]
        assert len(stale) == 1
        assert {a.status for a in advisories} >= {"approved", "draft"}


def test_playbooks_in_progress_with_partner_steps(demo_ws: Workspace) -> None:
    from app.playbooks import runner
    from models import PlaybookRun

    with demo_ws.session() as s:
        runs = s.scalars(select(PlaybookRun)).all()
        assert len(runs) >= 2
        statuses = [
            runner.status(s, str(s.scalar(select(Case.key).where(Case.id == r.case_id))),
                          r.playbook_id)
            for r in runs
        ]  # fmt: skip
    assert all(st.state == "running" for st in statuses)
    partner_steps = [x for st in statuses for x in st.steps if x.owner.startswith("partner:")]
    assert any(x.state == "pending" for x in partner_steps)  # waiting on a partner
    assert any(x.state == "done" and x.partner_fingerprint for x in partner_steps)  # came back


def test_an_impact_estimate(demo_ws: Workspace) -> None:
    from app import impact
    from models import PlaybookRun

    with demo_ws.session() as s:
        run = s.scalar(select(PlaybookRun).where(PlaybookRun.playbook_id == "impact-estimation"))
        assert run is not None
        key = s.scalar(select(Case.key).where(Case.id == run.case_id))
        assert key is not None
        result = impact.latest(s, key)
    assert result is not None and result["case"] == key
    assert set(result) - {"case", "estimate_id", "created_at"}  # the stored figures


def test_only_a_handful_overdue_and_a_checkpoint(demo_ws: Workspace) -> None:
    from app.demos.showcase import OVERDUE_KEPT
    from app.identity import checkpoints
    from app.queueing.filters import CLOSED

    with demo_ws.session() as s:
        overdue = s.scalar(
            select(func.count(Case.id)).where(
                Case.status.not_in(CLOSED), Case.next_deadline_utc < NOW
            )
        )
        assert overdue is not None and 1 <= overdue <= OVERDUE_KEPT
        met = s.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.met")).all()
        assert met and all(not e.details["late"] for e in met)
        result, checkpoint_count = checkpoints.verify_workspace(s)
    assert result.events > 1000 and checkpoint_count >= 1
