"""The raw-document viewer: a case's reports and, for the chosen one, its original bytes as
plain text (QPlainTextEdit never interprets HTML), with the report's warnings; the case's
attachments, hazardous ones marked with a warning and their reasons, saved only after the
analyst confirms."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError
from app.intake import hazard, records
from app.workspaces.lifecycle import Workspace
from i18n import _
from views.common import file_dialogs


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
    """The Reports tab of a case: each imported report and its raw original, and the case's
    attachments (hazardous ones with a warning and the reasons)."""

    saved = Signal(int, str)  # attachment id, path written

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ws = workspace
        self.case_id = case_id
        self._attachments: dict[int, records.AttachmentInfo] = {}
        self._report: records.ReportDetail | None = None
        self.reports = QListWidget()
        self.reports.setObjectName("caseReports")
        self.info = QLabel()
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        self.info.setWordWrap(True)
        self.raw = RawViewer()
        self.attachments = QListWidget()
        self.attachments.setObjectName("caseAttachments")
        self.hazard_note = QLabel()
        self.hazard_note.setObjectName("attachmentHazard")
        self.hazard_note.setTextFormat(Qt.TextFormat.PlainText)  # reasons never as rich text
        self.hazard_note.setWordWrap(True)
        self.hazard_note.setVisible(False)
        self.save_button = QPushButton()
        self.save_button.setObjectName("saveAttachment")
        self.save_button.setEnabled(False)
        files = QWidget()
        files_layout = QVBoxLayout(files)
        files_layout.setContentsMargins(0, 0, 0, 0)
        self.attachments_label = QLabel()
        files_layout.addWidget(self.attachments_label)
        files_layout.addWidget(self.attachments, 1)
        files_layout.addWidget(self.hazard_note)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        files_layout.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.reports)
        split.addWidget(self.raw)
        split.addWidget(files)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.info)
        self.reports.currentItemChanged.connect(self._show_current)
        self.attachments.currentItemChanged.connect(self._show_attachment)
        self.save_button.clicked.connect(self.save_current)
        self.retranslate()
        self.load()

    def retranslate(self) -> None:
        self.save_button.setText(_("Save attachment…"))
        self.attachments_label.setText(_("Attachments"))
        for row in range(self.attachments.count()):
            item = self.attachments.item(row)
            found = self._attachments.get(int(item.data(Qt.ItemDataRole.UserRole)))
            if found is not None:
                self._name_attachment(item, found)
        self._show_attachment(self.attachments.currentItem())
        if self._report is not None:
            self._show_info(self._report)
        elif self.reports.currentItem() is not None:  # a damaged one: its message again
            self._show_current(self.reports.currentItem())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def load(self) -> None:
        self.reports.clear()
        with self._ws.session() as s:
            rows = records.case_reports(s, self.case_id)
            files = records.attachments(s, case_id=self.case_id)
        for row in rows:
            item = QListWidgetItem(f"#{row.id}  [{row.format}, {row.source}]  {row.title}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.reports.addItem(item)
        if rows:
            self.reports.setCurrentRow(0)
        self._load_attachments(files)

    def _load_attachments(self, files: list[records.AttachmentInfo]) -> None:
        self.attachments.clear()
        self._attachments = {a.id: a for a in files}
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for a in files:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            if a.hazardous:
                item.setIcon(warning)
            self._name_attachment(item, a)
            self.attachments.addItem(item)

    @staticmethod
    def _name_attachment(item: QListWidgetItem, a: records.AttachmentInfo) -> None:
        text = _("{name} ({size} bytes)").format(name=hazard.shown_name(a.filename), size=a.size)
        item.setText(text)
        if a.hazardous:
            reasons = "; ".join(a.reason_labels())
            item.setText(_("{text} — hazardous: {reasons}").format(text=text, reasons=reasons))
            item.setToolTip(_("Hazardous: {reasons}").format(reasons=reasons))

    def _show_attachment(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        a = self._current_attachment()
        self.save_button.setEnabled(a is not None)
        if a is not None and a.hazardous:
            self.hazard_note.setText(
                _(
                    "Warning: this attachment is hazardous ({reasons}). Open it only in an "
                    "isolated analysis environment."
                ).format(reasons="; ".join(a.reason_labels()))
            )
            self.hazard_note.setVisible(True)
        else:
            self.hazard_note.clear()
            self.hazard_note.setVisible(False)

    def _current_attachment(self) -> records.AttachmentInfo | None:
        item = self.attachments.currentItem()
        if item is None:
            return None
        return self._attachments.get(int(item.data(Qt.ItemDataRole.UserRole)))

    def confirm_hazard(self, a: records.AttachmentInfo) -> bool:
        """Ask before a hazardous attachment leaves the workspace; No is the default."""
        answer = QMessageBox.warning(
            self,
            _("Hazardous attachment"),
            _("{name} is hazardous: {reasons}.\n\nSave it anyway?").format(
                name=hazard.shown_name(a.filename), reasons="; ".join(a.reason_labels())
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def save_current(self) -> None:
        """Save the chosen attachment to a file the analyst picks (hazardous: after a yes)."""
        a = self._current_attachment()
        if a is None or (a.hazardous and not self.confirm_hazard(a)):
            return
        path = file_dialogs.save_file(self, _("Save attachment"), hazard.safe_name(a.filename))
        if not path:
            return
        try:
            with self._ws.session() as s:
                records.save_attachment(
                    s, self._ws.require_actor(), a.id, Path(path), accept_hazard=a.hazardous
                )
        except (AccordError, OSError) as exc:
            QMessageBox.critical(self, _("Save attachment"), str(exc))
            return
        self.saved.emit(a.id, path)

    def show_report(self, report_id: int) -> None:
        try:
            with self._ws.session() as s:
                detail, raw = records.report_detail(s, report_id)
        except AccordError as exc:
            # A damaged original: said where its bytes would be and below, and the other
            # reports stay browsable (a dialog would pop up at every move through the list).
            self._report = None
            self.raw.clear()
            self.raw.setPlaceholderText(str(exc))
            self.info.setText(str(exc))
            return
        self.raw.setPlaceholderText("")
        self.raw.show_raw(raw)
        self._report = detail
        self._show_info(detail)

    def _show_info(self, detail: records.ReportDetail) -> None:
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
