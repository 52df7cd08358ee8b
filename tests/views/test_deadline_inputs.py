"""The Deadlines tab's proposals, duty-holder roles and per-case overrides, driven as a user
would (select, type, click), each checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, CaseFact, CaseRole, DeadlineOverride, FactProposal
from views.deadlines.panel import DeadlinesPanel

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]
REPORTED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def _panel(qtbot, ws: Workspace) -> tuple[DeadlinesPanel, int, str]:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        c = cases.create_case(s, ws.require_actor(), "inputs case")
        dl.set_jurisdictions(s, ws.require_actor(), c.key, ["EU"], [])
        s.add(FactProposal(case_id=c.id, name="reported", at=REPORTED, source="mail Date:"))
        case_id, key = c.id, c.key
    panel = DeadlinesPanel(ws, case_id)
    qtbot.addWidget(panel)
    panel.show()
    return panel, case_id, key


def test_accept_a_proposed_fact(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel, case_id, _key = _panel(qtbot, ws)
    inputs = panel.inputs
    assert not inputs.proposals_box.isHidden() and inputs.proposals.rowCount() == 1
    assert inputs.proposals.item(0, 0).text() == "reported"
    assert inputs.proposals.item(0, 1).text().endswith("UTC")
    qtbot.mouseClick(inputs.accept_button, Qt.MouseButton.LeftButton)
    assert "select a proposal" in inputs.message.text()
    inputs.proposals.selectRow(0)
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(inputs.accept_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        fact = s.scalar(select(CaseFact).where(CaseFact.case_id == case_id))
        assert fact is not None and fact.name == "reported"
        assert fact.at.replace(tzinfo=UTC) == REPORTED
        assert s.scalars(select(FactProposal.state)).one() == "accepted"
    assert inputs.proposals_box.isHidden()  # nothing left to decide


def test_record_and_remove_a_duty_holder(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel, case_id, _key = _panel(qtbot, ws)
    inputs = panel.inputs
    inputs.role.setCurrentIndex(inputs.role.findData("manufacturer"))
    qtbot.keyClicks(inputs.party, "Vendor X")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(inputs.add_role_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        rows = s.execute(select(CaseRole.role, CaseRole.party).where(CaseRole.case_id == case_id))
        assert rows.all() == [("manufacturer", "Vendor X")]
    assert "manufacturer: Vendor X" in inputs.roles_text.text()
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(inputs.remove_role_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert s.scalars(select(CaseRole)).all() == []


def test_override_needs_a_selected_obligation_and_a_reason(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel, case_id, _key = _panel(qtbot, ws)
    inputs = panel.inputs
    qtbot.mouseClick(inputs.override_button, Qt.MouseButton.LeftButton)
    assert "select an obligation" in inputs.message.text()
    rule = panel.views[0].rule
    assert panel.select_rule(rule)
    inputs.computation.setCurrentIndex(inputs.computation.findData("calendar"))
    qtbot.mouseClick(inputs.override_button, Qt.MouseButton.LeftButton)
    assert "reason" in inputs.message.text()  # refused by app/: no reason given
    with ws.session() as s:
        assert s.scalars(select(DeadlineOverride)).all() == []
    qtbot.keyClicks(inputs.override_reason, "agreed with the CSIRT")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(inputs.override_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        row = s.scalars(select(DeadlineOverride)).one()
        assert (row.case_id, row.rule_id, row.computation) == (case_id, rule, "calendar")
        assert row.reason == "agreed with the CSIRT"
        assert (
            s.scalar(select(AuditEvent.id).where(AuditEvent.action == "deadline.override"))
            is not None
        )
    assert rule in inputs.override_text.text() and inputs.override_reason.text() == ""
    qtbot.keyClicks(inputs.override_reason, "back to the regulation")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(inputs.reset_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert s.scalars(select(DeadlineOverride)).all() == []
