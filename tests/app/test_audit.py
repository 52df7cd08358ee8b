"""The audit chain detects rows edited, deleted or reordered directly in the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from app.auditing import chain as audit
from app.casework import cases
from app.errors import VerificationError
from app.workspaces.lifecycle import Workspace


@pytest.fixture
def chained(any_ws: Workspace) -> Workspace:
    with any_ws.session() as s:
        for i in range(4):
            cases.create_case(s, any_ws.require_actor(), f"case {i}")
        cases.transition(s, any_ws.require_actor(), "ACC-2026-0002", "triage", "ok")
    return any_ws


def _verify(ws: Workspace) -> None:
    with ws.session() as s:
        audit.verify_session(s)


def test_intact_chain_verifies(chained: Workspace) -> None:
    with chained.session() as s:
        assert audit.verify_session(s).events == 7


def test_edited_row_is_named(chained: Workspace) -> None:
    with chained.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 4"))
    with pytest.raises(VerificationError, match="event 4: hash mismatch"):
        _verify(chained)


def test_deleted_row_is_named(chained: Workspace) -> None:
    with chained.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq = 3"))
    with pytest.raises(VerificationError, match="event 4"):
        _verify(chained)


def test_reordered_rows_are_detected(chained: Workspace) -> None:
    with chained.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET seq = 100 WHERE seq = 3"))
        c.execute(text("UPDATE audit_event SET seq = 3 WHERE seq = 5"))
        c.execute(text("UPDATE audit_event SET seq = 5 WHERE seq = 100"))
    with pytest.raises(VerificationError, match="event 3"):
        _verify(chained)


def test_export_verifies_without_workspace(chained: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "chain.jsonl"
    with chained.session() as s:
        assert audit.export_lines(s, out) == 7
    assert audit.verify_file(out).events == 7
    lines = out.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("seq") == 3)
    tampered = json.loads(lines[at])
    tampered["action"] = "case.delete"
    lines[at] = json.dumps(tampered)
    out.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationError, match="event 3"):
        audit.verify_file(out)


def test_events_carry_ids_not_content(chained: Workspace) -> None:
    with chained.session() as s:
        cases.create_case(s, chained.require_actor(), "Secret walrus exploit", "walrus details")
    with chained.session() as s:
        dumped = json.dumps(list(audit.iter_events(s)))
    assert "walrus" not in dumped.lower()
