"""Selecting several queue rows (Ctrl+click) and assigning them is one undoable step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from models import Analyst, Case

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def _assignees(window) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    with window.workspace.session() as s:
        rows = s.execute(
            select(Case.key, Analyst.name).outerjoin(Analyst, Analyst.id == Case.assignee_id)
        )
        return {key: name for key, name in rows}


def test_ctrl_click_three_rows_and_assign(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    table = window.queue.table
    before = _assignees(window)
    keys = []
    for row in range(3):
        index = window.model.index(row, 0)
        rect = table.visualRect(index)
        modifier = (
            Qt.KeyboardModifier.NoModifier if row == 0 else Qt.KeyboardModifier.ControlModifier
        )
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
        keys.append(window.model.queue_row(row).key)
    assert len(table.selectionModel().selectedRows()) == 3
    # The detail pane follows the current (last clicked) row.
    assert window.queue.selected_case_id() == window.model.case_id(2)

    bar = window.saved_filters
    bar.confirm = lambda _n, _target: True  # the dialog itself: test_queue_screen.py
    bar.assignee.setCurrentIndex(bar.assignee.findData("bob"))
    depth = window.undo_stack.count()
    qtbot.mouseClick(bar.assign_button, Qt.MouseButton.LeftButton)
    assert window.undo_stack.count() == depth + 1
    after = _assignees(window)
    assert all(after[k] == "bob" for k in keys)
    window.undo_stack.undo()
    assert _assignees(window) == before
