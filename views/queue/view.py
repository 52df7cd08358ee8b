"""The queue panel: status and assignee filters, a debounced full-text search, the table.

Emits ``case_selected(case_id)`` (0 when nothing is selected, e.g. when the shown case left
the list); it never touches the database itself, the model does, through ``app.queueing.queue``. A
saved filter reaches it through ``set_query``/``apply_spec``, and ``filters_changed`` tells
the saved-filter bar what the combo boxes now say, so the two bars agree. The row context
menu asks for actions through ``*_requested`` signals; the main window carries them out.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.casework import workflow
from app.errors import AccordError
from app.queueing import filters as queue_filters
from app.queueing.queue import COLUMN_KEYS, SORTABLE, QueueQuery, default_query
from i18n import _, ngettext
from models import CaseStatus
from views.queue.model import TIER_ROLE, TLP_ROLE, QueueModel, status_label

ROW_HEIGHT = 24
# Key, Title, Status, Tier, Next deadline, Assignee fit in 860 px (a 1366 px screen keeps
# about 500 for the detail pane); TLP, Age and Partners follow.
COLUMN_WIDTHS = (118, 290, 104, 96, 130, 110, 110, 90, 160)
KEY_COLUMNS = 6
ALL, OPEN = "", "@open"
ANYONE = ""
# Chip colours (background, text). TLP follows FIRST's TLP 2.0: coloured text on black.
TIER_CHIPS: dict[str, tuple[str, str]] = {
    "Critical": ("#7f0000", "#ffffff"),
    "High": ("#d32f2f", "#ffffff"),
    "Medium": ("#f9a825", "#1f1f1f"),
    "Low": ("#2e7d32", "#ffffff"),
    "Informational": ("#546e7a", "#ffffff"),
}
TLP_CHIPS: dict[str, tuple[str, str]] = {
    "RED": ("#000000", "#ff2b2b"),
    "AMBER+STRICT": ("#000000", "#ffc000"),
    "AMBER": ("#000000", "#ffc000"),
    "GREEN": ("#000000", "#33ff00"),
    "CLEAR": ("#000000", "#ffffff"),
}


class ChipDelegate(QStyledItemDelegate):
    """Paints the tier and TLP cells as coloured chips; the text stays the model's (so a screen
    reader and a copy read the same words)."""

    def __init__(self, role: int, colours: dict[str, tuple[str, str]], parent: QObject) -> None:
        super().__init__(parent)
        self.role = role
        self.colours = colours

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        value = index.data(self.role)
        colours = self.colours.get(str(value or ""))
        if colours is None:
            super().paint(painter, option, index)
            return
        # The row's own background and selection first, then the chip on top.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        metrics = QFontMetrics(opt.font)
        width = min(metrics.horizontalAdvance(text) + 14, opt.rect.width() - 6)
        height = min(metrics.height() + 4, opt.rect.height() - 4)
        rect = QRect(0, 0, max(width, 0), height)
        rect.moveCenter(opt.rect.center())
        if opt.direction == Qt.LayoutDirection.RightToLeft:
            rect.moveRight(opt.rect.right() - 3)
        else:
            rect.moveLeft(opt.rect.left() + 3)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colours[0]))
        painter.drawRoundedRect(rect, 4, 4)
        painter.setPen(QColor(colours[1]))
        painter.setFont(opt.font)
        painter.drawText(
            rect,
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width() - 8),
        )
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width() + 14, hint.height())


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
        self, index: QModelIndex | QPersistentModelIndex, event: QEvent | None = None
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
        """The default widths, widened where a translated header (and its sort arrow) needs
        more, e.g. Arabic "Next deadline"."""
        header = self.horizontalHeader()
        for column, width in enumerate(COLUMN_WIDTHS):
            needed = header.sectionSizeFromContents(column).width() if self.model() else 0
            self.setColumnWidth(column, max(width, needed))

    def key_columns_width(self) -> int:
        """The width the key columns need (Key … Assignee), with frame and scroll bar."""
        shown = sum(self.columnWidth(c) for c in range(KEY_COLUMNS))
        return shown + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()


class EmptyOverlay(QLabel):
    """Says so when a filter or search leaves no case, and how to see more."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view.viewport())
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("queueEmpty")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        palette = self.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText, view.palette().color(QPalette.ColorRole.PlaceholderText)
        )
        self.setPalette(palette)
        view.viewport().installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and isinstance(event, QResizeEvent):
            self._place(event.size())
        return False

    def _place(self, size: QSize) -> None:
        margin = 24
        self.setGeometry(margin, margin, max(size.width() - 2 * margin, 0), 120)


