"""Window geometry and layout state in QSettings — never case data, never secrets."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter

ORGANISATION = "Accord"
APPLICATION = "accord"
KEYS = (
    "main/geometry",
    "main/state",
    "main/splitter",
    "main/queue_header",
    "unlock/last_analyst",
)


class Prefs:
    """Saves and restores the main window's geometry, dock/toolbar state, splitter and columns."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings(
            QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANISATION, APPLICATION
        )

    def save_window(self, window: QMainWindow, splitter: QSplitter, header: QHeaderView) -> None:
        self.settings.setValue("main/geometry", window.saveGeometry())
        self.settings.setValue("main/state", window.saveState())
        self.settings.setValue("main/splitter", splitter.saveState())
        self.settings.setValue("main/queue_header", header.saveState())
        self.settings.sync()

    def restore_window(self, window: QMainWindow, splitter: QSplitter, header: QHeaderView) -> bool:
        """Restore what was saved; returns False when nothing was (first start)."""
        geometry = self._bytes("main/geometry")
        if geometry is None:
            return False
        window.restoreGeometry(geometry)
        state = self._bytes("main/state")
        if state is not None:
            window.restoreState(state)
        split = self._bytes("main/splitter")
        if split is not None:
            splitter.restoreState(split)
        columns = self._bytes("main/queue_header")
        if columns is not None:
            header.restoreState(columns)
        return True

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def last_analyst(self) -> str | None:
        """The analyst who last unlocked on this machine (a name only), or None."""
        value = self.settings.value("unlock/last_analyst")
        return value if isinstance(value, str) and value else None

    def remember_analyst(self, name: str) -> None:
        self.settings.setValue("unlock/last_analyst", name)
        self.settings.sync()
