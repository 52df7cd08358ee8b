"""The column-mapping step of a spreadsheet import (CSV/XLSX bug-bounty exports).

One row per column: its header, a few sample values, the report field it fills (a combo box
prefilled from ``app.intake.mapping``'s proposal) and where that proposal came from; below,
the first reports as they would import. When no column of a sheet is a title or a
description the import would refuse that sheet: a warning says so and Import is disabled.
The step emits ``accepted(mapping)`` or ``cancelled``; the import dialog runs the import.
Everything taken from the files is shown as plain text.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.intake.mapping import FIELD_LABELS, ORIGIN_LABELS, MappingProposal
from app.intake.spreadsheet import FIELDS
from i18n import _

COLUMN, SAMPLES, FIELD, ORIGIN = range(4)


def _plain_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # headers, values and paths are never HTML
    label.setWordWrap(True)
    return label


def _read_only_table(name: str, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns)
    table.setObjectName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)  # Tab leaves the table: it moves between the fields
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    return table


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class ColumnMappingStep(QWidget):
    """Choose the report field of each spreadsheet column, then import or cancel."""

    accepted = Signal(dict)  # column → field, every column of the proposal
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proposal: MappingProposal | None = None
        self.combos: list[QComboBox] = []
        self.intro = _plain_label("mappingIntro")
        self.table = _read_only_table("mappingColumns", 4)
        # The combo boxes take the focus; the table only shows which row is being edited.
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(SAMPLES, QHeaderView.ResizeMode.Stretch)
        self.columns_label = QLabel()
        self.warning = _plain_label("mappingWarning")
        self.problems = _plain_label("mappingProblems")
        self.preview = _read_only_table("mappingPreview", 3)
        for column in (1, 2):  # title and description share the width
            self.preview.horizontalHeader().setSectionResizeMode(
                column, QHeaderView.ResizeMode.Stretch
            )
        self.preview_label = QLabel()
        self.preview_label.setBuddy(self.preview)
        self.ok_button = QPushButton()
        self.ok_button.setObjectName("mappingOk")
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("mappingCancel")

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.columns_label)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.warning)
        layout.addWidget(self.problems)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.preview, 2)
        layout.addLayout(buttons)
        self.warning.hide()
        self.problems.hide()

        self.ok_button.clicked.connect(self._accept)
        self.cancel_button.clicked.connect(self.cancelled)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.cancelled)
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings, then the proposal's words; the fields chosen stay chosen."""
        self.table.setHorizontalHeaderLabels(
            [
                _("Column"),
                _("Sample values"),
                _("Report field"),
                # Translators: heading of the column that says where a proposed field came from.
                _("From"),
            ]
        )
        self.columns_label.setText(_("Colu&mns and their report fields:"))
        self.preview.setHorizontalHeaderLabels([_("Identifier"), _("Title"), _("Description")])
        self.preview_label.setText(_("Pre&view of the first reports:"))
        self.ok_button.setText(_("&Import with this mapping"))
        self.cancel_button.setText(_("&Cancel"))
        if self.proposal is None:
            return
        self._show_intro(self.proposal)
        for col, combo in zip(self.proposal.columns, self.combos, strict=True):
            for index in range(combo.count()):
                combo.setItemText(index, _(FIELD_LABELS[str(combo.itemData(index))]))
            combo.setAccessibleName(self._field_name(col.column))
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _field_name(column: str) -> str:
        return _("Report field of column {column}").format(column=column)

    def _show_intro(self, proposal: MappingProposal) -> None:
        self.intro.setText(
            _(
                "Reports from source {source}: choose the report field of each spreadsheet "
                "column. Fields saved for this source or recognised from a header are chosen "
                "already. The mapping is saved for the source when the import succeeds."
            ).format(source=proposal.source)
        )
        problems = [
            _("✘ {path}: {reason}").format(path=u.path, reason=u.reason)
            for u in proposal.unreadable
        ]
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    # -- filling -------------------------------------------------------------------------
    def set_proposal(self, proposal: MappingProposal) -> None:
        """Show the columns of ``proposal``, each with its proposed field chosen."""
        self.proposal = proposal
        self._show_intro(proposal)
        self.combos = []
        self.table.setRowCount(len(proposal.columns))
        for row, col in enumerate(proposal.columns):
            self.table.setItem(row, COLUMN, _item(col.column))
            self.table.setItem(row, SAMPLES, _item(" · ".join(col.samples)))
            self.table.setItem(row, ORIGIN, _item(""))
            combo = QComboBox()
            combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no change by a stray wheel
            for fld in FIELDS:
                combo.addItem(_(FIELD_LABELS[fld]), fld)
            combo.setCurrentIndex(max(combo.findData(col.field), 0))
            combo.setAccessibleName(self._field_name(col.column))
            combo.currentIndexChanged.connect(self._refresh)
            combo.installEventFilter(self)
            self.table.setCellWidget(row, FIELD, combo)
            self.combos.append(combo)
        chain: list[QWidget] = [*self.combos, self.preview, self.ok_button, self.cancel_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.columns_label.setBuddy(self.combos[0] if self.combos else self.table)
        self._refresh()
        for column in (COLUMN, FIELD, ORIGIN):  # once: the table has a few dozen rows at most
            self.table.resizeColumnToContents(column)
        self.preview.resizeColumnToContents(0)

    def focus_first_field(self) -> None:
        """Put the keyboard on the first column's field (once the step is shown)."""
        (self.combos[0] if self.combos else self.cancel_button).setFocus()

    def combo(self, column: str) -> QComboBox:
        """The field chooser of one column (by its header)."""
        assert self.proposal is not None
        names = [c.column for c in self.proposal.columns]
        return self.combos[names.index(column)]

    def mapping(self) -> dict[str, str]:
        if self.proposal is None:
            return {}
        return {
            c.column: str(combo.currentData())
            for c, combo in zip(self.proposal.columns, self.combos, strict=True)
        }

    # -- reacting ------------------------------------------------------------------------
    def _refresh(self) -> None:
        proposal = self.proposal
        if proposal is None:
            return
        mapping = self.mapping()
        for row, col in enumerate(proposal.columns):
            origin = (
                _(ORIGIN_LABELS[col.origin])
                if mapping[col.column] == col.field
                else _("your choice")
            )
            cell = self.table.item(row, ORIGIN)
            if cell is not None:
                cell.setText(origin)
        refused = proposal.refused(mapping)
        self.warning.setText(
            _(
                "⚠ Map a column to Title or Description: without one the import refuses {files}."
            ).format(files=", ".join(refused))
        )
        self.warning.setVisible(bool(refused))
        self.ok_button.setEnabled(bool(proposal.sheets) and not refused)
        rows = proposal.preview(mapping)
        self.preview.setRowCount(len(rows))
        for n, r in enumerate(rows):
            for column, text in enumerate((r.identifier, r.title, r.description)):
                self.preview.setItem(n, column, _item(text))

    def _accept(self) -> None:
        if self.ok_button.isEnabled():
            self.accepted.emit(self.mapping())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Tabbing to a field chooser selects its row and scrolls it into view.
        if event.type() == QEvent.Type.FocusIn and watched in self.combos:
            row = self.combos.index(watched)
            self.table.selectRow(row)
            item = self.table.item(row, COLUMN)
            if item is not None:
                self.table.scrollToItem(item)
        return super().eventFilter(watched, event)
