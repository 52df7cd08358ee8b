"""File pickers that leave no trace outside the workspace.

Qt's file dialog remembers the folders it visited (``lastVisited``, ``history``) in the
user's ``QtProject`` settings, shared by every Qt program. The folders an analyst imports
reports from or saves advisories and bundles to are not preferences (their names alone can
tell of an embargoed case), so each picker puts that settings group back as it found it when
it closes: other programs keep what they had, Accord adds nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

_GROUP = "FileDialog"


def _settings() -> QSettings:
    # Where QFileDialog itself keeps them: the native format, whatever the default is.
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "QtProject")


@contextlib.contextmanager
def leaving_no_trace() -> Iterator[None]:
    """Run a file dialog; afterwards its settings group is what it was before."""
    settings = _settings()
    settings.beginGroup(_GROUP)
    before: dict[str, Any] = {k: settings.value(k) for k in settings.allKeys()}
    settings.endGroup()
    try:
        yield
    finally:
        settings = _settings()
        settings.beginGroup(_GROUP)
        for key in settings.allKeys():
            if key not in before:
                settings.remove(key)
        for key, value in before.items():
            settings.setValue(key, value)
        settings.endGroup()
        settings.sync()


def open_files(
    parent: QWidget | None, caption: str, directory: str = "", filter: str = ""
) -> list[str]:
    with leaving_no_trace():
        files, _chosen = QFileDialog.getOpenFileNames(parent, caption, directory, filter)
    return list(files)


def open_file(parent: QWidget | None, caption: str, directory: str = "", filter: str = "") -> str:
    with leaving_no_trace():
        path, _chosen = QFileDialog.getOpenFileName(parent, caption, directory, filter)
    return str(path)


def save_file(parent: QWidget | None, caption: str, directory: str = "", filter: str = "") -> str:
    with leaving_no_trace():
        path, _chosen = QFileDialog.getSaveFileName(parent, caption, directory, filter)
    return str(path)


def existing_directory(parent: QWidget | None, caption: str, directory: str = "") -> str:
    with leaving_no_trace():
        return str(QFileDialog.getExistingDirectory(parent, caption, directory))
