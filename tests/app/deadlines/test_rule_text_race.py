"""Two analysts on a team server storing the same rule text at once: the second one's insert
collides with the first's commit, and its action still succeeds (bench/team.py found this)."""

from __future__ import annotations

import threading

import pytest

from app.deadlines import casedata
from app.workspaces import lifecycle as ws_mod
from models import RuleText


@pytest.mark.postgres
def test_concurrent_writers_store_one_rule_text(pg_url: str) -> None:
    ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url=pg_url)
    first, second = ws._factory(), ws._factory()
    try:
        with first.begin():
            casedata._keep_text(first, "a" * 64, "XX", "rules: []")
            # The second writer inserts the same text while the first has not committed: it
            # waits on the first's row, then collides with it once the first commits.
            failed: list[BaseException] = []

            def other() -> None:
                try:
                    with second.begin():
                        casedata._keep_text(second, "a" * 64, "XX", "rules: []")
                except BaseException as exc:  # reported below
                    failed.append(exc)

            t = threading.Thread(target=other)
            t.start()
            t.join(1.0)  # it is now waiting on the first's row
        t.join(30)
        assert not t.is_alive() and failed == []
        with ws.session() as s:
            assert s.get(RuleText, "a" * 64) is not None
    finally:
        first.close()
        second.close()
        ws.engine.dispose()
