"""The raw-document viewer: a case's reports and, for the chosen one, its original bytes as
plain text (QPlainTextEdit never interprets HTML), with the report's warnings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.intake import records
from app.workspace import Workspace
from i18n import _


class RawViewer(QPlainTextEdit):
    """Read-only, monospaced, plain text; report content is never rendered as rich text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font: QFont = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setObjectName("rawViewer")

    def show_raw(self, raw: bytes) -> None:
        self.setPlainText(records.raw_text(raw))


class CaseReportsTab(QWidget):
    """The Reports tab of a case: each imported report and its raw original."""

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ws = workspace
        self.case_id = case_id
        self.reports = QListWidget()
        self.reports.setObjectName("caseReports")
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setWordWrap(True)
        self.raw = RawViewer()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.reports)
        split.addWidget(self.raw)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.info)
        self.reports.currentItemChanged.connect(self._show_current)
        self.load()

    def load(self) -> None:
        self.reports.clear()
        with self._ws.session() as s:
            rows = records.case_reports(s, self.case_id)
        for row in rows:
            item = QListWidgetItem(f"#{row.id}  [{row.format}, {row.source}]  {row.title}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.reports.addItem(item)
        if rows:
            self.reports.setCurrentRow(0)

    def show_report(self, report_id: int) -> None:
        with self._ws.session() as s:
            detail, raw = records.report_detail(s, report_id)
        self.raw.show_raw(raw)
        lines = [
            _("{fmt} from {source}; document {doc}, revision {rev}").format(
                fmt=detail.format,
                source=detail.source,
                doc=detail.document_id or "-",
                rev=detail.revision or "-",
            ),
        ]
        lines += [_("warning: {w}").format(w=w) for w in detail.warnings]
        self.info.setText("\n".join(lines))

    def _show_current(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.show_report(int(item.data(Qt.ItemDataRole.UserRole)))
