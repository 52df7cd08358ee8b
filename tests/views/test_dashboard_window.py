"""Issue 5 screens inside the main window: the dashboard click-through filters the queue,
the saved-filter bar drives the real queue model, the Deadlines tab shows the case."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app import deadlines as dl
from app.casework import cases
from views.deadlines.panel import DeadlinesPanel
from views.shift.dashboard import DashboardScreen
from views.shift.handover_screen import HandoverScreen

# Like the core GUI tests: any Qt warning fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def _shown(window) -> set[str]:  # type: ignore[no-untyped-def]
    rows = (window.model.queue_row(r) for r in range(window.model.rowCount()))
    return {r.key for r in rows if r is not None}


def test_dashboard_click_opens_the_filtered_queue(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    with ws.session() as s:
        cases.assign(s, ws.require_actor(), "ACC-2026-0001", "bob")
        cases.assign(s, ws.require_actor(), "ACC-2026-0003", "bob")
    window.refresh_queue()
    assert len(_shown(window)) == 6
    screen = window.open_tool(window.dashboard_action)
    assert isinstance(screen, DashboardScreen)
    qtbot.waitUntil(lambda: screen.data is not None, timeout=10000)
    qtbot.wait(50)
    panel = screen.charts["analyst"]
    assert [h.filter for h in panel.hits] == ["assignee:bob", "unassigned"]
    qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=panel.view_point(1, 0))
    qtbot.waitUntil(lambda: _shown(window) == {"ACC-2026-0001", "ACC-2026-0003"})
    assert window.saved_filters.filters.currentText() == "assignee:bob"


def test_saved_filter_and_bulk_assign_on_the_real_queue(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    with ws.session() as s:
        dl.set_jurisdictions(s, ws.require_actor(), "ACC-2026-0002", ["EU"], [])
    bar = window.saved_filters
    assert bar.apply("jurisdiction:EU")
    assert _shown(window) == {"ACC-2026-0002"}
    bar.assignee.setCurrentIndex(bar.assignee.findData("carol"))
    qtbot.mouseClick(bar.assign_all_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert cases.detail(s, "ACC-2026-0002").assignee == "carol"
    window.undo_stack.undo()
    with ws.session() as s:
        assert cases.detail(s, "ACC-2026-0002").assignee is None


def test_deadlines_tab_and_handover_tool(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    qtbot.waitUntil(
        lambda: any(isinstance(w, DeadlinesPanel) for w in window.detail.feature_tabs),
        timeout=5000,
    )
    handover_action = next(a for a in window.tools_menu.actions() if a.text() == "Shift handover")
    screen = window.open_tool(handover_action)
    assert isinstance(screen, HandoverScreen)
    out = tmp_path / "window.png"
    assert window.grab().save(str(out)) and out.stat().st_size > 0


def test_queue_countdown_and_overdue_highlight(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.queueing.queue import COLUMN_KEYS
    from models import utcnow
    from views.queue.model import URGENCY_COLOURS, URGENCY_ROLE

    column = COLUMN_KEYS.index("next_deadline")
    ws = window.workspace
    with ws.session() as s:
        dl.set_jurisdictions(s, ws.require_actor(), "ACC-2026-0001", ["CN"], [])
        # Reported two weeks ago: our own acknowledgement (3 business days) is overdue (China's
        # MIIT report is the vendor's duty now, issue 16, and stays out of the queue column).
        dl.set_fact(
            s, ws.require_actor(), "ACC-2026-0001", "reported", utcnow() - timedelta(days=14)
        )
    window.refresh_queue()
    model = window.model
    row = next(r for r in range(model.rowCount()) if model.queue_row(r).key == "ACC-2026-0001")
    cell = window.model.index(row, column)
    assert cell.data(URGENCY_ROLE) == "overdue"
    assert cell.data().startswith("overdue ")
    background = cell.data(Qt.ItemDataRole.BackgroundRole).color().name()
    assert background == URGENCY_COLOURS["overdue"][1]
    # A case without clocks (e.g. one loaded in bulk before any recompute) shows a dash.
    from app.casework import cases

    with ws.session() as s:
        cases.get_case(s, window.model.queue_row(1).key).next_deadline_utc = None
    window.refresh_queue()
    last = window.model.rowCount() - 1  # undated cases come last
    assert window.model.index(last, column).data(URGENCY_ROLE) == ""
    assert window.model.index(last, column).data() == "—"
