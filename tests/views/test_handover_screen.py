"""The handover screen: draft, edit, sign as the outgoing lead; acknowledge as the incoming."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.casework import cases
from app.identity import analysts
from app.shift import handover
from app.workspaces.lifecycle import Workspace
from views.shift.handover_screen import HandoverScreen

# Like the core GUI tests: any Qt warning fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def test_draft_edit_sign_acknowledge(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        analysts.add(s, ws.require_actor(), "carol", "shift-lead")
        key = cases.create_case(s, ws.require_actor(), "overnight case").key
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    assert screen.history.count() == 0
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    assert screen.history.count() == 1
    assert key in screen.body.toPlainText()
    screen.body.moveCursor(screen.body.textCursor().MoveOperation.End)
    qtbot.keyClicks(screen.body, " Vendor call at 09:00.")
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.sign_button, Qt.MouseButton.LeftButton)
    assert not screen.ack_button.isEnabled()  # the author does not acknowledge
    assert screen.body.isReadOnly()
    with ws.session() as s:
        h = handover.history(s)[0]
        assert h.state == "signed" and h.body.endswith("Vendor call at 09:00.")

    ws.act_as("carol")
    screen.reload()
    assert screen.ack_button.isEnabled()
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.ack_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert handover.history(s)[0].acknowledged_by == "carol"
    assert "acknowledged" in screen.history.item(0).text()

    # A second handover; the history keeps both and picking one shows it.
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    assert screen.history.count() == 2
    screen.history.setCurrentRow(1)
    assert "Vendor call at 09:00." in screen.body.toPlainText()


def test_refusal_is_shown(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        analysts.add(s, ws.require_actor(), "dan", "analyst")
    ws.act_as("dan")
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    assert not screen.new_handover()
    assert "may not" in screen.message.text()


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.new_handover()
    screen.resize(900, 600)
    out = tmp_path / "handover.png"
    assert screen.grab().save(str(out)) and out.stat().st_size > 0


def test_summary_first_sections_collapsed_and_opened_by_keyboard(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """Item 3: four headline figures, then sections collapsed by default; the shift lead
    opens one with the keyboard and reads case titles and the rules' own wording."""
    from datetime import timedelta

    from app import deadlines as dl
    from models import utcnow

    with ws.session() as s:
        a = ws.require_actor()
        key = cases.create_case(s, a, "Exfiltration through the summariser").key
        dl.set_roles(s, a, key, [("manufacturer", "Vendor X")], [])  # the CRA's holder
        dl.set_jurisdictions(s, a, key, ["EU"], [])
        dl.set_fact(s, a, key, "exploited-aware", utcnow() - timedelta(hours=30))
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    assert screen.figures["overdue"].number.text() == "1"
    assert screen.figures["new"].number.text() == "1"
    tree = screen.sections
    tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [t.data(0, Qt.ItemDataRole.UserRole) for t in tops][:4] == list(
        handover.SUMMARY_SECTIONS
    )
    assert not any(t.isExpanded() for t in tops)  # collapsed by default
    tree.setFocus()
    tree.setCurrentItem(tops[0])
    qtbot.keyClick(tree, Qt.Key.Key_Right)  # open "Overdue"
    assert tops[0].isExpanded()
    row = tops[0].child(0)
    assert row.text(0) == key and row.text(1) == "Exfiltration through the summariser"
    assert row.text(2).startswith("Early warning notification") and "(EU)" in row.text(2)
    assert row.text(3).strip("\u2066\u2069").endswith(" UTC")
    with ws.session() as s:
        stored = handover.history(s)[0]
    assert stored.summary["overdue"][0]["case"] == key
