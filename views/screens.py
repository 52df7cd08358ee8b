"""Where each feature's screens are attached to the main window: one call per feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from views.main_window import MainWindow


def install(window: MainWindow) -> None:
    """Attach feature screens (case tabs, tool windows, menu actions) to the main window."""
    return None
