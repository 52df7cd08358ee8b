"""A change made from a stale view is refused, naming who changed the record and when."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import advisories
from app import deadlines as dl
from app.casework import cases
from app.errors import ConflictError
from app.playbooks import runner
from app.shift import handover
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, PlaybookStep

STALE = r"was changed by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; reload and try again"


def _case(ws: Workspace, title: str = "Jailbreak in a model gateway") -> str:
    with ws.session() as s:
        return cases.create_case(s, ws.require_actor(), title).key


def test_transition_and_assign_from_a_stale_view_are_refused(ws: Workspace) -> None:
    key = _case(ws)
    alice = ws.require_actor()
    with ws.session() as s:
        seen = cases.detail(s, key).version
    with ws.session() as s:
        cases.transition(s, alice, key, "triage", "first", expected_version=seen)
    with ws.session() as s, pytest.raises(ConflictError, match=f"{key} {STALE}"):
        cases.transition(s, alice, key, "rejected", "second", expected_version=seen)
    with ws.session() as s, pytest.raises(ConflictError, match=STALE):
        cases.assign(s, alice, key, "alice", expected_version=seen)
    with ws.session() as s:
        assert cases.detail(s, key).status == "triage"
        fresh = cases.detail(s, key).version
        assert fresh > seen
        cases.assign(s, alice, key, "alice", expected_version=fresh)


def test_advisory_save_from_a_stale_editor_is_refused(ws: Workspace) -> None:
    key = _case(ws)
    alice = ws.require_actor()
    with ws.session() as s:
        seen = advisories.create(s, alice, key).version
    with ws.session() as s:
        advisories.set_text(s, alice, key, "summary", "en", "First", expected_version=seen)
    with ws.session() as s, pytest.raises(ConflictError, match=f"advisory of {key} {STALE}"):
        advisories.set_text(s, alice, key, "summary", "en", "Second", expected_version=seen)
    with ws.session() as s:
        status = advisories.status(s, key)
        assert (
            advisories.cell_info(advisories.get_advisory(s, key), "summary", "en").text == "First"
        )
        advisories.set_text(
            s, alice, key, "summary", "en", "Third", expected_version=status.version
        )


def test_playbook_step_completion_from_a_stale_view_is_refused(ws: Workspace) -> None:
    key = _case(ws)
    alice = ws.require_actor()
    with ws.session() as s:
        run = runner.start(s, alice, key, "initial-triage")
        step = next(
            st for st in run.steps
            if st.state == "pending" and st.local and st.decision_input is None
        )  # fmt: skip
        outputs = {name: "noted" for name in step.inputs}
    with ws.session() as s:  # someone else changes the step meanwhile
        row = s.scalar(
            select(PlaybookStep).where(
                PlaybookStep.run_id == run.run_id, PlaybookStep.step_id == step.id
            )
        )
        assert row is not None
        row.outputs = {"note": "edited elsewhere"}
    with ws.session() as s, pytest.raises(ConflictError, match=f"step {step.id} of {key}"):
        runner.complete(s, alice, key, step.id, outputs, expected_version=step.version)
    with ws.session() as s:
        fresh = runner.status(s, key).step(step.id)
        assert fresh.state == "pending"
        done = runner.complete(s, alice, key, step.id, outputs, expected_version=fresh.version)
        assert done.step(step.id).state == "done"


def test_handover_edit_from_a_stale_view_is_refused(ws: Workspace) -> None:
    alice = ws.require_actor()
    with ws.session() as s:
        h = handover.new(s, alice)
    with ws.session() as s:
        handover.edit(s, alice, h.id, "First text", expected_version=h.version)
    with ws.session() as s, pytest.raises(ConflictError, match=f"handover {h.id} {STALE}"):
        handover.edit(s, alice, h.id, "Second text", expected_version=h.version)
    with ws.session() as s:
        assert handover.show(s, h.id).body == "First text"


def test_deadline_met_from_a_stale_view_is_refused(ws: Workspace) -> None:
    key = _case(ws)
    alice = ws.require_actor()
    reported = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    rule = "cn-rmsv-7-2-miit-report"
    with ws.session() as s:
        dl.set_roles(s, alice, key, [("manufacturer", "Vendor X")], [])  # the MIIT's holder
        dl.set_jurisdictions(s, alice, key, ["CN"], [])
        dl.set_fact(s, alice, key, "reported", reported)
        view = next(v for v in dl.deadlines(s, alice, key) if v.rule == rule)
    with ws.session() as s:
        dl.mark_met(s, alice, key, rule, "MIIT ref 1", expected_version=view.version)
    with ws.session() as s, pytest.raises(ConflictError, match=f"{rule} of {key} {STALE}"):
        dl.mark_met(s, alice, key, rule, "MIIT ref 2", expected_version=view.version)
    with ws.session() as s:
        met = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "deadline.met", AuditEvent.case_key == key
            )
        ).all()
        assert len(met) == 1
