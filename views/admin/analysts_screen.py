"""Analysts and their roles: add one (their one-time passphrase is shown once), deactivate,
give a new one-time passphrase. Only coordinators change anything; for everyone else the
actions are disabled and say why."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError
from app.identity import admin, analysts
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from views.common.retranslate import StatusLine, relabel, retitle_column, retitle_items

ERROR_STYLE = "color: #b00020;"
ROLES = ("analyst", "shift-lead", "coordinator")
ROLE_LABELS = {"analyst": N_("analyst"), "shift-lead": N_("shift lead"),
               "coordinator": N_("coordinator")}  # fmt: skip
Confirm = Callable[[QWidget, str, str], bool]


def role_label(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


def ask(parent: QWidget, title: str, question: str) -> bool:
    """A Yes/No question, No by default (these actions cannot be undone)."""
    answer = QMessageBox.question(
        parent, title, question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )  # fmt: skip
    return answer == QMessageBox.StandardButton.Yes


class OneTimePassphraseDialog(QDialog):
    """Shows a one-time passphrase once; closing it forgets the text."""

    def __init__(self, name: str, phrase: str, login: str | None, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._name, self._login = name, login
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.phrase = QLineEdit(phrase)
        self.phrase.setReadOnly(True)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.phrase.setFont(font)
        self.phrase.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.phrase.selectAll()
        # A button of our own, not a standard one: a language switch would name that Qt's way.
        buttons = QDialogButtonBox()
        self.close_button = QPushButton()
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.phrase)
        layout.addWidget(buttons)
        self.resize(520, 160)
        self.finished.connect(lambda _result: self.phrase.clear())
        self.retranslate()

    def retranslate(self) -> None:
        name, login = self._name, self._login
        self.setWindowTitle(_("One-time passphrase for {name}").format(name=name))
        if login:
            text = _(
                "Give this one-time password of the login {login} to {name} in person. It is "
                "shown only now; {name} replaces it at first use."
            ).format(login=login, name=name)
        else:
            text = _(
                "Give this one-time passphrase to {name} in person. It is shown only now; "
                "{name} chooses their own at first unlock."
            ).format(name=name)
        self.explanation.setText(text)
        self.close_button.setText(_("I have passed it on"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class AnalystsScreen(QWidget):
    """The analysts of the workspace with their roles; coordinators manage them here."""

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        confirm: Confirm = ask,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws = workspace
        self.confirm = confirm
        self.passphrase_dialog: OneTimePassphraseDialog | None = None
        self.rows: list[analysts.AnalystInfo] = []
        self._line = StatusLine()  # the last outcome, said again in a new language

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("analystsTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem("", role)
        self.timezone = QLineEdit("UTC")
        self.timezone.setPlaceholderText("Europe/Warsaw")
        self.add_button = QPushButton()
        self.add_button.clicked.connect(lambda: self.add())
        self.name.returnPressed.connect(lambda: self.add())
        form = self.form = QFormLayout()
        form.addRow(_("Name"), self.name)
        form.addRow(_("Role"), self.role)
        form.addRow(_("Time zone"), self.timezone)
        form.addRow("", self.add_button)
        self.add_box = QGroupBox()
        self.add_box.setLayout(form)

        self.deactivate_button = QPushButton()
        self.reset_button = QPushButton()
        self.deactivate_button.clicked.connect(lambda: self.deactivate())
        self.reset_button.clicked.connect(lambda: self.reset())
        actions = QHBoxLayout()
        actions.addWidget(self.deactivate_button)
        actions.addWidget(self.reset_button)
        actions.addStretch(1)

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.add_box)
        layout.addWidget(self.message)
        self.resize(720, 560)
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        """The fixed strings and the rows' words; the name typed and the selection stay."""
        self.table.setHorizontalHeaderLabels([_("Name"), _("Role"), _("Time zone"), _("Status")])
        self.name.setPlaceholderText(_("Full name, e.g. Tomasz Wójcik"))
        retitle_items(self.role, role_label)
        self.add_button.setText(_("Add analyst"))
        relabel(
            self.form,
            ((self.name, N_("Name")), (self.role, N_("Role")), (self.timezone, N_("Time zone"))),
        )
        self.add_box.setTitle(_("Add an analyst"))
        self.deactivate_button.setText(_("Deactivate…"))
        self.reset_button.setText(_("New one-time passphrase…"))
        retitle_column(self.table, 1, (role_label(a.role) for a in self.rows))
        retitle_column(self.table, 3, (self._state(a) for a in self.rows))
        if self.rows:
            self._show_note()
        self._line.again(self.message)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _state(a: analysts.AnalystInfo) -> str:
        return _("active") if a.active else _("deactivated")

    def _show_note(self) -> None:
        manage = self._may_manage()
        refusal = "" if manage else _("Only coordinators manage analysts.")
        self.note.setText(
            _("Each analyst unlocks with their own passphrase; roles decide what they may do.")
            + ("\n" + refusal if refusal else "")
        )
        self.add_box.setEnabled(manage)
        self.add_box.setToolTip(refusal)
        for button in (self.deactivate_button, self.reset_button):
            button.setToolTip(refusal)

    # -- state ----------------------------------------------------------------------------
    def _may_manage(self) -> bool:
        ws = self._ws()
        return ws is not None and admin.can_manage(ws.actor)

    def reload(self) -> None:
        ws = self._ws()
        if ws is None:
            return
        with ws.session() as s:
            self.rows = analysts.list_all(s)
        self.table.setRowCount(len(self.rows))
        for row, a in enumerate(self.rows):
            cells = (a.name, role_label(a.role), a.timezone, self._state(a))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not a.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, column, item)
        for column in (1, 2, 3):
            self.table.resizeColumnToContents(column)
        self._show_note()
        self._update_buttons()

    def selected(self) -> analysts.AnalystInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def select(self, name: str) -> bool:
        for row, a in enumerate(self.rows):
            if a.name == name:
                self.table.setCurrentCell(row, 0)  # not selectRow (right to left)
                return True
        return False

    def _update_buttons(self) -> None:
        chosen = self.selected()
        ws = self._ws()
        me = ws.actor.name if ws is not None and ws.actor is not None else None
        ok = self._may_manage() and chosen is not None and chosen.active and chosen.name != me
        self.deactivate_button.setEnabled(ok)
        self.reset_button.setEnabled(ok)

    def _fail(self, exc: AccordError) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self._line.say(self.message, None, str(exc))

    def _done(self, text: Callable[[], str]) -> None:
        self.message.setStyleSheet("")
        self._line.say(self.message, text)

    # -- actions --------------------------------------------------------------------------
    def add(self) -> bool:
        ws = self._ws()
        name = self.name.text().strip()
        if ws is None or not name:
            return False
        try:
            added = admin.add(ws, name, str(self.role.currentData()), self.timezone.text() or "UTC")
        except AccordError as exc:
            self._fail(exc)
            return False
        self.name.clear()
        self.reload()
        self.select(added.info.name)
        info = added.info
        self._done(
            lambda: _("Added {name} ({role}).").format(name=info.name, role=role_label(info.role))
        )
        if added.one_time_passphrase:
            self._show_passphrase(added.info.name, added.one_time_passphrase, added.db_login)
        return True

    def deactivate(self) -> bool:
        ws, chosen = self._ws(), self.selected()
        if ws is None or chosen is None:
            return False
        question = _(
            "Deactivate {name}? They can no longer unlock this workspace: their key slot is "
            "removed and the workspace key is rotated (on a team database, their login is "
            "disabled). Their past work stays, signed, in the audit log."
        ).format(name=chosen.name)
        if not self.confirm(self, _("Deactivate analyst"), question):
            return False
        try:
            admin.deactivate(ws, chosen.name)
        except AccordError as exc:
            self._fail(exc)
            return False
        self.reload()
        self._done(lambda: _("{name} is deactivated.").format(name=chosen.name))
        return True

    def reset(self) -> bool:
        ws, chosen = self._ws(), self.selected()
        if ws is None or chosen is None:
            return False
        question = _(
            "Give {name} a new one-time passphrase? Their current passphrase stops working "
            "now; they choose their own again at their next unlock."
        ).format(name=chosen.name)
        if not self.confirm(self, _("New one-time passphrase"), question):
            return False
        try:
            phrase = admin.reset(ws, chosen.name)
        except AccordError as exc:
            self._fail(exc)
            return False
        self._done(lambda: _("{name} has a new one-time passphrase.").format(name=chosen.name))
        self._show_passphrase(chosen.name, phrase, None)
        return True

    def _show_passphrase(self, name: str, phrase: str, login: str | None) -> None:
        dialog = OneTimePassphraseDialog(name, phrase, login, self)
        dialog.finished.connect(lambda _result: self._forget(dialog))
        self.passphrase_dialog = dialog
        dialog.open()

    def _forget(self, dialog: OneTimePassphraseDialog) -> None:
        if self.passphrase_dialog is dialog:
            self.passphrase_dialog = None
        dialog.deleteLater()
