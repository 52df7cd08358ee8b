"""The GUI assembled in one place: Qt application, language and direction, unlock, main window.

``accord`` with no command lands here (``views/shell/entry.py``). The workspace is resolved like
the CLI: ``--workspace`` / ``ACCORD_WORKSPACE`` / the default folder, or ``--db`` /
``ACCORD_DB`` for a team database; ``--as`` / ``ACCORD_ANALYST`` preselects the analyst.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from app.workspaces import lifecycle as ws_mod
from app.workspaces import settings as settings_mod
from app.workspaces.lifecycle import Workspace
from app.workspaces.settings import Settings
from i18n import current_language, is_rtl, set_language
from views.shell import qt_words
from views.shell.main_window import MainWindow
from views.shell.prefs import APPLICATION, ORGANISATION, Prefs
from views.shell.unlock_dialog import UnlockDialog


def ensure_qapp() -> QApplication:
    existing = QApplication.instance()
    qapp = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    qapp.setOrganizationName(ORGANISATION)
    qapp.setApplicationName(APPLICATION)
    apply_language(qapp, None)
    return qapp


def apply_language(qapp: QApplication, language: str | None) -> None:
    """Switch the catalog (when given) and the layout direction (right-to-left for ar, he …)."""
    if language:
        set_language(language)
    qt_words.install(qapp, current_language())
    qapp.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if is_rtl() else Qt.LayoutDirection.LeftToRight
    )


class Gui(QObject):
    """Unlock dialog first; the main window once a workspace is unlocked."""

    def __init__(
        self,
        directory: Path,
        *,
        db_url: str | None = None,
        analyst: str | None = None,
        settings: Settings | None = None,
        settings_path: Path | None = None,
        prefs: Prefs | None = None,
    ) -> None:
        super().__init__()
        self.directory = directory
        self.db_url = db_url
        self.analyst = analyst
        self.settings_path = settings_path
        self.settings = settings or settings_mod.load(settings_path)
        self.prefs = prefs
        self.dialog: UnlockDialog | None = None
        self.window: MainWindow | None = None

    def start(self) -> UnlockDialog:
        self.dialog = UnlockDialog(
            self.directory, db_url=self.db_url, analyst=self.analyst, prefs=self.prefs or Prefs()
        )
        self.dialog.unlocked.connect(self.open_main_window)
        self.dialog.show()
        return self.dialog

    def open_main_window(self, workspace: Workspace) -> MainWindow:
        self.window = MainWindow(
            workspace,
            self.settings,
            self.prefs,
            db_url=self.db_url,
            settings_path=self.settings_path,
        )
        self.window.show()
        self.dialog = None
        return self.window


def run_gui(args: argparse.Namespace) -> int:
    """Open the GUI; returns the Qt event loop's exit code."""
    import models

    # Every model now, on this thread: models load on first use (models/__init__.py), and a
    # worker thread declaring one while another configures the mappers could deadlock.
    models.load_all()
    qapp = ensure_qapp()
    from views.common.failures import install_excepthook

    install_excepthook()
    settings = settings_mod.load()
    apply_language(qapp, getattr(args, "lang", None) or settings.language)
    gui = Gui(
        ws_mod.resolve_dir(getattr(args, "workspace", None)),
        db_url=getattr(args, "db", None) or os.environ.get("ACCORD_DB") or None,
        analyst=getattr(args, "as_analyst", None) or os.environ.get("ACCORD_ANALYST") or None,
        settings=settings,
    )
    dialog = gui.start()
    dialog.rejected.connect(qapp.quit)
    from views.shell.fonts import warn_if_unrenderable

    gui.font_warning = warn_if_unrenderable(dialog)  # type: ignore[attr-defined]
    return int(qapp.exec())
