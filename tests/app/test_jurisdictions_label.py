"""The case row's ``jurisdictions_label`` (what the jurisdiction filter reads, migration 0030)
stays equal to its jurisdiction and deadline codes through every path that changes them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import deadlines as dl
from app.casework import cases, merging
from app.deadlines import service as deadlines
from app.queueing import filters as queue_filters
from app.queueing import queue
from app.workspaces.engines import MIGRATIONS, plain_sqlite_engine
from app.workspaces.lifecycle import Workspace
from models import Case, CaseJurisdiction, Deadline, Report, utcnow
from models.cases import jurisdictions_label


def _stale(s: Session) -> dict[str, tuple[str, str]]:
    """Cases whose label differs from their rows: key -> (label, expected)."""
    codes: dict[int, set[str]] = defaultdict(set)
    for cid, code in s.execute(select(CaseJurisdiction.case_id, CaseJurisdiction.code)):
        codes[cid].add(code)
    for cid, code in s.execute(select(Deadline.case_id, Deadline.jurisdiction)):
        codes[cid].add(code)
    out = {}
    for cid, key, label in s.execute(select(Case.id, Case.key, Case.jurisdictions_label)):
        want = jurisdictions_label(codes[cid])
        if label != want:
            out[key] = (label, want)
    return out


def _keys(ws: Workspace, spec: str) -> set[str]:
    with ws.session() as s:
        return {r.key for r in queue.page(s, queue_filters.parse(spec).query, ws.actor)}


def test_label_follows_every_write_path(any_ws: Workspace) -> None:
    ws = any_ws
    actor = ws.require_actor()
    at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with ws.session() as s:
        # Intake's bulk path (Core inserts, first deadline clocks) and the single-case path.
        opened = cases.open_cases(s, actor, [cases.NewCase("bulk one"), cases.NewCase("two")])
        a, b = (k for _id, k in opened)
        c = cases.create_case(s, actor, "split me", created_at=at).key
        assert _stale(s) == {}
        deadlines.set_jurisdictions(s, actor, a, ["EU", "CN"], [])
        deadlines.set_jurisdictions(s, actor, b, ["US"], [])
        deadlines.set_jurisdictions(s, actor, c, ["JP"], [])
        assert _stale(s) == {}
        label = s.scalar(select(Case.jurisdictions_label).where(Case.key == a))
        assert label is not None and "|CN|" in label and "|EU|" in label
        deadlines.set_jurisdictions(s, actor, a, [], ["CN"])
        # Another party's duty (a manufacturer's CRA report) adds its own deadline rows.
        dl.set_roles(s, actor, b, [("manufacturer", "Vendor X")], [])
        deadlines.set_fact(s, actor, b, "exploited-aware", utcnow() - timedelta(hours=2))
        assert _stale(s) == {}
    assert _keys(ws, "jurisdiction:EU+status:all") >= {a}
    assert a not in _keys(ws, "jurisdiction:CN+status:all")
    assert _keys(ws, "jurisdiction:JP+status:all") == {c}
    with ws.session() as s:
        merging.merge(s, actor, b, a, "same issue")
        assert _stale(s) == {}
    assert {a, b} <= _keys(ws, "jurisdiction:US+status:all")
    with ws.session() as s:
        merging.unmerge(s, actor, b, "not the same after all")
        assert _stale(s) == {}
    assert a not in _keys(ws, "jurisdiction:US+status:all")
    with ws.session() as s:
        case = cases.get_case(s, c)
        reports = [Report(case_id=case.id, title=t, description="") for t in ("r1", "r2")]
        s.add_all(reports)
        s.flush()
        new = merging.split(s, actor, c, reports[1].id, "two issues")
        assert _stale(s) == {}
    assert _keys(ws, "jurisdiction:JP+status:all") == {c, new}
    # A code that is a prefix of another, and LIKE's wildcards, match nothing else.
    assert _keys(ws, "jurisdiction:E+status:all") == set()
    assert _keys(ws, "jurisdiction:%+status:all") == set()


def test_migration_fills_the_label(tmp_path: Path) -> None:
    engine = plain_sqlite_engine(tmp_path / "old.sqlite")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    now = "2026-11-27 10:00:00"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0028")
        for n in (1, 2, 3):
            conn.execute(
                text(
                    'INSERT INTO "case" (id, "key", year, number, title, description, status,'
                    " tier_rank, partners_label, created_at, updated_at) VALUES"
                    " (:n, :k, 2026, :n, 't', '', 'new', 0, '', :t, :t)"
                ),
                {"n": n, "k": f"ACC-2026-000{n}", "t": now},
            )
        conn.execute(
            text(
                "INSERT INTO case_jurisdiction (case_id, code) VALUES (1, 'EU'), (1, 'US'),"
                " (2, 'JP')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO deadline (case_id, rule_id, jurisdiction, obligation, recipient,"
                " state, binding, source, owed_by, row_version) VALUES"
                " (2, 'r', 'EU', '', '', 'pending', 0, '', 'this-cert', 1)"
            )
        )
        command.upgrade(cfg, "0030")
        rows = conn.execute(text('SELECT id, jurisdictions_label FROM "case" ORDER BY id')).all()
        command.downgrade(cfg, "0028")
    assert [tuple(r) for r in rows] == [(1, "|EU|US|"), (2, "|EU|JP|"), (3, "")]
    engine.dispose()


def test_filter_values_stay_values(any_ws: Workspace) -> None:
    """SQLite's saved filters are rendered with their values (app.queueing.queue._sqlite_through):
    quotes and LIKE wildcards in them match themselves, nothing more."""
    ws = any_ws
    actor = ws.require_actor()
    with ws.session() as s:
        key = cases.create_case(s, actor, "one").key
        deadlines.set_jurisdictions(s, actor, key, ["EU"], [])
    for spec in ("partner:x' OR '1'='1", "tier:' OR 1=1 --", "jurisdiction:_U", "jurisdiction:%"):
        assert _keys(ws, spec + "+status:all") == set()
    assert _keys(ws, "jurisdiction:EU+status:all") == {key}
