"""A case tab: the case's obligations earliest first, in the analyst's and partners' zones,
with the facts that start the clocks and a way to record an obligation as met."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import deadlines as dl
from app.errors import AccordError, ConflictError
from app.queueing import filters as queue_filters
from app.workspaces.lifecycle import Workspace
from i18n import _, current_language
from i18n.data import rule_text
from i18n.formatting import format_moment
from i18n.labels import deadline_state_label, fact_label
from models import Case
from views.common.datetime_field import instant_edit, instant_of
from views.common.failures import show_conflict
from views.common.flow import FlowLayout
from views.deadlines.inputs import DeadlineInputs

STATE_COLOURS = {
    "overdue": QColor("#f6c6c6"),
    "due-soon": QColor("#fbe7b5"),
    "met": QColor("#d5ecd5"),
    "met-late": QColor("#e4ecc8"),
    "not-applicable": QColor("#eeeeee"),
}


def _local_line(due_local: dict[str, str]) -> str:
    """Each zone's time, named (``format_moment``), on one line."""
    lang = current_language()
    return " · ".join(format_moment(text, lang, zone) for zone, text in due_local.items())


class DeadlinesPanel(QWidget):
    """Shows ``app.deadlines.deadlines`` for one case; edits go through the same services."""

    changed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        case_id: int,
        rules: Callable[[], dl.RuleSet] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = workspace
        self.case_id = case_id
        self._rules = rules or dl.builtin_rules
        with workspace.session() as s:
            self.key = s.scalar(select(Case.key).where(Case.id == case_id)) or ""
        self.views: list[dl.DeadlineView] = []

        self.table = QTableWidget(0, 6)
        self.table.setObjectName("deadlinesTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(24)
        # Row numbers meant nothing here (and jumped, 7 then 16, past folded rows).
        self.table.verticalHeader().setVisible(False)
        self.conflicts = QLabel()
        self.conflicts.setObjectName("conflicts")
        self.conflicts.setStyleSheet("color: #a00000; font-weight: bold")
        self.conflicts.setWordWrap(True)

        self.fact = QComboBox()
        for name in dl.known_facts(self._rules()):
            self.fact.addItem(fact_label(name), name)
        # Long fact names must not widen the case pane past its place at 1366×768.
        self.fact.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.fact.setMinimumContentsLength(10)
        # Wider where its line has room: the fact's name shows whole.
        self.fact.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.when = instant_edit("UTC")
        self.fact.currentIndexChanged.connect(lambda _i: self._bound_when(self._fact_code()))
        self._bound_when(self._fact_code())
        self.set_button = QPushButton()
        self.set_button.clicked.connect(self._on_set_fact)
        self.evidence = QLineEdit()
        self.met_button = QPushButton()
        self.met_button.clicked.connect(self._on_met)
        self.message = QLabel()

        # Both rows wrap (FlowLayout) rather than widen the case pane beside the queue: in
        # Spanish the fact row alone needed more than it has at 1366×768.
        facts = FlowLayout()
        self.fact_label = QLabel()
        facts.addWidget(self.fact_label)
        facts.addWidget(self.fact)
        facts.addWidget(self.when)
        facts.addWidget(self.set_button)
        met = FlowLayout()
        self.evidence.setMinimumWidth(self.evidence.fontMetrics().averageCharWidth() * 24)
        met.addWidget(self.evidence)
        met.addWidget(self.met_button)
        self.show_na = QCheckBox()
        self.show_na.toggled.connect(lambda _on: self._fold())
        lay = QVBoxLayout(self)
        lay.addWidget(self.conflicts)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.show_na)
        lay.addLayout(facts)
        lay.addLayout(met)
        lay.addWidget(self.message)
        # Proposed facts, duty holders and per-case overrides (issue 16's data).
        self.inputs = DeadlineInputs(workspace, self.key, self._rules, self.selected_rule)
        self.inputs.changed.connect(self._after_inputs)
        lay.addWidget(self.inputs)
        self.retranslate()
        self._stale = False
        self.reload()

    def retranslate(self) -> None:
        """The fixed strings, then the rows again (states and countdowns are words too)."""
        self.table.setHorizontalHeaderLabels(
            [
                _("State"),
                _("Due (UTC)"),
                _("Local times"),
                _("Countdown"),
                _("Jurisdiction"),
                _("Obligation"),
            ]
        )
        self.set_button.setText(_("Set fact"))
        self.evidence.setPlaceholderText(_("evidence, e.g. the submission reference"))
        self.met_button.setText(_("Mark selected as met"))
        self.fact_label.setText(_("Fact:"))
        for index in range(self.fact.count()):
            self.fact.setItemText(index, fact_label(str(self.fact.itemData(index))))
        # A hidden tab (or a closed window) reloads when shown next, not on a workspace
        # that may be locked by then.
        self._stale = not self.isVisible()
        if not self._stale:
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self._stale = False
            self.reload()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def reload(self) -> None:
        try:
            with self.ws.session() as s:
                self.views = dl.deadlines(s, self.ws.actor, self.key, self._rules())
        except AccordError as exc:
            self.message.setText(str(exc))
            return
        now = datetime.now(UTC)
        self.table.setRowCount(len(self.views))
        for row, v in enumerate(self.views):
            local = _local_line(v.due_local)
            obligation = f"{rule_text(v.obligation)} — {rule_text(v.recipient)}"
            if v.watch:
                obligation = f"[{v.owner_text}] {obligation}"
            cells = [
                v.state_text
                if v.state_text and v.state_text != v.state
                else deadline_state_label(v.state),
                format_moment(v.due_utc, current_language(), "UTC") if v.due_utc else "—",
                local,
                queue_filters.countdown(v.due_utc, now)
                if v.state not in ("met", "met-late")
                else "",
                v.jurisdiction,
                obligation,
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, v.rule)
                tip = [v.rule, v.source, rule_text(v.computation_why)]
                if v.evidence:
                    tip.append(_("evidence: {evidence}").format(evidence=v.evidence))
                if v.provenance:
                    tip.append(
                        _("rules from {origin} (sha256 {sha})").format(
                            origin=v.provenance.get("origin"),
                            sha=str(v.provenance.get("sha256"))[:12],
                        )
                    )
                lang = current_language()
                tip.extend(format_moment(when, lang, z) for z, when in v.due_local.items())
                item.setToolTip("\n".join(t for t in tip if t))
                if v.state in STATE_COLOURS:
                    item.setBackground(QBrush(STATE_COLOURS[v.state]))
                self.table.setItem(row, col, item)
        self._fold()
        self.inputs.reload()
        conflicts = [f"{v.rule}: {v.conflict}" for v in self.views if v.conflict]
        self.conflicts.setText("\n".join(conflicts))
        self.conflicts.setVisible(bool(conflicts))

    def _after_inputs(self) -> None:
        self.reload()
        self.changed.emit()

    def _fold(self) -> None:
        """Not-applicable obligations are folded away behind a count; columns fit their text
        (a case has tens of obligations, not thousands)."""
        hidden = [v.state == "not-applicable" for v in self.views]
        for row, fold in enumerate(hidden):
            self.table.setRowHidden(row, fold and not self.show_na.isChecked())
        self.show_na.setText(_("Show not-applicable obligations ({n})").format(n=sum(hidden)))
        self.show_na.setVisible(any(hidden))
        for column in range(self.table.columnCount() - 1):
            self.table.resizeColumnToContents(column)
            cap = 420 if column == 2 else 260  # the local times of two or three zones
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), cap))

    def _fact_code(self) -> str:
        return str(self.fact.currentData() or self.fact.currentText())

    def _bound_when(self, fact: str) -> None:
        """A fact records something that happened: the field stops at now, except for the
        embargo's end and a planned publication (the service refuses the same)."""
        if fact in dl.FUTURE_FACTS:
            self.when.clearMaximumDateTime()
        else:
            now = QDateTime.currentDateTimeUtc()
            self.when.setMaximumDateTime(now)
            if self.when.dateTime() > now:
                self.when.setDateTime(now)

    def select_rule(self, rule_id: str) -> bool:
        for row, v in enumerate(self.views):
            if v.rule == rule_id:
                self.table.setCurrentCell(row, 0)  # not selectRow (right to left)
                return True
        return False

    def selected_rule(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.views[rows[0].row()].rule if rows else None

    def _on_set_fact(self) -> None:
        fact = self._fact_code()
        self._bound_when(fact)  # "now" has moved on since it was bounded
        when = instant_of(self.when)
        self._run(
            lambda s: dl.set_fact(s, self.ws.require_actor(), self.key, fact, when, self._rules())
        )

    def _on_met(self) -> None:
        rule = self.selected_rule()
        if rule is None:
            self.message.setText(_("select an obligation first"))
            return
        shown = next((v.version for v in self.views if v.rule == rule), None)
        self._run(
            lambda s: dl.mark_met(
                s,
                self.ws.require_actor(),
                self.key,
                rule,
                self.evidence.text(),
                self._rules(),
                expected_version=shown,
            )
        )

    def _run(self, action: Callable[[Session], object]) -> None:
        try:
            with self.ws.session() as s:
                action(s)
        except ConflictError as exc:
            show_conflict(self, exc, self.reload)
            return
        except AccordError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        self.reload()
        self.changed.emit()
