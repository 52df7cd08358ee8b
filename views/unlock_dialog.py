"""Unlock a workspace: first the folder and passphrase, then (once readable) the analyst.

The analyst list lives inside the encrypted store, so it can only be offered after the
passphrase has opened it. A wrong passphrase shows the LockedError's message in the dialog
and changes nothing. The demo workspace (and only it) shows its public passphrase.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import workspace as ws_mod
from app.errors import AccordError
from app.workspace import Workspace
from i18n import _
from views import file_dialogs

Opener = Callable[[Path | None, str | None], Workspace]


def default_opener(db_url: str | None) -> Opener:
    def opener(directory: Path | None, passphrase: str | None) -> Workspace:
        return ws_mod.open_workspace(None if db_url else directory, passphrase, db_url=db_url)

    return opener


class UnlockDialog(QDialog):
    """``workspace`` holds the unlocked workspace (with its acting analyst) once accepted."""

    unlocked = Signal(object)  # Workspace

    def __init__(
        self,
        directory: Path,
        *,
        db_url: str | None = None,
        analyst: str | None = None,
        fixed_location: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setModal(True)
        self.setMinimumWidth(520)
        self.db_url = db_url
        self.preferred_analyst = analyst
        self.opener = default_opener(db_url)
        self.workspace: Workspace | None = None

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.location = QLineEdit(db_url.split("@")[-1] if db_url else str(directory))
        self.location.setReadOnly(bool(db_url) or fixed_location)
        self.browse = QToolButton()
        self.browse.setText("…")
        self.browse.setVisible(not db_url and not fixed_location)
        self.demo_hint = QLabel()
        self.demo_hint.setWordWrap(True)
        self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.analyst = QComboBox()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        self.buttons = QDialogButtonBox()
        self.unlock_button = QPushButton()
        self.unlock_button.setDefault(True)
        self.buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(self.browse)
        self.form = QFormLayout()
        self.location_label, self.passphrase_label, self.analyst_label = (
            QLabel(),
            QLabel(),
            QLabel(),
        )
        self.form.addRow(self.location_label, location_row)
        self.form.addRow(self.passphrase_label, self.passphrase)
        self.form.addRow(self.analyst_label, self.analyst)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.demo_hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.browse.clicked.connect(self._choose_folder)
        self.location.textChanged.connect(self._update_demo_hint)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self._set_stage(choosing_analyst=False)
        self.retranslate()
        self._update_demo_hint()
        self.passphrase.setFocus()

    # -- strings ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(_("Unlock workspace — Accord"))
        self.location_label.setText(_("Team database") if self.db_url else _("Workspace"))
        self.passphrase_label.setText(_("Passphrase"))
        self.analyst_label.setText(_("Analyst"))
        self.browse.setToolTip(_("Choose the workspace folder"))
        self.cancel_button.setText(_("Cancel"))
        self._update_stage_text()
        self._update_demo_hint()

    def _update_stage_text(self) -> None:
        if self._choosing_analyst:
            self.intro.setText(_("The workspace is unlocked. Who is working?"))
            self.unlock_button.setText(_("Open"))
        elif self.db_url:
            self.intro.setText(_("Connect to the team database."))
            self.unlock_button.setText(_("Connect"))
        else:
            self.intro.setText(_("Enter the passphrase of the workspace to unlock it."))
            self.unlock_button.setText(_("Unlock"))

    def _set_stage(self, *, choosing_analyst: bool) -> None:
        self._choosing_analyst = choosing_analyst
        self.form.setRowVisible(2, choosing_analyst)
        self.form.setRowVisible(1, not choosing_analyst and not self.db_url)
        self.location.setEnabled(not choosing_analyst)
        self.browse.setEnabled(not choosing_analyst)
        self._update_stage_text()

    # -- behaviour --------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return Path(self.location.text().strip()).expanduser()

    def submit(self) -> None:
        """The default button: unlock, or (second step) act as the chosen analyst."""
        if self._choosing_analyst:
            self._act(self.analyst.currentText())
        else:
            self.unlock()

    def unlock(self) -> bool:
        self.hide_error()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            phrase = ws_mod.normalise_passphrase(self.passphrase.text())
            ws = self.opener(None if self.db_url else self.directory, phrase)
            names = ws.analyst_names()
        except AccordError as exc:
            self.show_error(str(exc))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.passphrase.clear()
        self.workspace = ws
        preferred = self.preferred_analyst
        if preferred and preferred in names:
            return self._act(preferred)
        if len(names) == 1:
            return self._act(names[0])
        self.analyst.clear()
        self.analyst.addItems(names)
        self._set_stage(choosing_analyst=True)
        self.analyst.setFocus()
        return True

    def _act(self, name: str) -> bool:
        assert self.workspace is not None
        try:
            self.workspace.act_as(name)
        except AccordError as exc:
            self.show_error(str(exc))
            return False
        # Show what comes next before this dialog hides, so the app never has zero windows.
        self.unlocked.emit(self.workspace)
        self.accept()
        return True

    def reject(self) -> None:
        if self.workspace is not None and self.workspace.actor is None:
            self.workspace.lock()
            self.workspace = None
        super().reject()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def hide_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _choose_folder(self) -> None:
        chosen = file_dialogs.existing_directory(self, _("Workspace folder"), str(self.directory))
        if chosen:
            self.location.setText(chosen)

    def _update_demo_hint(self, *_args: object) -> None:
        demo = not self.db_url and ws_mod.is_demo(self.directory)
        self.demo_hint.setVisible(demo)
        if demo:
            self.demo_hint.setText(
                _("This is the demo workspace. Its passphrase is {passphrase}").format(
                    passphrase=ws_mod.DEMO_PASSPHRASE
                )
            )
