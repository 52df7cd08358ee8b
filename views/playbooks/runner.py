"""The Playbooks tab of a case: start a playbook, work its checklist, complete or skip steps.

The checklist shows each step's state (pending, blocked, done, skipped, not applicable on a
branch not taken), owner, due time, who completed it and the branch it belongs to. Choosing
a pending step shows its checks and one field per required input (a list of the branch
values for a decision); Complete and Skip emit ``complete_requested`` / ``skip_requested``,
which the panel turns into calls of ``app.playbooks``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import playbooks
from app.casework import cases
from app.errors import AccordError, ConflictError
from app.playbooks import runner
from app.playbooks.runner import RunStatus, StepStatus
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from i18n.data import playbook_text
from i18n.labels import role_label
from views.common.failures import show_conflict
from views.common.retranslate import StatusLine
from views.queue.model import Formatter

STATE_LABELS = {
    "pending": N_("pending"),
    "blocked": N_("blocked"),
    "done": N_("done"),
    "skipped": N_("skipped"),
    "not-applicable": N_("not applicable"),
}
RUN_STATE_LABELS = {
    "running": N_("running"),
    "completed": N_("completed"),
}
STATE_COLOURS = {
    "pending": "#1f4e79",
    "blocked": "#7a7a7a",
    "done": "#1e6f5c",
    "skipped": "#8a6d1f",
    "not-applicable": "#a0a0a0",
}
ERROR_STYLE = "color: #b00020;"
COLUMNS = 6
COMPLETED_BY, BRANCH = 4, 5
SIDE_BY_SIDE = 760  # px from which the checklist and the chosen step sit side by side
# Below this width the checklist leaves out who completed each step and its branch (the
# chosen step's details say both): beside the queue at 1366x768 the list is about 450 px
# wide, and six columns left the steps' titles a few words each.
FULL_TABLE = 640


def owner_label(owner: str) -> str:
    """Who owns a step, in words: a role by its name ("coordinator" in the reader's language),
    ``partner:*`` as any partner, ``partner:CERT-EE`` as the partner's name."""
    if owner == "partner:*":
        return _("a partner")
    if owner.startswith("partner:"):
        return owner.split(":", 1)[1]
    return role_label(owner)


class PlaybookRunner(QWidget):
    """Built per case over an unlocked workspace; ``changed`` fires after every stored change."""

    start_requested = Signal(str)
    complete_requested = Signal(str, dict)
    skip_requested = Signal(str, str)
    changed = Signal()

    def __init__(
        self,
        workspace: Workspace,
        case_id: int,
        formatter: Formatter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.case_id = case_id
        self.formatter = formatter or Formatter()
        with workspace.session() as s:
            self.case_key = cases.key_for_id(s, case_id)
        self.run: RunStatus | None = None
        self.fields: dict[str, QLineEdit | QComboBox] = {}

        self.playbook_box = QComboBox()
        self._playbooks = playbooks.list_playbooks()
        for info in self._playbooks:
            self.playbook_box.addItem("", info.id)
        self.start_button = QPushButton()
        self.run_box = QComboBox()
        # Long playbook titles must not set the case pane's minimum width (it was 970 px).
        for combo in (self.playbook_box, self.run_box):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        # The run on a row of its own: beside the playbook it needed more than the case pane
        # has at 1366×768.
        self.playbook_label, self.run_label = QLabel(), QLabel()
        top = QGridLayout()
        top.addWidget(self.playbook_label, 0, 0)
        top.addWidget(self.playbook_box, 0, 1)
        top.addWidget(self.start_button, 0, 2)
        top.addWidget(self.run_label, 1, 0)
        top.addWidget(self.run_box, 1, 1, 1, 2)
        top.setColumnStretch(1, 1)

        self.table = QTableWidget(0, COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2):  # a state and an owner: a word or two (a few dozen steps)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.installEventFilter(self)

        self.step_box = QGroupBox()
        self.step_title = QLabel()
        self.step_title.setWordWrap(True)
        self.step_info = QLabel()
        self.step_info.setWordWrap(True)
        self.checks = QLabel()
        self.checks.setWordWrap(True)
        self.form = QFormLayout()
        self.complete_button = QPushButton()
        self.skip_reason = QLineEdit()
        self.skip_button = QPushButton()
        skip_row = QHBoxLayout()
        skip_row.addWidget(self.skip_reason, 1)
        skip_row.addWidget(self.skip_button)
        box = QVBoxLayout(self.step_box)
        box.addWidget(self.step_title)
        box.addWidget(self.step_info)
        box.addWidget(self.checks)
        box.addLayout(self.form)
        box.addWidget(self.complete_button)
        box.addLayout(skip_row)
        box.addStretch(1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.step_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.split = split
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        self.start_button.clicked.connect(self._on_start_clicked)
        self.run_box.currentIndexChanged.connect(self._on_run_chosen)
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.complete_button.clicked.connect(self._on_complete_clicked)
        self.skip_button.clicked.connect(self._on_skip_clicked)
        self.start_requested.connect(self.start_playbook)
        self.complete_requested.connect(self.complete_step)
        self.skip_requested.connect(self.skip_step)
        self._runs: list[RunStatus] = []
        self._line = StatusLine()  # the status line, said again in a new language
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        """The fixed strings, then the words of the rows and the step shown, in place (what
        is typed into the step's fields stays)."""
        self.start_button.setText(_("Start"))
        self.playbook_label.setText(_("Playbook"))
        self.run_label.setText(_("Run"))
        self.table.setHorizontalHeaderLabels(
            [_("State"), _("Step"), _("Owner"), _("Due"), _("Completed by"), _("Branch")]
        )
        self.step_box.setTitle(_("Step"))
        self.complete_button.setText(_("Complete"))
        self.skip_reason.setPlaceholderText(_("Reason for skipping (required)"))
        self.skip_button.setText(_("Skip"))
        for index, info in enumerate(self._playbooks):
            self.playbook_box.setItemText(index, f"{playbook_text(info.title)} ({info.version})")
        for index, st in enumerate(self._runs):
            self.run_box.setItemText(index, self._run_title(st))
        steps = self.run.steps if self.run else ()
        for row, step in enumerate(steps):
            for col in range(COLUMNS):
                item = self.table.item(row, col)
                if item is None:
                    continue
                if col == 0:
                    item.setText(_(STATE_LABELS.get(step.state, step.state)))
                elif col == 1:
                    item.setText(playbook_text(step.title))
                elif col == 2:
                    item.setText(owner_label(step.owner))
                if step.state == "blocked" and step.blocked_by:
                    item.setToolTip(self._waiting(step))
        sid = self.selected_step_id()
        chosen = next((st for st in steps if st.id == sid), None)
        if chosen is None:
            self.step_title.setText(_("No step chosen."))
        else:
            self._show_step_texts(chosen)
        self._line.again(self.status)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.status, text, shown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _run_title(st: RunStatus) -> str:
        return _("{title} — {state}").format(
            title=playbook_text(st.title), state=_(RUN_STATE_LABELS.get(st.state, st.state))
        )

    @staticmethod
    def _waiting(step: StepStatus) -> str:
        return _("Waiting for: {steps}").format(steps=", ".join(step.blocked_by))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.Resize:
            narrow = self.table.width() < FULL_TABLE
            for column in (COMPLETED_BY, BRANCH):
                self.table.setColumnHidden(column, narrow)
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Beside the queue (about 480 px at 1366×768) the step goes under the checklist, which
        # then keeps the whole width; a wide pane or window has them side by side.
        wide = event.size().width() >= SIDE_BY_SIDE
        self.split.setOrientation(Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical)
        super().resizeEvent(event)

    # -- data ---------------------------------------------------------------------------------
    def reload(self, playbook_id: str | None = None) -> None:
        """Read the case's runs; show ``playbook_id``'s run (or the one shown, or the newest)."""
        wanted = playbook_id or (self.run.playbook if self.run else None)
        with self.workspace.session() as s:
            all_runs = runner.runs(s, self.case_key)
        self.run_box.blockSignals(True)
        self.run_box.clear()
        self._runs = list(all_runs)
        for st in all_runs:
            self.run_box.addItem(self._run_title(st), st.playbook)
        chosen = next((r for r in all_runs if r.playbook == wanted), None)
        self.run = chosen or (all_runs[0] if all_runs else None)
        if self.run is not None:
            self.run_box.setCurrentIndex(self.run_box.findData(self.run.playbook))
        self.run_box.blockSignals(False)
        self._fill_table()

    def _fill_table(self) -> None:
        selected = self.selected_step_id()
        steps = self.run.steps if self.run else ()
        self.table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            due = self.formatter.moment(step.due_utc) if step.due_utc else "—"
            cells = [
                _(STATE_LABELS.get(step.state, step.state)),
                playbook_text(step.title),
                owner_label(step.owner),
                due,
                step.completed_by or "",
                step.branch or "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, step.id)
                item.setForeground(QBrush(QColor(STATE_COLOURS.get(step.state, "#000000"))))
                if step.state == "not-applicable":
                    font = QFont()
                    font.setStrikeOut(True)
                    item.setFont(font)
                elif step.state == "pending" and col == 0:
                    font = QFont()
                    font.setBold(True)
                    item.setFont(font)
                if step.state == "blocked" and step.blocked_by:
                    item.setToolTip(self._waiting(step))
                self.table.setItem(row, col, item)
        open_states = ("pending", "blocked")
        if selected and any(s.id == selected and s.state in open_states for s in steps):
            self.select_step(selected)
        else:
            first = next((s.id for s in steps if s.state == "pending"), None)
            if first:
                self.select_step(first)
            else:
                self._show_step(None)

    # -- selection ----------------------------------------------------------------------------
    def row_of(self, step_id: str) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == step_id:
                return row
        return -1

    def select_step(self, step_id: str) -> None:
        row = self.row_of(step_id)
        if row >= 0:
            self.table.setCurrentCell(row, 0)  # not selectRow (right to left)
            self._show_selected()

    def selected_step_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _show_selected(self) -> None:
        sid = self.selected_step_id()
        step = next((s for s in self.run.steps if s.id == sid), None) if self.run else None
        self._show_step(step)

    def _show_step(self, step: StepStatus | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = {}
        if step is None:
            self.step_title.setText(_("No step chosen."))
            self.step_info.clear()
            self.checks.clear()
            self.complete_button.setEnabled(False)
            self.skip_button.setEnabled(False)
            return
        self._show_step_texts(step)
        # On a partner's mirrored run only the steps it gave us are ours (step.local).
        editable = step.state == "pending" and step.local
        for name in step.inputs:
            value = step.outputs.get(name)
            field: QLineEdit | QComboBox
            if name == step.decision_input:
                field = QComboBox()
                field.addItems(list(step.branch_values))
                if value is not None:
                    field.setCurrentText(str(value))
            else:
                field = QLineEdit("" if value is None else str(value))
            field.setObjectName(f"input-{name}")
            field.setEnabled(editable)
            self.fields[name] = field
            self.form.addRow(name.replace("_", " "), field)
        self.complete_button.setEnabled(editable)
        self.skip_button.setEnabled(
            step.state in ("pending", "blocked")
            and not step.decision_input
            and (step.local or not (self.run and self.run.origin_case))
        )

    def _show_step_texts(self, step: StepStatus) -> None:
        self.step_title.setText(f"<b>{html.escape(playbook_text(step.title))}</b>")
        self.step_info.setText(self._step_info(step))
        self.checks.setText("\n".join(f"☐ {playbook_text(c)}" for c in step.checks))

    def _step_info(self, step: StepStatus) -> str:
        info = [_("Owner: {owner}").format(owner=owner_label(step.owner))]
        info.append(_("State: {state}").format(state=_(STATE_LABELS.get(step.state, step.state))))
        if step.completed_by:
            info.append(_("Completed by: {who}").format(who=step.completed_by))
        if step.branch:
            info.append(_("Branch: {branch}").format(branch=step.branch))
        if step.blocked_by:
            info.append(self._waiting(step))
        if step.skip_reason:
            info.append(_("Skipped: {reason}").format(reason=step.skip_reason))
        if step.partner_fingerprint:
            info.append(_("Signed by {fpr}").format(fpr=step.partner_fingerprint))
        if self.run is not None and self.run.origin_case and not step.local:
            info.append(
                _("The partner's run of {key}: this step is theirs.").format(
                    key=self.run.origin_case
                )
            )
        if step.owner.startswith("partner:") and step.state == "pending" and not step.local:
            info.append(_("The partner completes this step; it returns in their bundle."))
        return "\n".join(info)

    def outputs(self) -> dict[str, Any]:
        return {
            name: (f.currentText() if isinstance(f, QComboBox) else f.text())
            for name, f in self.fields.items()
        }

    # -- intents ------------------------------------------------------------------------------
    def _on_start_clicked(self) -> None:
        self.start_requested.emit(str(self.playbook_box.currentData()))

    def _on_run_chosen(self, index: int) -> None:
        if index >= 0:
            self.reload(str(self.run_box.itemData(index)))

    def _on_complete_clicked(self) -> None:
        sid = self.selected_step_id()
        if sid:
            self.complete_requested.emit(sid, self.outputs())

    def _on_skip_clicked(self) -> None:
        sid = self.selected_step_id()
        if sid:
            self.skip_requested.emit(sid, self.skip_reason.text())

    # -- services -----------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, playbook: str | None = None, **kw: Any) -> bool:
        try:
            with self.workspace.session() as s:
                fn(s, self.workspace.require_actor(), self.case_key, *args, **kw)
        except ConflictError as exc:
            show_conflict(self, exc, lambda: self.reload(playbook))
            return False
        except AccordError as exc:
            self.status.setStyleSheet(ERROR_STYLE)
            self._say(None, str(exc))
            return False
        self.status.setStyleSheet("")
        self.reload(playbook)
        self.changed.emit()
        return True

    def start_playbook(self, playbook_id: str) -> None:
        if self._call(playbooks.start, playbook_id, playbook=playbook_id):
            self._say(lambda: _("Started {playbook}.").format(playbook=playbook_id))

    def complete_step(self, step_id: str, outputs: dict[str, Any]) -> None:
        pid = self.run.playbook if self.run else None
        shown = (
            next((st.version for st in self.run.steps if st.id == step_id), None)
            if self.run
            else None
        )
        if self._call(
            playbooks.complete, step_id, outputs, playbook_id=pid, expected_version=shown
        ):
            self._say(lambda: _("Completed {step}.").format(step=step_id))

    def skip_step(self, step_id: str, reason: str) -> None:
        pid = self.run.playbook if self.run else None
        if self._call(playbooks.skip, step_id, reason, playbook_id=pid):
            self.skip_reason.clear()
            self._say(lambda: _("Skipped {step}.").format(step=step_id))
