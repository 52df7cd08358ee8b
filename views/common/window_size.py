"""The first size of a tool window: the size it works at, never larger than the screen.

Left to Qt, a new window takes its size hint cut to two thirds of the screen: the shift
handover opened at 910×512 on a 1366×768 laptop, the analysts list at 302×480 with its names
cut. A window the user has resized keeps that size (Qt settings restore it elsewhere)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# What a tool window needs at least to show a table and a form side by side.
TOOL_SIZE = QSize(720, 480)
# Room kept for the window manager's title bar above the window's own area.
TITLE_BAR = 32
# And for its border on each side: a window cut to the screen's full width had its frame a
# few pixels past the screen's edges (its borders are not known until it is shown).
BORDER = 4


def working_size(wanted: QSize, available: QRect, frame: QSize | None = None) -> QSize:
    """``wanted``, cut to what ``available`` (a screen's free area) leaves for a window whose
    frame (borders and title bar) takes ``frame``; a title bar and borders when not known yet."""
    frame = frame if frame is not None and not frame.isNull() else QSize(2 * BORDER, TITLE_BAR)
    room = QSize(
        max(available.width() - frame.width(), 0), max(available.height() - frame.height(), 0)
    )
    return wanted.boundedTo(room)


def available_geometry(widget: QWidget) -> QRect:
    """The free area (without panels and task bars) of the screen ``widget`` is on."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_window(widget: QWidget, wanted: QSize) -> None:
    """Give the window ``widget`` its working size ``wanted`` on its screen, frame and all."""
    available = available_geometry(widget)
    frame = widget.frameGeometry().size() - widget.size()
    widget.resize(working_size(wanted, available, frame))
    outer = widget.frameGeometry()
    if not available.contains(outer):
        outer.moveCenter(available.center())
        outer.moveTop(max(outer.top(), available.top()))
        outer.moveLeft(max(outer.left(), available.left()))
        widget.move(outer.topLeft())
