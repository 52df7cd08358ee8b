"""Unlock a workspace: the folder and the analyst's own passphrase, which says who is working.

A workspace file's passphrase opens one analyst's key slot; there is no choosing a name. A
one-time passphrase (a new analyst's) is followed by a step that asks for their own. A team
database (no passphrase here) still lists its analysts. A wrong passphrase shows the
LockedError's message and changes nothing. The demo workspace (and only it) shows its public
passphrase.
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

from app.errors import AccordError
from app.identity import analysts
from app.identity.unlock import PassphraseChangeRequired
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from i18n import _
from i18n.labels import role_label
from views.common import file_dialogs
from views.shell.prefs import Prefs

Opener = Callable[..., Workspace]


def default_opener(db_url: str | None, analyst: str | None = None) -> Opener:
    def opener(
        directory: Path | None, passphrase: str | None, new_passphrase: str | None = None
    ) -> Workspace:
        return ws_mod.open_workspace(
            None if db_url else directory,
            passphrase,
            db_url=db_url,
            analyst=analyst,
            new_passphrase=(lambda: new_passphrase) if new_passphrase else None,
        )

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
        prefs: Prefs | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # The last analyst of this machine (a name, nothing else) is preselected next time.
        self.prefs = prefs
        self.setModal(True)
        self.setMinimumWidth(520)
        self.db_url = db_url
        self.preferred_analyst = analyst
        self.opener = default_opener(db_url, analyst)
        self.workspace: Workspace | None = None
        self._one_time: str | None = None  # kept only between the two steps of a first unlock

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.location = QLineEdit(db_url.split("@")[-1] if db_url else str(directory))
        self.location.setReadOnly(bool(db_url) or fixed_location)
        self.browse = QToolButton()
        self.browse.setText("…")
        self.browse.setVisible(not db_url and not fixed_location)
        self.last_hint = QLabel()
        self.last_hint.setObjectName("lastAnalyst")
        self.last_hint.setStyleSheet("color: #555555;")
        self.demo_hint = QLabel()
        self.demo_hint.setWordWrap(True)
        self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.analyst = QComboBox()
        self.new_passphrase = QLineEdit()
        self.new_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_again = QLineEdit()
        self.new_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        self.buttons = QDialogButtonBox()
        self.unlock_button = QPushButton()
        self.unlock_button.setDefault(True)
        self.buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        # Not a standard Cancel: a language switch would name that one Qt's way, in English.
        self.cancel_button = QPushButton()
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)

        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(self.browse)
        self.form = QFormLayout()
        self.location_label, self.passphrase_label, self.analyst_label = (
            QLabel(),
            QLabel(),
            QLabel(),
        )
        self.new_label, self.again_label = QLabel(), QLabel()
        self.form.addRow(self.location_label, location_row)
        self.form.addRow(self.passphrase_label, self.passphrase)
        self.form.addRow(self.analyst_label, self.analyst)
        self.form.addRow(self.new_label, self.new_passphrase)
        self.form.addRow(self.again_label, self.new_again)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.last_hint)
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
        self.new_label.setText(_("Your own passphrase"))
        self.again_label.setText(_("Again"))
        self.browse.setToolTip(_("Choose the workspace folder"))
        self.cancel_button.setText(_("Cancel"))
        self._update_stage_text()
        self._update_demo_hint()
        self._update_last_hint()

    @property
    def last_analyst(self) -> str | None:
        return self.prefs.last_analyst() if self.prefs is not None else None

    def _update_last_hint(self) -> None:
        """A workspace file's passphrase says who is working; the hint only reminds."""
        last = self.last_analyst
        self.last_hint.setVisible(bool(last) and not self._choosing_analyst)
        if last:
            self.last_hint.setText(_("Last unlocked on this computer by {name}.").format(name=last))

    def _update_stage_text(self) -> None:
        if self._one_time is not None:
            self.intro.setText(
                _("You unlocked with a one-time passphrase. Choose your own to continue.")
            )
            self.unlock_button.setText(_("Unlock"))
        elif self._choosing_analyst:
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
        changing = self._one_time is not None
        self.form.setRowVisible(2, choosing_analyst)
        self.form.setRowVisible(1, not choosing_analyst and not changing and not self.db_url)
        self.form.setRowVisible(3, changing)
        self.form.setRowVisible(4, changing)
        self.location.setEnabled(not choosing_analyst and not changing)
        self.browse.setEnabled(not choosing_analyst and not changing)
        self._update_stage_text()

    # -- behaviour --------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return Path(self.location.text().strip()).expanduser()

    def submit(self) -> None:
        """The default button: unlock, choose one's own passphrase, or (a team database) act
        as the chosen analyst."""
        if self._choosing_analyst:
            chosen = self.analyst.currentData()
            if not chosen:
                self.show_error(_("choose who you are first"))
                return
            self._act(str(chosen))
        elif self._one_time is not None:
            self.choose_own_passphrase()
        else:
            self.unlock()

    def unlock(self) -> bool:
        self.hide_error()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            ws = self.opener(
                None if self.db_url else self.directory,
                ws_mod.normalise_passphrase(self.passphrase.text()),
            )
            # A team database has no key slots: who is working is chosen, with roles shown.
            team = self._team(ws) if ws.actor is None else []
            names = [name for name, _role in team]
        except PassphraseChangeRequired:
            # Right passphrase, but a one-time one: ask for the analyst's own.
            self._one_time = self.passphrase.text()
            self.passphrase.clear()
            self._set_stage(choosing_analyst=False)
            self.new_passphrase.setFocus()
            return False
        except AccordError as exc:
            self.show_error(str(exc))
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.passphrase.clear()
        self.workspace = ws
        if ws.actor is not None:  # the key slot said who is working
            return self._opened()
        preferred = self.preferred_analyst
        if preferred and preferred in names:
            return self._act(preferred)
        if len(names) == 1:
            return self._act(names[0])
        self.analyst.clear()
        # Not the alphabetically first name (a trap on a shared desk): the last analyst of
        # this machine when there is one, else nobody until chosen.
        self.analyst.addItem(_("Choose who you are…"), None)
        for name, role in team:
            self.analyst.addItem(
                _("{name} — {role}").format(name=name, role=role_label(role)), name
            )
        self.analyst.setCurrentIndex(max(self.analyst.findData(self.last_analyst), 0))
        self._set_stage(choosing_analyst=True)
        self._update_last_hint()
        self.analyst.setFocus()
        return True

    @staticmethod
    def _team(ws: Workspace) -> list[tuple[str, str]]:
        """The active analysts of a team database with their roles, by name."""
        with ws.session() as s:
            return [(a.name, a.role) for a in analysts.list_all(s) if a.active]

    def choose_own_passphrase(self) -> bool:
        """The second step of a first unlock: re-wrap the slot under the analyst's own."""
        assert self._one_time is not None
        self.hide_error()
        if self.new_passphrase.text() != self.new_again.text():
            self.show_error(_("the two passphrases differ"))
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            ws = self.opener(
                None if self.db_url else self.directory, self._one_time, self.new_passphrase.text()
            )
        except AccordError as exc:
            self.show_error(str(exc))
            self.new_passphrase.selectAll()
            self.new_passphrase.setFocus()
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._one_time = None
        self.new_passphrase.clear()
        self.new_again.clear()
        self.workspace = ws
        return self._opened()

    def _act(self, name: str) -> bool:
        assert self.workspace is not None
        try:
            self.workspace.act_as(name)
        except AccordError as exc:
            self.show_error(str(exc))
            return False
        return self._opened()

    def _opened(self) -> bool:
        actor = self.workspace.actor if self.workspace is not None else None
        if self.prefs is not None and actor is not None:
            self.prefs.remember_analyst(actor.name)
        # Show what comes next before this dialog hides, so the app never has zero windows.
        self.unlocked.emit(self.workspace)
        self.accept()
        return True

    def reject(self) -> None:
        self._one_time = None
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
