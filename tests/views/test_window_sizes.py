"""Tool windows open at a working size cut to the screen's free area: the shift handover at
about 1100×760, not the two thirds of the screen Qt would give it (910×512 on a 1366×768
laptop), and never larger than the screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication

from app.shift import handover
from app.workspaces.lifecycle import Workspace
from views.common import window_size
from views.common.window_size import BORDER, TITLE_BAR, TOOL_SIZE, working_size
from views.shift.handover_screen import WORKING_SIZE, HandoverScreen


def test_working_size_is_cut_to_the_free_area() -> None:
    big = QRect(0, 0, 1920, 1050)
    assert working_size(QSize(1100, 760), big) == QSize(1100, 760)
    small = QRect(0, 0, 1024, 570)
    assert working_size(QSize(1100, 760), small) == QSize(1024 - 2 * BORDER, 570 - TITLE_BAR)


def _handover(qtbot, ws: Workspace) -> HandoverScreen:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        handover.new(s, ws.require_actor())
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitExposed(screen)
    return screen


def test_handover_opens_at_its_working_size_on_a_big_screen(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window_size, "available_geometry", lambda _w: QRect(0, 0, 1920, 1050))
    screen = _handover(qtbot, ws)
    assert screen.size() == WORKING_SIZE == QSize(1100, 760)


def test_handover_is_cut_to_a_small_screen(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    available = QGuiApplication.primaryScreen().availableGeometry()
    assert available.width() < WORKING_SIZE.width()  # the offscreen screen is 800 px wide
    screen = _handover(qtbot, ws)
    frame = screen.frameGeometry()
    assert available.contains(frame)
    assert frame.width() == available.width()  # as wide as the screen, borders included
    assert screen.height() == WORKING_SIZE.height()  # 800 px leave room for 760


def test_handover_resized_by_the_caller_keeps_that_size(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(700, 500)
    screen.show()
    assert screen.size() == QSize(700, 500)


def test_tool_windows_open_at_a_working_size(  # type: ignore[no-untyped-def]
    qtbot, window, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every window of the Tools and Administration menus at 1366×768 (less the panels)."""
    free = QRect(0, 0, 1366, 768 - 60)
    monkeypatch.setattr(window_size, "available_geometry", lambda _w: free)
    menus = (window.tools_menu, window.admin_menu)
    opened = 0
    for action in [a for m in menus for a in m.actions() if not a.isSeparator()]:
        tool = window.open_tool(action)
        if tool is None or not tool.isWindow():
            continue
        opened += 1
        size = tool.size()
        assert size.width() <= free.width() and size.height() <= free.height() - TITLE_BAR
        wanted = tool.sizeHint().expandedTo(TOOL_SIZE)
        assert size == working_size(wanted, free), action.text()
        # What the window needs at least fits the screen too.
        need = tool.minimumSizeHint()
        assert need.width() <= free.width() and need.height() <= free.height(), action.text()
        tool.close()
    assert opened >= 8
