"""The queue panel: status and assignee filters, a debounced full-text search, the table.

Emits ``case_selected(case_id)`` (0 when nothing is selected); it never touches the database
itself, the model does, through ``app.queue``.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.workflow import OPEN_STATES
from i18n import _, ngettext
from models import CaseStatus
from views.queue_model import QueueModel, status_label

ROW_HEIGHT = 24
COLUMN_WIDTHS = (120, 380, 110, 100, 110, 150, 90, 160)
ALL, OPEN = "", "@open"
ANYONE = ""


class QueueView(QTableView):
    """The table: whole-row single selection, fixed row height, sorting by every column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Several rows for bulk work (Shift/Ctrl); the current row drives the detail pane.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        vh.setVisible(False)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setSortIndicatorShown(True)
        hh.setSectionsMovable(True)

    def selectionCommand(
        self, index: QModelIndex, event: QEvent | None = None
    ) -> QItemSelectionModel.SelectionFlag:
        # In extended mode Qt moves only the cursor on Ctrl+Home/End; jumping to the first or
        # last case should select it (and show its detail), as plain arrow keys do.
        if (
            isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Home, Qt.Key.Key_End)
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        ):
            return (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
        return super().selectionCommand(index, event)

    def apply_default_widths(self) -> None:
        for column, width in enumerate(COLUMN_WIDTHS):
            self.setColumnWidth(column, width)


class QueuePanel(QWidget):
    """Filters above the table. ``search_delay_ms`` debounces typing in the search box."""

    case_selected = Signal(int)

    def __init__(
        self, model: QueueModel, search_delay_ms: int = 200, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.model = model
        self.status_label = QLabel()
        self.status_filter = QComboBox()
        self.assignee_label = QLabel()
        self.assignee_filter = QComboBox()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.table = QueueView()
        self.table.setModel(model)
        self.table.apply_default_widths()
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(search_delay_ms)
        self._debounce.timeout.connect(self.apply_filters)

        bar = QHBoxLayout()
        bar.addWidget(self.status_label)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.assignee_label)
        bar.addWidget(self.assignee_filter)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self.search.textEdited.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        self.status_filter.activated.connect(lambda _i: self.apply_filters())
        self.assignee_filter.activated.connect(lambda _i: self.apply_filters())
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self._remembered = 0
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self._restore)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self._clear_search)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.retranslate()

    def retranslate(self) -> None:
        """Every visible string of this panel, so a language switch can redo them."""
        self.status_label.setText(_("Status"))
        self.assignee_label.setText(_("Assignee"))
        self.search.setPlaceholderText(_("Search cases and reports (Ctrl+F)"))
        self.status_filter.setToolTip(_("Show only cases in this state"))
        self.assignee_filter.setToolTip(_("Show only cases assigned to"))
        current = self.status_filter.currentData()
        self.status_filter.clear()
        self.status_filter.addItem(_("All states"), ALL)
        self.status_filter.addItem(_("Open cases"), OPEN)
        for status in CaseStatus:
            self.status_filter.addItem(status_label(status.value), status.value)
        self._select_data(self.status_filter, current if current is not None else ALL)
        combo = self.assignee_filter
        self.set_analysts([combo.itemData(i) for i in range(3, combo.count())])
        self._update_count()

    def set_analysts(self, names: list[str]) -> None:
        current = self.assignee_filter.currentData()
        self.assignee_filter.clear()
        self.assignee_filter.addItem(_("Anyone"), ANYONE)
        self.assignee_filter.addItem(_("Me"), "me")
        self.assignee_filter.addItem(_("Unassigned"), "unassigned")
        for name in names:
            self.assignee_filter.addItem(name, name)
        self._select_data(self.assignee_filter, current if current is not None else ANYONE)

    def set_search_delay(self, ms: int) -> None:
        self._debounce.setInterval(ms)

    def apply_filters(self) -> None:
        """Read the filter widgets and re-run the query in SQL; keep the selected case."""
        self._debounce.stop()
        status = self.status_filter.currentData() or ALL
        if status == OPEN:
            statuses: tuple[str, ...] = tuple(sorted(s.value for s in OPEN_STATES))
        elif status:
            statuses = (status,)
        else:
            statuses = ()
        self.model.update_query(
            statuses=statuses,
            assignee=self.assignee_filter.currentData() or None,
            text=self.search.text().strip(),
        )

    def selected_case_id(self) -> int:
        selection = self.table.selectionModel()
        current = self.table.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), QModelIndex()):
            return self.model.case_id(current.row())
        rows = selection.selectedRows()
        return self.model.case_id(rows[0].row()) if rows else 0

    def select_case(self, case_id: int) -> bool:
        """Select the row of ``case_id`` if it is in the queue; else clear the selection."""
        row = self.model.row_of(case_id) if case_id else None
        if row is None:
            self.table.clearSelection()
            self.case_selected.emit(0)
            return False
        index = self.model.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row, 0)
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_now(self) -> None:
        self.apply_filters()
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.selected_case_id() == 0:
            self.select_row(0)

    def _clear_search(self) -> None:
        if self.search.text():
            self.search.clear()
            self.apply_filters()
        else:
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _remember(self) -> None:
        self._remembered = self.selected_case_id()

    def _restore(self) -> None:
        """After a re-query, select the same case again when it is still in the queue."""
        self._update_count()
        row = self.model.row_of(self._remembered) if self._remembered else None
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.case_selected.emit(self.selected_case_id())

    def _update_count(self, *_args: object) -> None:
        n = self.model.rowCount(QModelIndex())
        self.count_label.setText(ngettext("{n} case", "{n} cases", n).format(n=n))

    @staticmethod
    def _select_data(combo: QComboBox, data: object) -> None:
        i = combo.findData(data)
        combo.setCurrentIndex(max(i, 0))