class QueuePanel(QWidget):
    """Filters above the table. ``search_delay_ms`` debounces typing in the search box."""

    case_selected = Signal(int)
    filters_changed = Signal(str)  # the saved-filter spec the shown query stands for
    open_requested = Signal(int)  # case id: show its detail
    assign_to_me_requested = Signal(list)  # case keys
    move_requested = Signal(str, str)  # case key, target state

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
        self.sync_sort_indicator()
        self.table.setSortingEnabled(True)
        for key, role, colours in (("tier", TIER_ROLE, TIER_CHIPS), ("tlp", TLP_ROLE, TLP_CHIPS)):
            delegate = ChipDelegate(role, colours, self.table)
            self.table.setItemDelegateForColumn(COLUMN_KEYS.index(key), delegate)
        self.empty = EmptyOverlay(self.table)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

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
        model.query_changed.connect(self._on_query_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._keep_indicator)
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
        self._select_data(self.status_filter, current if current is not None else OPEN)
        combo = self.assignee_filter
        self.set_analysts([combo.itemData(i) for i in range(3, combo.count())])
        self.empty.setText(
            _(
                "No case matches these filters.\nTo see more, choose “All states”, clear the "
                "search or pick another saved filter."
            )
        )
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
            statuses: tuple[str, ...] = workflow.open_values()
        elif status:
            statuses = (status,)
        else:
            statuses = ()
        # A saved filter's other terms (overdue, jurisdiction…) stay: the bars narrow together.
        self.model.update_query(
            statuses=statuses,
            assignee=self.assignee_filter.currentData() or None,
            text=self.search.text().strip(),
        )

    def set_query(self, query: QueueQuery) -> None:
        """Show ``query`` (a saved filter's): the combo boxes and search box follow it."""
        self._debounce.stop()
        self._show_in_widgets(query)
        self.model.set_query(replace(query, text=query.text or self.search.text().strip()))

    def apply_spec(self, spec: str) -> bool:
        """Filter by a saved-filter spec ("" for the default view); False if it is unknown."""
        try:
            query = queue_filters.parse(spec).query if spec else default_query()
        except AccordError:
            return False
        self.set_query(query)
        return True

    def _show_in_widgets(self, query: QueueQuery) -> None:
        states = set(query.statuses)
        if states == set(workflow.open_values()):
            self._select_data(self.status_filter, OPEN)
        elif len(states) == 1:
            self._select_data(self.status_filter, next(iter(states)))
        else:
            self._select_data(self.status_filter, ALL)
        name = query.assignee or ANYONE
        if self.assignee_filter.findData(name) < 0:
            self.assignee_filter.addItem(name, name)
        self._select_data(self.assignee_filter, name)
        if query.text:
            self.search.setText(query.text)

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
        """After a re-query, select the same case again when it is still in the queue; when it
        left the list, say so (the detail pane clears)."""
        self._update_count()
        row = self.model.row_of(self._remembered) if self._remembered else None
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))
        elif self._remembered:
            self.case_selected.emit(0)

    def _on_query_changed(self) -> None:
        """A new filter, search or sort starts at the top: the first (most urgent) row."""
        self.sync_sort_indicator()
        self.filters_changed.emit(queue_filters.spec_of(self.model.query))
        if self.model.rowCount():
            self.select_row(0)
            self.table.scrollToTop()
        else:
            self.table.clearSelection()
            self.case_selected.emit(0)

    def sync_sort_indicator(self) -> None:
        query = self.model.query
        header = self.table.horizontalHeader()
        order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        column = COLUMN_KEYS.index(query.sort) if query.sort in COLUMN_KEYS else 0
        if (header.sortIndicatorSection(), header.sortIndicatorOrder()) != (column, order):
            header.blockSignals(True)  # the indicator follows the query; it must not re-sort
            header.setSortIndicator(column, order)
            header.blockSignals(False)
            header.viewport().update()

    def _keep_indicator(self, column: int, _order: Qt.SortOrder) -> None:
        """A click on a column that cannot sort (TLP) leaves the indicator where it was."""
        if not 0 <= column < len(COLUMN_KEYS) or COLUMN_KEYS[column] not in SORTABLE:
            QTimer.singleShot(0, self.sync_sort_indicator)

    # -- the row context menu ----------------------------------------------------------------
    def selected_keys(self) -> list[str]:
        """The keys of the selected rows, in queue order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        found = (self.model.queue_row(r) for r in rows)
        return [r.key for r in found if r is not None]

    def context_menu(self, row: int) -> QMenu | None:
        """The menu for a right click on ``row`` (which becomes current if not selected)."""
        found = self.model.queue_row(row)
        if found is None:
            return None
        if not self.table.selectionModel().isRowSelected(row, QModelIndex()):
            self.select_row(row)
        keys = self.selected_keys() or [found.key]
        menu = QMenu(self)
        menu.setObjectName("queueContextMenu")
        open_action = menu.addAction(_("&Open"))
        open_action.triggered.connect(lambda: self.open_requested.emit(found.id))
        mine = menu.addAction(
            ngettext("Assign to &me", "Assign {n} cases to &me", len(keys)).format(n=len(keys))
        )
        mine.triggered.connect(lambda: self.assign_to_me_requested.emit(keys))
        move = menu.addMenu(_("Mo&ve to…"))
        move.setObjectName("queueMoveMenu")
        for state in workflow.allowed_from(CaseStatus(found.status)):
            act = move.addAction(status_label(state.value))
            act.setData(state.value)
            act.triggered.connect(
                lambda _c=False, v=state.value: self.move_requested.emit(found.key, v)
            )
        move.setEnabled(len(keys) == 1 and not move.isEmpty())
        menu.addSeparator()
        copy = menu.addAction(
            ngettext("&Copy key", "&Copy {n} keys", len(keys)).format(n=len(keys))
        )
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText("\n".join(keys)))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = self.context_menu(index.row())
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.case_selected.emit(self.selected_case_id())

    def _update_count(self, *_args: object) -> None:
        n = self.model.rowCount(QModelIndex())
        self.count_label.setText(ngettext("{n} case", "{n} cases", n).format(n=n))
        self.empty.setVisible(n == 0 and self.model.has_workspace())
        if self.empty.isVisible():
            self.empty._place(self.table.viewport().size())
            self.empty.raise_()

    @staticmethod
    def _select_data(combo: QComboBox, data: object) -> None:
        i = combo.findData(data)
        combo.setCurrentIndex(max(i, 0))
