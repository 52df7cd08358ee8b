"""The file pickers leave no folder names in Qt's shared settings (QtProject.conf)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from shiboken6 import isValid

from views.common import file_dialogs


def _answer(choose: Path | None) -> None:
    """Answer the file dialog that is about to open: choose a file in it, or cancel it."""

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, act)
            return
        if choose is None:
            dialog.reject()
        else:  # typed into the file name field, as an analyst would
            dialog.findChild(QLineEdit, "fileNameEdit").setText(choose.name)
            dialog.accept()
            # Should the dialog refuse the choice, never leave the test waiting.
            QTimer.singleShot(
                2000, lambda: isValid(dialog) and dialog.isVisible() and dialog.reject()
            )

    QTimer.singleShot(20, act)


def _qt() -> QSettings:
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "QtProject")


def _qt_settings_text(tmp_path: Path) -> str:
    """Every settings file of the test's (isolated) profile."""
    _qt().sync()
    files = [p for d in ("config", "qt") for p in (tmp_path / d).rglob("*") if p.is_file()]
    return "".join(p.read_text(errors="replace") for p in files)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "ACME-embargoed-jailbreak"
    folder.mkdir()
    (folder / "report.json").write_text("{}", encoding="utf-8")
    return folder


def test_qt_alone_would_remember_the_folder(qtbot, secret, tmp_path, isolated_preferences):
    # The premise: without the wrapper, Qt writes the folder into its shared settings.
    _answer(secret / "report.json")
    QFileDialog.getOpenFileNames(None, "Import reports", str(secret))
    assert secret.name in _qt_settings_text(tmp_path)


def test_pickers_forget_the_folders_they_visited(qtbot, secret, tmp_path, isolated_preferences):
    before = _qt()
    before.setValue("FileDialog/someOtherProgram", "kept")  # another Qt program's setting
    before.sync()
    _answer(secret / "report.json")
    assert file_dialogs.open_files(None, "Import reports", str(secret)) == [
        str(secret / "report.json")
    ]
    _answer(None)
    assert file_dialogs.existing_directory(None, "Import a folder", str(secret)) == ""
    _answer(secret / "advisory.md")
    assert file_dialogs.save_file(None, "Export advisory", str(secret)) == str(
        secret / "advisory.md"
    )
    text = _qt_settings_text(isolated_preferences)
    assert secret.name not in text
    assert (
        QSettings(QSettings.Scope.UserScope, "QtProject").value("FileDialog/someOtherProgram")
        == "kept"
    )
