"""Saved queue filters and bulk assignment for shift leads: an add-on bar for the queue.

The bar drives the queue panel through its public ``set_query`` (the panel's own filter
boxes follow) and shows whatever the panel reports through ``show_spec``, so the two bars
always say the same. It reads the selection through a callable; bulk assignment of more than
one case asks first (default No) and is one undo step (one transaction each way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.errors import AccordError
from app.queueing import filters as queue_filters
from app.queueing.queue import QueueQuery, default_query
from app.workspaces.lifecycle import Workspace
from i18n import _, ngettext

WorkspaceGetter = Callable[[], Workspace | None]


class QueryTarget(Protocol):
    def set_query(self, query: QueueQuery) -> None: ...


class BulkAssignCommand(QUndoCommand):
    """Assign many cases at once; undo gives each its previous assignee back."""

    def __init__(
        self,
        workspace: WorkspaceGetter,
        keys: Sequence[str],
        analyst: str | None,
        on_change: Callable[[], None],
    ) -> None:
        super().__init__(
            _("Assign {n} cases to {analyst}").format(n=len(keys), analyst=analyst or _("nobody"))
        )
        self._workspace = workspace
        self.keys = list(keys)
        self.analyst = analyst
        self.previous: dict[str, str | None] = {}
        self._on_change = on_change
        self._skip = False

    def _ws(self) -> Workspace:
        ws = self._workspace()
        if ws is None:
            raise AccordError(_("the workspace is locked"))
        return ws

    def execute(self) -> None:
        """Assign now (raises if refused), so the first ``redo`` on push is skipped."""
        ws = self._ws()
        with ws.session() as s:
            self.previous = queue_filters.bulk_assign(
                s, ws.require_actor(), self.keys, self.analyst
            )
        self._skip = True
        self._on_change()

    def redo(self) -> None:
        if self._skip:
            self._skip = False
            return
        ws = self._ws()
        with ws.session() as s:
            self.previous = queue_filters.bulk_assign(
                s, ws.require_actor(), self.keys, self.analyst
            )
        self._on_change()

    def undo(self) -> None:
        ws = self._ws()
        with ws.session() as s:
            queue_filters.restore_assignees(s, ws.require_actor(), self.previous)
        self._on_change()


class SavedFiltersBar(QWidget):
    """A saved-filter selector and a bulk-assign control over a queue model."""

    filter_applied = Signal(str)
    error = Signal(str)

    def __init__(
        self,
        workspace: WorkspaceGetter,
        target: QueryTarget,
        selected_keys: Callable[[], list[str]],
        undo_stack: QUndoStack,
        on_change: Callable[[], None] | None = None,
        all_keys: Callable[[], list[str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._all = all_keys
        self._workspace = workspace
        self._target = target
        self._selected = selected_keys
        self.undo_stack = undo_stack
        self._on_change = on_change or (lambda: None)
        self.filters = QComboBox()
        self.filters.setEditable(True)
        self.filters.setObjectName("savedFilters")
        self.filters.addItem(_("(no filter)"), "")
        for name, label in queue_filters.SAVED:
            self.filters.addItem(_(label), name)
        self.filters.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.filters.activated.connect(self._apply_current)
        line = self.filters.lineEdit()
        assert line is not None  # the combo box is editable
        line.returnPressed.connect(self._apply_current)
        self.assignee = QComboBox()
        self.assignee.setObjectName("bulkAssignee")
        self.assign_button = QPushButton(_("Assign selected"))
        self.assign_button.clicked.connect(self.assign_selected)
        self.assign_all_button = QPushButton(_("Assign all shown"))
        self.assign_all_button.clicked.connect(self.assign_all)
        self.assign_all_button.setVisible(all_keys is not None)
        self.message = QLabel()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        self.filter_label, self.assignee_label = QLabel(_("Filter:")), QLabel(_("Assign to:"))
        lay.addWidget(self.filter_label)
        lay.addWidget(self.filters, 2)
        lay.addWidget(self.assignee_label)
        lay.addWidget(self.assignee, 1)
        lay.addWidget(self.assign_button)
        lay.addWidget(self.assign_all_button)
        lay.addWidget(self.message, 2)
        self.confirm: Callable[[int, str], bool] = self._ask
        self.reload_analysts()

    def retranslate(self) -> None:
        """Redo the fixed strings after a language switch; the chosen filter stays."""
        self.filter_label.setText(_("Filter:"))
        self.assignee_label.setText(_("Assign to:"))
        self.assign_button.setText(_("Assign selected"))
        self.assign_all_button.setText(_("Assign all shown"))
        self.filters.setItemText(0, _("(no filter)"))
        for index, (_name, label) in enumerate(queue_filters.SAVED, start=1):
            self.filters.setItemText(index, _(label))
        if self.assignee.count():
            self.assignee.setItemText(0, _("(unassigned)"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def reload_analysts(self) -> None:
        ws = self._workspace()
        self.assignee.clear()
        self.assignee.addItem(_("(unassigned)"), None)
        for name in ws.analyst_names() if ws else []:
            self.assignee.addItem(name, name)

    def add_filter(self, spec: str, label: str | None = None) -> None:
        """Offer a filter (e.g. ``jurisdiction:EU``) in the selector."""
        if self.filters.findData(spec) < 0:
            self.filters.addItem(label or spec, spec)

    def apply(self, spec: str) -> bool:
        """Filter the queue by ``spec``; an unknown spec shows why and changes nothing."""
        try:
            # "(no filter)": every state, still most urgent first.
            query = queue_filters.parse(spec).query if spec else everything()
        except AccordError as exc:
            self.message.setText(str(exc))
            self.error.emit(str(exc))
            return False
        self.add_filter(spec)
        self.filters.setCurrentIndex(self.filters.findData(spec))
        self._target.set_query(query)
        self.message.setText("")
        self.filter_applied.emit(spec)
        return True

    def show_spec(self, spec: str) -> None:
        """Show the filter the queue now stands for (after a change in the queue's own bar)."""
        index = self.filters.findData(spec)
        if index >= 0:
            self.filters.setCurrentIndex(index)
        else:
            self.filters.setCurrentIndex(-1)
            self.filters.setEditText(spec)

    def _apply_current(self, *_args: object) -> None:
        """A chosen item applies its filter; typed text is read as a filter spec."""
        text = self.filters.currentText().strip()
        index = self.filters.findText(text)
        self.apply(str(self.filters.itemData(index) or "") if index >= 0 else text)

    def assign_selected(self) -> bool:
        return self._assign(self._selected())

    def assign_all(self) -> bool:
        """Assign every case the current filter shows, as one undo step."""
        return self._assign(self._all() if self._all else [])

    def _assign(self, keys: list[str]) -> bool:
        if not keys:
            self.message.setText(_("select cases in the queue first"))
            return False
        analyst = self.assignee.currentData()
        if len(keys) > 1 and not self.confirm(len(keys), self.assignee.currentText()):
            self.message.setText(_("nothing assigned"))
            return False
        cmd = BulkAssignCommand(self._workspace, keys, analyst, self._on_change)
        try:
            cmd.execute()
        except AccordError as exc:
            self.message.setText(str(exc))
            self.error.emit(str(exc))
            return False
        self.undo_stack.push(cmd)
        self.message.setText(cmd.text())
        return True

    def _ask(self, n: int, target: str) -> bool:
        """Ask before a change to many cases, naming the count and the target; No by default."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Assign cases"),
            ngettext("Assign {n} case to {target}?", "Assign {n} cases to {target}?", n).format(
                n=n, target=target
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("confirmBulkAssign")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setInformativeText(_("Undo (Ctrl+Z) gives every case its previous assignee back."))
        return box.exec() == QMessageBox.StandardButton.Yes


def everything() -> QueueQuery:
    """Every case in every state, next deadline first."""
    return QueueQuery(sort=default_query().sort)
