"""The New case dialog: title, description, TLP and jurisdictions, opened in one audited
transaction (``app.casework.summary.open_case``, as ``accord case new``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import trust
from app.casework import cases, summary
from app.deadlines.rules import RuleSet
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from i18n.data import jurisdiction_text
from views.common.retranslate import relabel

ERROR_STYLE = "color: #b00020;"
# Reports of AI vulnerabilities start out restricted; anyone may raise it later, lowering it
# is a coordinator's recorded downgrade.
DEFAULT_TLP = "AMBER"


class NewCaseDialog(QDialog):
    """``created(case_id, key)`` once the case is stored; errors keep the dialog open."""

    created = Signal(int, str)

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        rules: Callable[[], RuleSet],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws = workspace
        self._rules = rules
        self.title = QLineEdit()
        self.description = QPlainTextEdit()
        self.tlp = QComboBox()
        for label in trust.TLP_ORDER:
            self.tlp.addItem("TLP:" + label, label)
        self.tlp.setCurrentIndex(trust.TLP_ORDER.index(DEFAULT_TLP))
        self.description.setMaximumHeight(140)
        self.jurisdictions = QListWidget()
        self.jurisdictions.setObjectName("newCaseJurisdictions")
        # Long rule-set names are elided (the full name is the item's tooltip), no sideways
        # scrolling in a form.
        self.jurisdictions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.jurisdictions.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.jurisdictions.setMinimumHeight(220)
        self._names = {j.code: j.names for j in summary.jurisdictions(rules())}
        for code in self._names:
            item = QListWidgetItem(code)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.jurisdictions.addItem(item)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        # Buttons of our own, not standard ones: a language switch would name those Qt's way.
        self.buttons = QDialogButtonBox()
        ok, self.cancel_button = QPushButton(), QPushButton()
        self.ok_button = ok
        self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        ok.setEnabled(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.title.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))

        form = self.form = QFormLayout()
        form.addRow(_("Title"), self.title)
        form.addRow(_("Description"), self.description)
        form.addRow(_("TLP"), self.tlp)
        form.addRow(_("Jurisdictions"), self.jurisdictions)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(640, 520)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(_("New case"))
        self.title.setPlaceholderText(_("What is vulnerable, and how (one line)"))
        self.description.setPlaceholderText(_("What was reported, by whom, and what is known"))
        self.ok_button.setText(_("Open case"))
        self.cancel_button.setText(_("Cancel"))
        relabel(
            self.form,
            (
                (self.title, N_("Title")),
                (self.description, N_("Description")),
                (self.tlp, N_("TLP")),
                (self.jurisdictions, N_("Jurisdictions")),
            ),
        )
        for index in range(self.jurisdictions.count()):
            item = self.jurisdictions.item(index)
            code = str(item.data(Qt.ItemDataRole.UserRole))
            names = [jurisdiction_text(n) for n in self._names.get(code, ())]
            item.setText(f"{code} — {'; '.join(names)}")
            item.setToolTip("\n".join(names))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def chosen_codes(self) -> list[str]:
        items = (self.jurisdictions.item(i) for i in range(self.jurisdictions.count()))
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def check(self, code: str, on: bool = True) -> None:
        """Tick (or untick) a jurisdiction by its code."""
        for i in range(self.jurisdictions.count()):
            item = self.jurisdictions.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == code:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def submit(self) -> None:
        ws = self._ws()
        if ws is None:
            return
        title = self.title.text().strip()
        if not title:
            self.error.setText(_("Give the case a title."))
            self.title.setFocus()
            return
        try:
            with ws.session() as s:
                key = summary.open_case(
                    s, ws.require_actor(), title, self.description.toPlainText().strip(),
                    tlp=str(self.tlp.currentData()), codes=self.chosen_codes(),
                    rules=self._rules(),
                )  # fmt: skip
                case_id = cases.get_case(s, key).id
        except AccordError as exc:
            self.error.setText(str(exc))
            return
        self.error.clear()
        self.created.emit(case_id, key)
        self.accept()
