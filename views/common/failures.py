"""How the GUI reports a change refused as stale, and a failure nobody expected.

A conflict (someone else changed the record since it was shown) reloads the view and says
who and when in a message box; an unexpected exception shows its class and a reference,
never its text (a database error's text carries SQL parameters: titles, report text).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.errors import ConflictError, describe_unexpected
from i18n import _


def _box(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # not exec(): the event loop (and a test driving it) keeps running
    return box


def show_conflict(
    parent: QWidget | None, exc: ConflictError, reload: Callable[[], None]
) -> QMessageBox:
    """Reload what the user looks at, then say who changed it and when."""
    reload()
    return _box(parent, _("Changed meanwhile"), str(exc))


def _hook(kind: type[BaseException], exc: BaseException, _tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, _tb)
        return
    message = describe_unexpected(exc, "gui")
    print("accord: " + message, file=sys.stderr)
    if QApplication.instance() is not None:
        _box(QApplication.activeWindow(), _("Something went wrong"), message)


def install_excepthook() -> None:
    """Uncaught exceptions in slots end here (PySide6 hands them to ``sys.excepthook``)."""
    sys.excepthook = _hook
