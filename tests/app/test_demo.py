"""accord demo: deterministic, realistic, spread over every state, refuses to run twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import audit, demo
from app import workspace as ws_mod
from app.demo_text import load
from app.errors import AccordError, PermissionDenied
from app.workspace import Workspace
from models import (
    AffectedProduct,
    Analyst,
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
    ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url="sqlite://")
    with ws.session() as s:
        demo.fill(s, ws.require_actor(), now=NOW, count=count, label="memory")
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
        query = select(Case.key, Case.title, Case.status, Case.tier).order_by(Case.key)
        events = (
            select(AuditEvent.action, AuditEvent.case_key, AuditEvent.details)
            .where(
                AuditEvent.seq > 2  # the workspace's own creation is dated now
            )
            .order_by(AuditEvent.seq)
        )
        with first.session() as s1, again.session() as s2:
            rows = s1.execute(query).all()
            assert len(rows) == 30 and rows == s2.execute(query).all()
            assert s1.execute(events).all() == s2.execute(events).all()
    finally:
        first.engine.dispose()
        again.engine.dispose()


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
        bodies = [r.decode() for r in s.scalars(select(Report.raw))]
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
    from app import analysts
    from app.actor import Actor

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
    assert again.code == 1 and "already has 14 cases" in again.err
    listed = cli("--as", "Mara Lindqvist", "cases", "list", "--json")
    assert listed.code == 0 and len(listed.json()) == 14
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
    from app import queue
    from app.cases import TIER_RANK
    from app.queue import COLUMN_KEYS, QueueQuery

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
        for column in COLUMN_KEYS:
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
