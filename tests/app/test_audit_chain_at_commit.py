"""A team server's audit chain is appended at commit: a long writer (an import batch) no
longer holds the chain's lock, and every other writer with it, until it commits (issue 17).

Events wait in the session until the outermost commit; a rolled-back savepoint takes back
the events recorded in it; a read of the chain in the same transaction sees them chained.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.auditing import chain as audit
from app.casework import cases
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import AuditEvent

pytestmark = pytest.mark.postgres


@pytest.fixture
def team_ws(pg_url: str):  # type: ignore[no-untyped-def]
    w = ws_mod.create(None, None, "CERT-Test", "alice", db_url=pg_url)
    yield w
    w.engine.dispose()


def _actions(w: Workspace) -> list[str]:
    with w.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_a_long_writer_does_not_hold_the_chain_for_others(team_ws: Workspace) -> None:
    """Before: the first event took pg_advisory_xact_lock and kept it to the commit, so a
    transition waited for a whole import batch; with lock_timeout it failed."""
    actor = team_ws.require_actor()
    with team_ws.session() as s:
        key = cases.create_case(s, actor, "Prompt injection in the mail assistant").key
    recorded = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    def long_writer() -> None:
        try:
            with team_ws.session() as s:
                cases.create_case(s, actor, "Imported advisory")  # records its events
                recorded.set()
                release.wait(30)  # the rest of the batch, still uncommitted
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            recorded.set()

    thread = threading.Thread(target=long_writer)
    thread.start()
    try:
        assert recorded.wait(30)
        with team_ws.session() as s:
            # A lock wait that lasts fails at once instead of hanging the test.
            s.connection().exec_driver_sql("SET LOCAL lock_timeout = '1s'")
            cases.transition(s, actor, key, "triage", "a first look")
    finally:
        release.set()
        thread.join(30)
    assert not failure
    # Both are in the chain, in commit order (the transition first), and it verifies.
    with team_ws.session() as s:
        moved = s.scalar(select(AuditEvent.seq).where(AuditEvent.action == "case.transition"))
        created = s.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.action == "case.create", AuditEvent.case_key != key
            )
        )
        assert moved is not None and created is not None and moved < created
        assert audit.verify_session(s).events == len(_actions(team_ws))


def test_rolled_back_savepoint_takes_back_its_events(team_ws: Workspace) -> None:
    actor = team_ws.require_actor()
    before = len(_actions(team_ws))
    with team_ws.session() as s:
        audit.record(s, actor, "bench.kept", "case", 1)
        savepoint = s.begin_nested()
        audit.record(s, actor, "bench.gone", "case", 2)
        inner = s.begin_nested()
        audit.record(s, actor, "bench.gone-too", "case", 3)
        inner.commit()
        savepoint.rollback()
        audit.record(s, actor, "bench.after", "case", 4)
    actions = _actions(team_ws)
    assert actions[before:] == ["bench.kept", "bench.after"]
    with team_ws.session() as s:
        assert audit.verify_session(s).events == len(actions)


def test_a_rolled_back_transaction_leaves_nothing(team_ws: Workspace) -> None:
    actor = team_ws.require_actor()
    before = _actions(team_ws)
    with pytest.raises(RuntimeError), team_ws.session() as s:
        audit.record(s, actor, "bench.void", "case", 1)
        raise RuntimeError("the action failed")
    assert _actions(team_ws) == before


def test_reads_in_the_transaction_see_its_events(team_ws: Workspace) -> None:
    actor = team_ws.require_actor()
    with team_ws.session() as s:
        key = cases.create_case(s, actor, "Model weights exposed").key
        cases.transition(s, actor, key, "triage", "first look")
        # Not committed yet: history and the chain's head include these events.
        assert [e["action"] for e in cases.history(s, key)][:1] == ["case.transition"]
        seq, head = audit.head(s)
        assert s.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq)) == head
        audit.record(s, actor, "bench.counted", "case", 1)
        # Also inside an aggregate (the handover's "since" reads max(seq)).
        assert s.scalar(select(func.max(AuditEvent.seq))) == seq + 1
        details = {"from": "triage", "to": "accepted", "reason": "x"}
        audit.record(s, actor, "bench.mutated", "case", 1, details=details)
        details["to"] = "changed after recording"  # the event keeps what was recorded
    with team_ws.session() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert last.details["to"] == "accepted"
        assert audit.verify_session(s).events == last.seq


def test_concurrent_writers_keep_one_unbroken_chain(team_ws: Workspace) -> None:
    actor = team_ws.require_actor()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with team_ws.session() as s:
                    audit.record(s, actor, "bench.write", "case", n * 100 + i)
                    audit.record(s, actor, "bench.write", "case", n * 100 + i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with team_ws.session() as s:
        result = audit.verify_session(s)
    assert _actions(team_ws).count("bench.write") == 4 * 15 * 2
    assert result.last_seq == result.events
