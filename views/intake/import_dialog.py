"""Import… for files and folders, and drag and drop onto the main window.

The import runs as a job (``views.common.workers``) with a progress bar showing documents done of
total and the current file, and Cancel; the summary lists rejections and duplicates as plain
text. When the chosen paths hold CSV/XLSX spreadsheets, the column-mapping step
(``views.intake.column_mapping``) comes first, as a page of this screen; its mapping goes to the
import, which saves it for the source. The screen emits ``import_requested``,
``mapping_shown`` (the MappingProposal) and ``imported`` (the ImportReport).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from app.intake import ImportReport, import_paths, mapping
from app.intake.mapping import MappingProposal
from app.workspaces.lifecycle import Workspace
from i18n import _, ngettext
from views.common import file_dialogs
from views.common.retranslate import StatusLine
from views.common.workers import CancelToken, Job, JobHandle, Progress, run_job
from views.intake.column_mapping import ColumnMappingStep


def summary_text(report: ImportReport) -> str:
    """The plain-text summary shown after an import (counts, rejections, duplicates)."""
    lines = [
        ngettext("{n} report imported", "{n} reports imported", report.imported).format(
            n=report.imported
        ),
        _("{n} updated to a later revision").format(n=report.updated),
        ngettext(
            "{n} duplicate (already known)", "{n} duplicates (already known)", report.duplicates
        ).format(n=report.duplicates),
        ngettext(
            "{n} possible duplicate to review",
            "{n} possible duplicates to review",
            report.near_duplicates,
        ).format(n=report.near_duplicates),
        ngettext("{n} rejected", "{n} rejected", len(report.rejected)).format(
            n=len(report.rejected)
        ),
    ]
    if report.cancelled:
        lines.insert(
            0,
            _("Cancelled after {done} of {total} documents.").format(
                done=report.done, total=report.total
            ),
        )
    for r in report.rejected:
        lines.append(_("✘ {path}: {reason}").format(path=r.path, reason=r.reason))
    for d in report.score_disagreements:
        lines.append(
            _("⚠ {path}: stated {stated} for {vector}, computed {computed}").format(
                path=d.path, stated=d.stated, vector=d.vector, computed=d.computed
            )
        )
    return "\n".join(lines)


class ImportDialog(QWidget):
    """Choose files and folders (or drop them), import in the background, show the summary."""

    import_requested = Signal(list)
    mapping_shown = Signal(object)  # MappingProposal
    imported = Signal(object)  # ImportReport

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.job: JobHandle | None = None
        self.report: ImportReport | None = None
        self._requested: tuple[list[str], str] = ([], "manual")  # paths and source of a start
        self._pending: tuple[list[str], str] | None = None  # the same, awaiting their mapping
        self.paths = QListWidget()
        self.paths.setObjectName("importPaths")
        self.source = QLineEdit("manual")
        self.source.setObjectName("importSource")
        self.add_files_button = QPushButton()
        self.add_folder_button = QPushButton()
        self.clear_button = QPushButton()
        self.import_button = QPushButton()
        self.cancel_button = QPushButton()
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.current = QLabel()
        self.current.setObjectName("importCurrent")
        self.current.setTextFormat(Qt.TextFormat.PlainText)  # file names are not HTML
        self.summary = QPlainTextEdit()  # plain text: report names and reasons are never HTML
        self.summary.setReadOnly(True)
        self.summary.setObjectName("importSummary")

        buttons = QHBoxLayout()
        for b in (self.add_files_button, self.add_folder_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        source_row = QHBoxLayout()
        self.source_label = QLabel()
        source_row.addWidget(self.source_label)
        source_row.addWidget(self.source, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.bar, 1)
        run_row.addWidget(self.import_button)
        run_row.addWidget(self.cancel_button)
        self.main_page = QWidget()
        self.mapping_step = ColumnMappingStep()
        self.mapping_step.setObjectName("importMapping")
        self.pages = QStackedLayout(self)
        self.pages.addWidget(self.main_page)
        self.pages.addWidget(self.mapping_step)
        layout = QVBoxLayout(self.main_page)
        self.paths_label = QLabel()
        layout.addWidget(self.paths_label)
        layout.addWidget(self.paths, 1)
        layout.addLayout(buttons)
        layout.addLayout(source_row)
        layout.addLayout(run_row)
        layout.addWidget(self.current)
        layout.addWidget(self.summary, 2)
        self.setAcceptDrops(True)
        self.resize(720, 560)

        self.add_files_button.clicked.connect(self._choose_files)
        self.add_folder_button.clicked.connect(self._choose_folder)
        self.clear_button.clicked.connect(self.paths.clear)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.mapping_step.accepted.connect(self._import_mapped)
        self.mapping_step.cancelled.connect(self._mapping_cancelled)
        self._line = StatusLine()  # the status line, said again in a new language
        self.retranslate()

    def retranslate(self) -> None:
        self.add_files_button.setText(_("Add &files…"))
        self.add_folder_button.setText(_("Add f&older…"))
        self.clear_button.setText(_("C&lear"))
        self.import_button.setText(_("&Import"))
        self.cancel_button.setText(_("&Cancel"))
        self.bar.setFormat(_("%v of %m documents"))
        self.source_label.setText(_("Source:"))
        self.paths_label.setText(
            _("Files, folders and .zip archives to import (or drop them here):")
        )
        self._line.again(self.current)
        if self.report is not None and self.summary.toPlainText():
            self.summary.setPlainText(summary_text(self.report))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.current, text, shown)

    # -- choosing ------------------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        known = {self.paths.item(i).text() for i in range(self.paths.count())}
        for p in paths:
            if p and p not in known:
                self.paths.addItem(p)
                known.add(p)

    def chosen(self) -> list[str]:
        return [self.paths.item(i).text() for i in range(self.paths.count())]

    def _choose_files(self) -> None:
        files = file_dialogs.open_files(self, _("Import reports"))
        self.add_paths(files)

    def _choose_folder(self) -> None:
        folder = file_dialogs.existing_directory(self, _("Import a folder of reports"))
        if folder:
            self.add_paths([folder])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event)
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    # -- running -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    @property
    def mapping_pending(self) -> bool:
        return self._pending is not None

    def start(self) -> None:
        ws = self._workspace()
        paths = self.chosen()
        if ws is None or not paths or self.running or self.mapping_pending:
            return
        actor = ws.require_actor()
        source = self.source.text().strip() or "manual"
        self._requested = (paths, source)
        self.import_requested.emit(paths)

        def job(progress: Progress, cancel: CancelToken) -> ImportReport | MappingProposal:
            # Spreadsheets stop at the mapping step; anything else imports in the same job,
            # so a Cancel while looking for spreadsheets cancels the import too.
            with ws.session() as s:
                saved = mapping.saved_mapping(s, source)
            scan = mapping.scan_paths(paths, None, progress, cancel)
            if scan.sheets and not cancel():
                return mapping.propose(scan, source, saved)
            return import_paths(ws, paths, progress, cancel, actor=actor, source=source)

        self._run(job, lambda: _("Looking for spreadsheets…"))

    def _run(self, job: Job, message: Callable[[], str]) -> None:
        self.summary.clear()
        self._say(message)
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.job = run_job(job, self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_result)
        self.job.failed.connect(self._on_failed)

    def _on_result(self, result: ImportReport | MappingProposal) -> None:
        if isinstance(result, ImportReport):
            self._on_done(result)
            return
        self._finish()
        self._pending = self._requested
        self._say(lambda: _("Choose the report field of each spreadsheet column."))
        self.mapping_step.set_proposal(result)
        self.pages.setCurrentWidget(self.mapping_step)
        self.mapping_step.focus_first_field()
        self.mapping_shown.emit(result)

    def _import_mapped(self, columns: dict[str, str]) -> None:
        pending, self._pending = self._pending, None
        self.pages.setCurrentWidget(self.main_page)
        ws = self._workspace()
        if pending is None or ws is None:
            return
        paths, source = pending
        actor = ws.require_actor()

        def job(progress: Progress, cancel: CancelToken) -> ImportReport:
            return import_paths(
                ws, paths, progress, cancel, actor=actor, source=source, mapping=columns
            )

        self._run(job, lambda: _("Starting…"))

    def _mapping_cancelled(self) -> None:
        self._pending = None
        self.pages.setCurrentWidget(self.main_page)
        self._say(lambda: _("Nothing imported: the column mapping was cancelled."))
        self.import_button.setFocus()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._say(lambda: _("Cancelling after the current document…"))

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        if message:
            self._say(None, message)

    def _finish(self) -> None:
        self.import_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_done(self, report: ImportReport) -> None:
        self.report = report
        self._finish()
        self.bar.setRange(0, max(report.total, 1))
        self.bar.setValue(report.done)
        self._say(lambda: _("Done.") if not report.cancelled else _("Cancelled."))
        self.summary.setPlainText(summary_text(report))
        self.imported.emit(report)

    def _on_failed(self, error: BaseException) -> None:
        self._finish()
        self._say(lambda: _("Import failed: {error}").format(error=error))


def local_paths(event: QDropEvent | QDragEnterEvent) -> list[str]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class DropImporter(QObject):
    """An event filter for the main window: files dropped anywhere on it go to Import…."""

    def __init__(self, open_dialog: Callable[[], ImportDialog | None], parent: QObject) -> None:
        super().__init__(parent)
        self._open = open_dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        is_enter = event.type() == QEvent.Type.DragEnter and isinstance(event, QDragEnterEvent)
        if is_enter and local_paths(event):  # type: ignore[arg-type]
            event.acceptProposedAction()  # type: ignore[attr-defined]
            return True
        if event.type() == QEvent.Type.Drop and isinstance(event, QDropEvent):
            paths = local_paths(event)
            dialog = self._open() if paths else None
            if dialog is not None:
                dialog.add_paths(paths)
                event.acceptProposedAction()
                dialog.start()
                return True
        return False
