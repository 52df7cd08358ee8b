"""The deadlines case tab: set a fact, see the clocks, mark met, see a conflict."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimeZone
from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import Case, Deadline
from views.deadlines.panel import DeadlinesPanel

# Like the core GUI tests: any Qt warning fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def _case(ws: Workspace) -> int:
    with ws.session() as s:
        c = cases.create_case(s, ws.require_actor(), "panel case")
        dl.set_roles(s, ws.require_actor(), c.key, [("manufacturer", "Vendor X")], [])
        dl.set_jurisdictions(s, ws.require_actor(), c.key, ["EU"], [])
        return c.id


def test_set_fact_mark_met_and_conflict(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    case_id = _case(ws)
    panel = DeadlinesPanel(ws, case_id)
    qtbot.addWidget(panel)
    panel.fact.setCurrentIndex(panel.fact.findData("exploited-aware"))
    aware = QDateTime.fromString("2026-11-27T10:00:00Z", Qt.DateFormat.ISODate)
    panel.when.setDateTime(aware.toTimeZone(QTimeZone(b"UTC")))
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.set_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        row = s.scalar(select(Deadline).where(Deadline.rule_id == "eu-cra-14-2a-early-warning"))
        assert row is not None and row.due_utc == datetime(2026, 11, 28, 10, tzinfo=UTC)
    # To the minute, in UTC, named (i18n.formatting.format_moment).
    assert panel.table.item(0, 1).text() == "11/28/2026, 10:00\u202fAM UTC"
    assert "owed by Vendor X — watch" in panel.table.item(0, 5).text()

    assert panel.select_rule("eu-cra-14-2a-early-warning")
    qtbot.keyClicks(panel.evidence, "ENISA SRP 4711")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.met_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        row = s.scalar(select(Deadline).where(Deadline.rule_id == "eu-cra-14-2a-early-warning"))
        # Recorded now, long after 28 Nov 2026 10:00: met, and late.
        assert row is not None and row.state in ("met", "met-late")
        assert row.evidence == "ENISA SRP 4711"

    assert panel.conflicts.isHidden()
    panel.fact.setCurrentIndex(panel.fact.findData("embargo-until"))
    panel.when.setDateTime(QDateTime.fromString("2027-01-10T00:00:00Z", Qt.DateFormat.ISODate))
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.set_button, Qt.MouseButton.LeftButton)
    # The CRA notifications go confidentially to the CSIRT and ENISA: no conflict (issue 16).
    assert panel.conflicts.isHidden()
    with ws.session() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.embargo_until == datetime(2027, 1, 10, tzinfo=UTC)


def test_mark_met_without_selection_explains(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = DeadlinesPanel(ws, _case(ws))
    qtbot.addWidget(panel)
    panel.table.clearSelection()
    qtbot.mouseClick(panel.met_button, Qt.MouseButton.LeftButton)
    assert "select" in panel.message.text()


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = DeadlinesPanel(ws, _case(ws))
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    out = tmp_path / "deadlines.png"
    assert panel.grab().save(str(out))
    assert out.stat().st_size > 0


def test_the_date_time_field_is_bounded_to_now_for_facts(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = DeadlinesPanel(ws, _case(ws))
    qtbot.addWidget(panel)
    panel.fact.setCurrentIndex(panel.fact.findData("early-warning-sent"))
    panel.when.setDateTime(QDateTime.currentDateTimeUtc().addDays(30))
    assert panel.when.dateTime() <= QDateTime.currentDateTimeUtc()
    panel.fact.setCurrentIndex(panel.fact.findData("embargo-until"))  # may lie ahead
    later = QDateTime.currentDateTimeUtc().addDays(30)
    panel.when.setDateTime(later)
    assert panel.when.dateTime() > QDateTime.currentDateTimeUtc()
