"""Import… for files and folders, and drag and drop onto the main window.

The import runs as a job (``views.workers``) with a progress bar showing documents done of
total and the current file, and Cancel; the summary lists rejections and duplicates as plain
text. The screen emits ``import_requested`` and ``imported`` (the ImportReport).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.intake import ImportReport, import_paths
from app.workspace import Workspace
from i18n import _, ngettext
from views.workers import CancelToken, JobHandle, Progress, run_job


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
    imported = Signal(object)  # ImportReport

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.job: JobHandle | None = None
        self.report: ImportReport | None = None
        self.paths = QListWidget()
        self.paths.setObjectName("importPaths")
        self.source = QLineEdit("manual")
        self.source.setObjectName("importSource")
        self.add_files_button = QPushButton(_("Add &files…"))
        self.add_folder_button = QPushButton(_("Add f&older…"))
        self.clear_button = QPushButton(_("C&lear"))
        self.import_button = QPushButton(_("&Import"))
        self.cancel_button = QPushButton(_("&Cancel"))
        self.cancel_button.setEnabled(False)
        self.bar = QProgressBar()
        self.bar.setFormat(_("%v of %m documents"))
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
        source_row.addWidget(QLabel(_("Source:")))
        source_row.addWidget(self.source, 1)
        run_row = QHBoxLayout()
        run_row.addWidget(self.bar, 1)
        run_row.addWidget(self.import_button)
        run_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(_("Files, folders and .zip archives to import (or drop them here):"))
        )
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
        files, _filter = QFileDialog.getOpenFileNames(self, _("Import reports"))
        self.add_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Import a folder of reports"))
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

    def start(self) -> None:
        ws = self._workspace()
        paths = self.chosen()
        if ws is None or not paths or self.running:
            return
        actor = ws.require_actor()
        source = self.source.text().strip() or "manual"
        self.import_requested.emit(paths)

        def job(progress: Progress, cancel: CancelToken) -> ImportReport:
            return import_paths(ws, paths, progress, cancel, actor=actor, source=source)

        self.summary.clear()
        self.current.setText(_("Starting…"))
        self.import_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.job = run_job(job, self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(self._on_failed)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.current.setText(_("Cancelling after the current document…"))

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        if message:
            self.current.setText(message)

    def _finish(self) -> None:
        self.import_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_done(self, report: ImportReport) -> None:
        self.report = report
        self._finish()
        self.bar.setRange(0, max(report.total, 1))
        self.bar.setValue(report.done)
        self.current.setText(_("Done.") if not report.cancelled else _("Cancelled."))
        self.summary.setPlainText(summary_text(report))
        self.imported.emit(report)

    def _on_failed(self, error: BaseException) -> None:
        self._finish()
        self.current.setText(_("Import failed: {error}").format(error=error))


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
