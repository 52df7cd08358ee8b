"""The Deadlines tab's lower section (issue 16's data, issue 15's screen): dated facts
proposed from the case's documents (accept or reject), the duty-holder roles on the case,
and a per-case override of one rule's period with its reason. Every action goes through
``app.deadlines`` (which checks and audits it); this widget only shows and asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app import deadlines as dl
from app.casework.cases import get_case
from app.deadlines import evidence
from app.deadlines.casedata import overrides_of, roles_of
from app.deadlines.rules import COMPUTATIONS, DUTY_HOLDERS, THIS_CERT
from app.errors import AccordError, ConflictError
from app.workspaces.lifecycle import Workspace
from i18n import _, current_language
from i18n.formatting import format_moment
from i18n.labels import computation_label, duty_holder_label, fact_label
from views.common.failures import show_conflict
from views.common.flow import FlowLayout
from views.common.time_zone import reader_zone


class DeadlineInputs(QWidget):
    """Proposals, roles and overrides of one case; ``changed`` after any recorded change."""

    changed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        key: str,
        rules: Callable[[], dl.RuleSet],
        selected_rule: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.key = key
        self._rules = rules
        self._selected_rule = selected_rule
        self.proposal_rows: list[evidence.ProposalView] = []

        self.proposals_box = QGroupBox()
        self.proposals = QTableWidget(0, 3)
        self.proposals.setObjectName("factProposals")
        self.proposals.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.proposals.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.proposals.verticalHeader().setVisible(False)
        self.proposals.verticalHeader().setDefaultSectionSize(24)
        self.proposals.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.proposals.setMaximumHeight(120)
        self.accept_button, self.reject_button = QPushButton(), QPushButton()
        self.accept_button.clicked.connect(lambda: self._decide(True))
        self.reject_button.clicked.connect(lambda: self._decide(False))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        box = QVBoxLayout(self.proposals_box)
        box.addWidget(self.proposals)
        box.addLayout(buttons)

        self.roles_box = QGroupBox()
        self.roles_text = QLabel()
        self.roles_text.setWordWrap(True)
        self.roles_text.setTextFormat(Qt.TextFormat.PlainText)
        self.role = QComboBox()
        for role in DUTY_HOLDERS:
            if role != THIS_CERT:
                self.role.addItem(duty_holder_label(role), role)
        self.party = QLineEdit()
        self.add_role_button, self.remove_role_button = QPushButton(), QPushButton()
        self.add_role_button.clicked.connect(lambda: self._roles(add=True))
        self.remove_role_button.clicked.connect(lambda: self._roles(add=False))
        # Rows of fields and buttons wrap (FlowLayout) rather than widen the case pane.
        roles = QVBoxLayout(self.roles_box)
        roles.addWidget(self.roles_text)
        role_row = FlowLayout()
        self.party.setMinimumWidth(self.party.fontMetrics().averageCharWidth() * 16)
        for widget in (self.role, self.party, self.add_role_button, self.remove_role_button):
            role_row.addWidget(widget)
        roles.addLayout(role_row)

        self.override_box = QGroupBox()
        self.override_text = QLabel()
        self.override_text.setWordWrap(True)
        self.override_text.setTextFormat(Qt.TextFormat.PlainText)
        self.amount = QSpinBox()
        self.amount.setRange(-1, 100000)
        self.amount.setValue(-1)  # -1: keep the rule's amount
        self.computation = QComboBox()
        self.override_reason = QLineEdit()
        self.override_button, self.reset_button = QPushButton(), QPushButton()
        self.override_button.clicked.connect(lambda: self._override(reset=False))
        self.reset_button.clicked.connect(lambda: self._override(reset=True))
        # Period on one row, reason and buttons on the next: on one row they needed 560 px.
        override = QVBoxLayout(self.override_box)
        override.addWidget(self.override_text)
        period, reason = FlowLayout(), FlowLayout()
        self.computation.setSizePolicy(
            QSizePolicy.Policy.Expanding, self.computation.sizePolicy().verticalPolicy()
        )
        period.addWidget(self.amount)
        period.addWidget(self.computation)
        self.override_reason.setMinimumWidth(
            self.override_reason.fontMetrics().averageCharWidth() * 16
        )
        for widget in (self.override_reason, self.override_button, self.reset_button):
            reason.addWidget(widget)
        override.addLayout(period)
        override.addLayout(reason)
        # Long labels in the lists must not widen the case pane past its place (1366×768).
        for combo in (self.role, self.computation):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.proposals_box)
        lay.addWidget(self.roles_box)
        lay.addWidget(self.override_box)
        lay.addWidget(self.message)
        self.retranslate()

    # -- strings ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.proposals_box.setTitle(_("Dated facts found in the case's documents"))
        self.proposals.setHorizontalHeaderLabels([_("Fact"), _("When"), _("Source")])
        self.accept_button.setText(_("Accept selected"))
        self.reject_button.setText(_("Reject selected"))
        self.roles_box.setTitle(_("Duty holders on this case"))
        self.party.setPlaceholderText(_("party, e.g. Vendor X (empty: unnamed)"))
        self.add_role_button.setText(_("Add role"))
        self.remove_role_button.setText(_("Remove role"))
        self.override_box.setTitle(_("Override the selected obligation's period"))
        self.amount.setSpecialValueText(_("rule's amount"))
        self.amount.setToolTip(_("the offset in the rule's own unit"))
        current = self.computation.currentData()
        self.computation.clear()
        self.computation.addItem(_("rule's computation"), None)
        for name in COMPUTATIONS:
            self.computation.addItem(computation_label(name), name)
        for index in range(self.role.count()):
            self.role.setItemText(index, duty_holder_label(str(self.role.itemData(index))))
        self.computation.setCurrentIndex(max(self.computation.findData(current), 0))
        self.override_reason.setPlaceholderText(_("reason (required, audited)"))
        self.override_button.setText(_("Override"))
        self.reset_button.setText(_("Back to the rule"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- content ----------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            with self.ws.session() as s:
                self.proposal_rows = evidence.proposals(s, self.key)
                case = get_case(s, self.key)
                roles = roles_of(s, case.id)
                overrides = overrides_of(s, case.id)
        except AccordError as exc:
            self.message.setText(str(exc))
            return
        lang, zone = current_language(), reader_zone(self.ws)
        self.proposals.setRowCount(len(self.proposal_rows))
        for row, p in enumerate(self.proposal_rows):
            cells = (fact_label(p.name), format_moment(p.at, lang, zone), p.source)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                item.setToolTip(text)
                self.proposals.setItem(row, col, item)
        self.proposals.resizeColumnToContents(0)
        self.proposals.resizeColumnToContents(1)
        self.proposals_box.setVisible(bool(self.proposal_rows))
        self.roles_text.setText(
            "\n".join(
                f"{duty_holder_label(role)}: {', '.join(p or '—' for p in parties)}"
                for role, parties in roles.items()
            )
            or _("No duty-holder role recorded: obligations of others are not tracked.")
        )
        lines = [
            _("{rule}: {what} — {reason}").format(
                rule=rule,
                what=", ".join(
                    [str(o.amount)] * (o.amount is not None)
                    + [computation_label(o.computation)] * (o.computation is not None)
                ),
                reason=o.reason,
            )
            for rule, o in sorted(overrides.items())
        ]
        self.override_text.setText(
            "\n".join(lines) or _("Select an obligation above; no override on this case.")
        )

    # -- actions ----------------------------------------------------------------------------
    def selected_proposals(self) -> list[int]:
        rows = {i.row() for i in self.proposals.selectionModel().selectedRows()}
        return [self.proposal_rows[r].id for r in sorted(rows)]

    def _decide(self, accept: bool) -> None:
        ids = self.selected_proposals()
        if not ids:
            self.message.setText(_("select a proposal first"))
            return
        self._run(lambda s: evidence.decide(s, self.ws.require_actor(), ids, accept, self._rules()))

    def _roles(self, *, add: bool) -> None:
        item = str(self.role.currentData())
        party = self.party.text().strip()
        pair = dl.parse_role(f"{item}={party}" if party else item)
        added, removed = ([pair], []) if add else ([], [pair])
        self._run(lambda s: dl.set_roles(s, self.ws.require_actor(), self.key, added, removed))

    def _override(self, *, reset: bool) -> None:
        rule = self._selected_rule()
        if rule is None:
            self.message.setText(_("select an obligation first"))
            return
        amount = self.amount.value() if self.amount.value() >= 0 else None
        computation = self.computation.currentData()

        def action(s: Session) -> Any:
            return dl.set_override(
                s, self.ws.require_actor(), self.key, rule,
                dl.deadlines_rules_for_case(s, self.key, self._rules()),
                amount=amount, computation=computation, reason=self.override_reason.text(),
                reset=reset,
            )  # fmt: skip

        if self._run(action):
            self.override_reason.clear()

    def _run(self, action: Callable[[Session], object]) -> bool:
        try:
            with self.ws.session() as s:
                action(s)
        except ConflictError as exc:
            show_conflict(self, exc, self.reload)
            return False
        except AccordError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("")
        self.reload()
        self.changed.emit()
        return True
