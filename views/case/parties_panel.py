"""The Parties tab of a case: vendors, the reporter, partner CERTs and stakeholders with their
latest status and deadlines; add a party, record a status, log a contact.

The panel shows frozen ``PartyInfo`` records from ``app.parties`` and calls its services with
the version it showed, so a party changed meanwhile is refused (a ConflictError shown in the
panel), never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import parties
from app.casework import cases
from app.errors import AccordError
from app.parties.service import DIRECTIONS, KIND_LABELS, STATUS_LABELS, PartyInfo
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from views.common.flow import FlowLayout
from views.common.retranslate import relabel, retitle_items
from views.queue.model import Formatter

ERROR_STYLE = "color: #b00020;"
HEADERS = (
    N_("Party"),
    N_("Kind"),
    N_("Status"),
    N_("From"),
    N_("Acknowledgement due"),
    N_("Response due"),
)
DIRECTION_LABELS = {"sent": N_("sent to the party"), "received": N_("received from the party")}
Index = QModelIndex | QPersistentModelIndex


class PartiesModel(QAbstractTableModel):
    """Read-only rows of a case's parties (a case has a handful: all rows are held)."""

    def __init__(self, formatter: Formatter | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.formatter = formatter or Formatter()
        self._rows: list[PartyInfo] = []

    def set_rows(self, rows: Sequence[PartyInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def retranslate(self) -> None:
        """Headers and cells are words: the view asks for them again."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(HEADERS) - 1)
        if self._rows:
            last = self.index(len(self._rows) - 1, len(HEADERS) - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.DisplayRole])

    def party(self, row: int) -> PartyInfo | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        p = self._rows[index.row()]
        late = p.overdue()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(p, index.column(), late)
        if role == Qt.ItemDataRole.ForegroundRole and (
            (index.column() == 4 and "acknowledgement" in late)
            or (index.column() == 5 and "response" in late)
        ):
            from PySide6.QtGui import QColor

            return QColor("#b00020")
        if role == Qt.ItemDataRole.UserRole:
            return p.id
        return None

    def _text(self, p: PartyInfo, column: int, late: tuple[str, ...]) -> str:
        latest = p.latest
        if column == 0:
            return p.name
        if column == 1:
            return _(KIND_LABELS.get(p.kind, p.kind))
        if column == 2:
            return _(STATUS_LABELS.get(latest.status, latest.status)) if latest else "—"
        if column == 3:
            if latest is None:
                return "—"
            return _("us") if latest.origin == "local" else latest.origin[:16]
        due, met, what = (
            (p.acknowledgement_due, p.acknowledged_at, "acknowledgement")
            if column == 4
            else (p.response_due, p.responded_at, "response")
        )
        if due is None:
            return "—"
        if met is not None:
            return _("met {when}").format(when=self.formatter.moment(met))
        text = self.formatter.moment(due)
        return _("{when} (overdue)").format(when=text) if what in late else text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            return _(HEADERS[section])
        if orientation == Qt.Orientation.Vertical:
            return section + 1
        return None


class PartiesPanel(QWidget):
    """Built per case over an unlocked workspace; ``changed`` fires after each stored change."""

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
        with workspace.session() as s:
            self.case_key = cases.key_for_id(s, case_id)

        self.model = PartiesModel(formatter, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((180, 100, 130, 70, 170)):
            self.table.setColumnWidth(column, width)

        self.kind = QComboBox()
        for kind in KIND_LABELS:
            self.kind.addItem("", kind)
        self.name = QLineEdit()
        self.contact = QLineEdit()
        self.channel = QLineEdit()
        self.add_button = QPushButton()
        # The fields wrap onto further lines (FlowLayout) where one line is too narrow for
        # them: squeezed side by side, they showed "Na…" and "E-M…" in German, and the row
        # still widened the case pane past its place beside the queue at 1366×768.
        em = self.name.fontMetrics().averageCharWidth()
        for field, chars in ((self.name, 22), (self.contact, 18), (self.channel, 12)):
            field.setMinimumWidth(em * chars)
        add_box = self.add_box = QGroupBox()
        add_row = FlowLayout(add_box)
        for widget in (self.kind, self.name, self.contact, self.channel, self.add_button):
            add_row.addWidget(widget)

        self.status = QComboBox()
        for status in STATUS_LABELS:
            self.status.addItem("", status)
        self.statement = QLineEdit()
        self.set_button = QPushButton()
        self.direction = QComboBox()
        for direction in DIRECTIONS:
            self.direction.addItem("", direction)
        self.log_channel = QLineEdit()
        self.summary = QLineEdit()
        self.log_button = QPushButton()
        selected = self.selected_box = QGroupBox()
        form = self.form = QFormLayout(selected)
        # A label stands above its fields when they do not fit beside it.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for field, chars in ((self.statement, 18), (self.log_channel, 10), (self.summary, 18)):
            field.setMinimumWidth(em * chars)
        status_row = self.status_row = FlowLayout()
        for widget in (self.status, self.statement, self.set_button):
            status_row.addWidget(widget)
        log_row = self.log_row = FlowLayout()
        for widget in (self.direction, self.log_channel, self.summary, self.log_button):
            log_row.addWidget(widget)
        form.addRow(_("Status"), status_row)
        form.addRow(_("Contact"), log_row)
        self.timeline = QLabel()
        self.timeline.setTextFormat(Qt.TextFormat.PlainText)  # statements are data, never HTML
        self.timeline.setWordWrap(True)
        form.addRow(self.timeline)

        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(add_box)
        layout.addWidget(selected)
        layout.addWidget(self.error)

        self.add_button.clicked.connect(self._on_add)
        self.name.returnPressed.connect(self._on_add)
        self.set_button.clicked.connect(self._on_set_status)
        self.statement.returnPressed.connect(self._on_set_status)
        self.log_button.clicked.connect(self._on_log)
        self.summary.returnPressed.connect(self._on_log)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._show_selected())
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.model.retranslate()
        retitle_items(self.kind, lambda k: _(KIND_LABELS.get(k, k)))
        self.name.setPlaceholderText(_("Name of the vendor, reporter, CERT or stakeholder"))
        self.contact.setPlaceholderText(_("e-mail address, portal URL or phone"))
        self.channel.setPlaceholderText(_("preferred channel"))
        self.add_button.setText(_("Add party"))
        self.add_box.setTitle(_("New party"))
        retitle_items(self.status, lambda s: _(STATUS_LABELS.get(s, s)))
        self.statement.setPlaceholderText(_("The party's statement (optional)"))
        self.set_button.setText(_("Record status"))
        retitle_items(self.direction, lambda d: _(DIRECTION_LABELS.get(d, d)))
        self.log_channel.setPlaceholderText(_("channel"))
        self.summary.setPlaceholderText(_("What was said"))
        self.log_button.setText(_("Log contact"))
        self.selected_box.setTitle(_("Selected party"))
        relabel(self.form, ((self.status_row, N_("Status")), (self.log_row, N_("Contact"))))
        self._show_selected()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- data ---------------------------------------------------------------------------------
    def reload(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.selected_id()
        with self.workspace.session() as s:
            rows = parties.list_parties(s, self.case_key)
        self.model.set_rows(rows)
        for row, p in enumerate(rows):
            if p.id == keep:
                self.table.setCurrentIndex(self.table.model().index(row, 0))  # not selectRow (RTL)
                break
        self._show_selected()

    def selected(self) -> PartyInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.party(rows[0].row()) if rows else None

    def selected_id(self) -> int | None:
        p = self.selected()
        return p.id if p is not None else None

    def _show_selected(self) -> None:
        p = self.selected()
        for widget in (self.set_button, self.log_button):
            widget.setEnabled(p is not None)
        if p is None:
            self.timeline.setText(_("Select a party to record its status or log a contact."))
            return
        lines = [
            _("{when}: {status} ({who}) {statement}")
            .format(
                when=self.model.formatter.moment(t.at),
                status=_(STATUS_LABELS.get(t.status, t.status)),
                who=t.by if t.origin == "local" else t.origin[:16],
                statement=t.statement,
            )
            .rstrip()
            for t in p.timeline[-5:]
        ]
        self.timeline.setText("\n".join(lines) or _("No status recorded yet."))

    # -- actions --------------------------------------------------------------------------------
    def _run(self, action: Any) -> PartyInfo | None:
        self.error.hide()
        try:
            with self.workspace.session() as s:
                result: PartyInfo = action(s, self.workspace.require_actor())
        except AccordError as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.reload()  # show what is stored now, e.g. the change that won a conflict
            return None
        self.reload(result.id)
        self.changed.emit()
        return result

    def _on_add(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.error.setText(_("Give the party's name."))
            self.error.show()
            return
        contact = self.contact.text().strip()
        done = self._run(
            lambda s, actor: parties.add(
                s, actor, self.case_key, str(self.kind.currentData()), name,
                contacts=[contact] if contact else [], channel=self.channel.text(),
            )
        )  # fmt: skip
        if done is not None:
            for field in (self.name, self.contact, self.channel):
                field.clear()

    def _on_set_status(self) -> None:
        p = self.selected()
        if p is None:
            return
        statement = self.statement.text()
        done = self._run(
            lambda s, actor: parties.set_status(
                s, actor, self.case_key, p.id, str(self.status.currentData()), statement,
                expected_version=p.version,
            )
        )  # fmt: skip
        if done is not None:
            self.statement.clear()

    def _on_log(self) -> None:
        p = self.selected()
        if p is None:
            return
        channel, summary = self.log_channel.text(), self.summary.text()
        done = self._run(
            lambda s, actor: parties.log_contact(
                s, actor, self.case_key, p.id, str(self.direction.currentData()), channel,
                summary, expected_version=p.version,
            )
        )  # fmt: skip
        if done is not None:
            self.summary.clear()
