"""Per-transaction caches (audit tail, case numbers, deadline overrides) never outlive their
transaction: another writer between two of ours must not fork the chain or reuse a key."""

from __future__ import annotations

from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases
from app.deadlines import service
from models import Case, Setting


def test_interleaved_writers_keep_one_chain_and_distinct_keys(any_ws):
    actor = any_ws.require_actor()
    first = any_ws._factory()  # a long-lived session, like an import running in the background
    try:
        cases.create_case(first, actor, "Opened by the import")
        first.commit()
        with any_ws.session() as other:  # the analyst does something meanwhile
            cases.create_case(other, actor, "Opened by hand")
        cases.create_case(first, actor, "Opened by the import again")
        first.commit()
    finally:
        first.close()
    with any_ws.session() as s:
        keys = list(s.scalars(select(Case.key).order_by(Case.id)))
        assert len(keys) == len(set(keys)) == 3
        assert audit.verify_session(s).events >= 3


def test_a_rolled_back_savepoint_gives_back_its_case_number(ws):
    actor = ws.require_actor()
    with ws.session() as s:
        kept = cases.create_case(s, actor, "Kept")
        savepoint = s.begin_nested()
        cases.create_case(s, actor, "Rolled back")
        savepoint.rollback()
        after = cases.create_case(s, actor, "After the rollback")
        assert after.number == kept.number + 1
        assert audit.verify_session(s).events > 0


def test_a_configured_offset_applies_in_the_same_transaction(ws):
    with ws.session() as s:
        assert service._overrides(s) == {}
        s.add(Setting(key=service.OVERRIDE_KEY + "x.rule", value=5))
        s.flush()
        assert service._overrides(s) == {}  # cached for the transaction...
    with ws.session() as s:
        assert service._overrides(s) == {"x.rule": 5}  # ...and read again by the next one
