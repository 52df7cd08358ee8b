"""Case workflow and role permissions, on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases, workflow
from app.errors import AccordError, PermissionDenied
from app.identity import analysts
from app.identity.actor import Actor
from app.workspaces.lifecycle import Workspace
from models import Analyst, AuditEvent, CaseStatus


def _actor(ws: Workspace, name: str) -> Actor:
    with ws.session() as s:
        row = s.scalar(select(Analyst).where(Analyst.name == name))
        assert row is not None
        return Actor(row.id, row.name, row.role)


@pytest.fixture
def team(any_ws: Workspace) -> Workspace:
    with any_ws.session() as s:
        analysts.add(s, any_ws.require_actor(), "bob", "analyst")
        analysts.add(s, any_ws.require_actor(), "carol", "shift-lead")
        cases.create_case(s, any_ws.require_actor(), "Indirect prompt injection via PDF")
    return any_ws


def test_full_happy_path_is_audited(team: Workspace) -> None:
    path = ["triage", "accepted", "coordinating", "remediation", "disclosed", "closed"]
    with team.session() as s:
        for state in path:
            cases.transition(s, team.require_actor(), "ACC-2026-0001", state, f"to {state}")
    with team.session() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "case.transition")
            .order_by(AuditEvent.seq)
        ).all()
        assert [e.details["to"] for e in events] == path
        assert all(e.details["reason"] for e in events)
        audit.verify_session(s)


def test_invalid_transition_lists_allowed(team: Workspace) -> None:
    with team.session() as s, pytest.raises(AccordError) as err:
        cases.transition(s, team.require_actor(), "ACC-2026-0001", "disclosed", "too soon")
    assert "triage, needs-info, duplicate, rejected" in str(err.value)


def test_every_state_has_a_way_forward_or_is_terminal_reopenable() -> None:
    for state in CaseStatus:
        assert workflow.allowed_from(state), state


def test_only_leads_and_coordinators_assign_others(team: Workspace) -> None:
    bob, carol = _actor(team, "bob"), _actor(team, "carol")
    with team.session() as s:
        cases.assign(s, bob, "ACC-2026-0001", "bob")  # anyone may take a case
        with pytest.raises(PermissionDenied):
            cases.assign(s, bob, "ACC-2026-0001", "carol")
        cases.assign(s, carol, "ACC-2026-0001", "bob")
        assert cases.detail(s, "ACC-2026-0001").assignee == "bob"


def test_only_coordinators_manage_analysts(team: Workspace) -> None:
    with team.session() as s, pytest.raises(PermissionDenied):
        analysts.add(s, _actor(team, "carol"), "dave", "analyst")


def test_undo_reverts_outside_the_workflow(team: Workspace) -> None:
    with team.session() as s:
        cases.transition(s, team.require_actor(), "ACC-2026-0001", "rejected", "spam")
        cases.transition(s, team.require_actor(), "ACC-2026-0001", "new", "undo", undo=True)
        assert cases.detail(s, "ACC-2026-0001").status == "new"
