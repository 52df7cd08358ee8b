"""Saved filters drive the queue model; bulk assignment is one undoable step."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from app import deadlines as dl
from app.casework import cases
from app.identity import analysts
from app.queueing import queue
from app.queueing.queue import QueueQuery
from app.workspaces.lifecycle import Workspace
from models import utcnow
from views.queue.saved_filters import SavedFiltersBar

# Like the core GUI tests: any Qt warning fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


class FakeQueue:
    """Stands in for the main window's queue model: keeps the query, lists the keys."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.query = QueueQuery()
        self.selection: list[str] = []

    def set_query(self, query: QueueQuery) -> None:
        self.query = query

    def keys(self) -> set[str]:
        with self.ws.session() as s:
            return {r.key for r in queue.page(s, self.query, self.ws.actor)}


def _seed(ws: Workspace) -> list[str]:
    with ws.session() as s:
        a = ws.require_actor()
        analysts.add(s, a, "bob", "analyst")
        keys = [cases.create_case(s, a, f"c{i}").key for i in range(3)]
        dl.set_jurisdictions(s, a, keys[0], ["CN"], [])
        # Two weeks: our own acknowledgement (3 business days) is overdue; China's MIIT report
        # would be the maker's duty (issue 16) and stays out of the queue's deadline column.
        dl.set_fact(s, a, keys[0], "reported", utcnow() - timedelta(days=14))
    return keys


def _bar(qtbot, ws: Workspace):  # type: ignore[no-untyped-def]
    fake = FakeQueue(ws)
    stack = QUndoStack()
    bar = SavedFiltersBar(
        lambda: ws, fake, lambda: list(fake.selection), stack, all_keys=lambda: sorted(fake.keys())
    )
    qtbot.addWidget(bar)
    # Bulk changes ask first; tests/views/test_queue_screen.py answers the real dialog.
    bar.confirm = lambda _n, _target: True
    return bar, fake, stack


def test_choose_and_type_filters(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    keys = _seed(ws)
    bar, fake, _stack = _bar(qtbot, ws)
    bar.filters.setFocus()
    index = bar.filters.findData("overdue")
    bar.filters.setCurrentIndex(index)
    bar.filters.activated.emit(index)
    assert fake.keys() == {keys[0]}
    bar.filters.lineEdit().clear()
    qtbot.keyClicks(bar.filters.lineEdit(), "jurisdiction:CN")
    qtbot.keyClick(bar.filters.lineEdit(), Qt.Key.Key_Return)
    assert fake.keys() == {keys[0]}
    bar.filters.lineEdit().clear()
    qtbot.keyClicks(bar.filters.lineEdit(), "nonsense")
    qtbot.keyClick(bar.filters.lineEdit(), Qt.Key.Key_Return)
    assert "unknown filter" in bar.message.text()
    assert fake.keys() == {keys[0]}  # unchanged


def test_bulk_assign_is_one_undo_step(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    keys = _seed(ws)
    bar, fake, stack = _bar(qtbot, ws)
    fake.selection = keys[:2]
    bar.assignee.setCurrentIndex(bar.assignee.findData("bob"))
    qtbot.mouseClick(bar.assign_button, Qt.MouseButton.LeftButton)
    assert stack.count() == 1
    assert bar.apply("assignee:bob")
    assert fake.keys() == set(keys[:2])
    stack.undo()
    assert fake.keys() == set()
    stack.redo()
    assert fake.keys() == set(keys[:2])


def test_assign_all_shown(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    keys = _seed(ws)
    bar, fake, stack = _bar(qtbot, ws)
    assert bar.apply("overdue")
    bar.assignee.setCurrentIndex(bar.assignee.findData("bob"))
    qtbot.mouseClick(bar.assign_all_button, Qt.MouseButton.LeftButton)
    assert stack.count() == 1
    assert bar.apply("assignee:bob") and fake.keys() == {keys[0]}
    stack.undo()
    assert fake.keys() == set()


def test_bulk_assign_refused_for_an_analyst(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    keys = _seed(ws)
    ws.act_as("bob")
    bar, fake, stack = _bar(qtbot, ws)
    fake.selection = keys
    assert not bar.assign_selected()
    assert stack.count() == 0 and "may not" in bar.message.text()


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    bar, _fake, _stack = _bar(qtbot, ws)
    out = tmp_path / "filters.png"
    assert bar.grab().save(str(out)) and out.stat().st_size > 0
