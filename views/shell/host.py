"""What feature screens may use of the main window: the interface they are installed on.

Feature packages (queue, case, severity, deadlines, …) attach their tabs, tools and menus
through ``WindowHost`` and never import ``views.shell.main_window`` (an import-linter
contract checks it), so the main window, the screen registry and the panels form no circle.
``MainWindow`` is the one implementation; tests may build a lighter one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

if TYPE_CHECKING:
    from app.workspaces.lifecycle import Workspace
    from app.workspaces.settings import Settings
    from views.case.detail import CaseDetailPane
    from views.queue.model import QueueModel
    from views.queue.view import QueuePanel

ToolFactory = Callable[[], QWidget]


class WindowHost(QMainWindow):
    """The main window as feature screens see it; ``workspace`` is None while locked and
    ``locked``/``unlocked`` tell attached screens."""

    locked = Signal()
    unlocked = Signal()

    # Set by the implementation; screens read them.
    settings: Settings
    settings_path: Path | None
    model: QueueModel
    queue: QueuePanel
    detail: CaseDetailPane
    undo_stack: QUndoStack
    file_menu: QMenu
    help_menu: QMenu
    tools_menu: QMenu
    lock_action: QAction

    @property
    def workspace(self) -> Workspace | None:
        """The unlocked workspace (its ``actor`` is the acting analyst); None while locked."""
        raise NotImplementedError

    def add_case_tab(self, title: str, factory: Callable[[int], QWidget]) -> None:
        """A tab in the case detail, built by ``factory(case_id)`` when first shown."""
        raise NotImplementedError

    def add_tool(self, title: str, factory: ToolFactory, shortcut: str | None = None) -> QAction:
        """A Tools menu action opening ``factory()`` (built once, destroyed on lock)."""
        raise NotImplementedError

    def open_tool(self, action: QAction) -> QWidget | None:
        """Show the tool behind ``action`` (building it the first time); None while locked."""
        raise NotImplementedError

    def refresh_queue(self) -> None:
        """Re-run the queue query (after a change elsewhere) and reload the shown case."""
        raise NotImplementedError
