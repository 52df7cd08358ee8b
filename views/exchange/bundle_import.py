"""Import a partner's bundle: verify first and show the verification report check by check;
import only what verified. A refused bundle goes to quarantine with its reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError
from app.exchange import importer, pgp, verify
from app.workspaces.lifecycle import Workspace
from i18n import N_, _, ngettext
from views.common import file_dialogs
from views.common.workers import JobHandle, run_job

CHECK_NAMES = {
    "size": N_("Size and zip-bomb limits"),
    "decrypt": N_("Decryption with our key"),
    "structure": N_("Zip structure"),
    "path": N_("Paths and links"),
    "manifest": N_("Manifest"),
    "signer": N_("Signer known and verified"),
    "signature": N_("OpenPGP signature"),
    "recipient": N_("Addressed to us"),
    "tlp": N_("TLP policy"),
    "replay": N_("Replay and sequence"),
    "hash": N_("Every file's SHA-256 and size"),
    "payload": N_("Payload readable"),
}


class BundleImportScreen(QWidget):
    """Emits ``verify_requested`` / ``import_requested``; both run as jobs off the GUI thread."""

    verify_requested = Signal(str)
    import_requested = Signal(str)
    verified = Signal(object)  # BundleReport
    imported = Signal(object)  # ImportResult

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.job: JobHandle | None = None
        self._shown: verify.BundleReport | importer.ImportResult | None = None
        self.path = QLineEdit()
        self.path.setObjectName("bundlePath")
        browse = self.browse = QPushButton()
        browse.clicked.connect(self._browse)
        self.verify_button = QPushButton()
        self.import_button = QPushButton()
        self.verify_button.clicked.connect(lambda: self.verify_requested.emit(self.path.text()))
        self.import_button.clicked.connect(lambda: self.import_requested.emit(self.path.text()))
        self.checks = QListWidget()
        self.checks.setObjectName("bundleChecks")
        self.summary = QLabel()
        self.summary.setObjectName("bundleSummary")
        self.summary.setWordWrap(True)
        # senders and reasons come from partners: never rendered as markup
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.details = QListWidget()
        self.details.setObjectName("bundleDetails")
        top = QHBoxLayout()
        top.addWidget(self.path, 1)
        top.addWidget(browse)
        top.addWidget(self.verify_button)
        top.addWidget(self.import_button)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        self.report_label = QLabel()
        layout.addWidget(self.report_label)
        layout.addWidget(self.checks, 2)
        layout.addWidget(self.details, 1)
        self.verify_requested.connect(self._verify)
        self.import_requested.connect(self._import)
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings, and the report shown (the path typed stays)."""
        self.path.setPlaceholderText(_("a bundle file (.zip or .zip.gpg)"))
        self.browse.setText(_("Browse…"))
        self.verify_button.setText(_("Verify"))
        self.import_button.setText(_("Import"))
        self.report_label.setText(_("Verification report"))
        if isinstance(self._shown, importer.ImportResult):
            self._show_result(self._shown)
        elif isinstance(self._shown, verify.BundleReport):
            self.show_report(self._shown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _browse(self) -> None:
        path = file_dialogs.open_file(
            self, _("Choose a bundle"), "", _("Bundles (*.zip *.gpg *.bundle);;All files (*)")
        )
        if path:
            self.path.setText(path)

    def _busy(self, busy: bool) -> None:
        self.verify_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)

    def show_report(self, report: verify.BundleReport) -> None:
        self._shown = report
        self.checks.clear()
        for c in report.checks:
            mark = "✔" if c.passed else "✘"
            name = _(CHECK_NAMES[c.name]) if c.name in CHECK_NAMES else c.name
            self.checks.addItem(QListWidgetItem(f"{mark} {name}: {c.detail}"))
        if report.ok:
            self.summary.setText(
                _("Valid bundle from {sender} ({fpr}), TLP:{tlp}, sequence {n}, {files}.").format(
                    sender=report.sender,
                    fpr=pgp.group_fingerprint(report.sender_fingerprint or ""),
                    tlp=report.tlp,
                    n=report.sequence,
                    files=ngettext("{n} file", "{n} files", len(report.files)).format(
                        n=len(report.files)
                    ),
                )
            )
        else:
            self.summary.setText(_("Refused: {reason}").format(reason=report.reason))

    # -- controller -------------------------------------------------------------------------
    def _start(
        self, fn: Callable[[Workspace, bytes], object], done: Callable[[object], None], file: str
    ) -> None:
        ws = self._workspace()
        if ws is None:
            return
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            self.summary.setText(
                _("cannot read {file}: {error}").format(file=file, error=exc.strerror)
            )
            return
        self._busy(True)
        self.summary.setText(_("Checking…"))
        self.job = run_job(lambda _progress, _cancel: fn(ws, data), self)
        self.job.succeeded.connect(done)
        self.job.failed.connect(self._failed)

    def _verify(self, file: str) -> None:
        def fn(ws: Workspace, data: bytes) -> verify.BundleReport:
            with ws.session() as s:
                return verify.verify_bundle(s, data)

        self.details.clear()
        self._shown = None
        self._start(fn, self._verified, file)

    def _verified(self, report: object) -> None:
        assert isinstance(report, verify.BundleReport)
        self._busy(False)
        self.show_report(report)
        self.verified.emit(report)

    def _import(self, file: str) -> None:
        actor_name = Path(file).name

        def fn(ws: Workspace, data: bytes) -> importer.ImportResult:
            with ws.session() as s:
                return importer.import_bundle(s, ws.require_actor(), data, name=actor_name)

        self.details.clear()
        self._shown = None
        self._start(fn, self._imported, file)

    def _imported(self, result: object) -> None:
        assert isinstance(result, importer.ImportResult)
        self._busy(False)
        self._show_result(result)
        self.imported.emit(result)

    def _show_result(self, result: importer.ImportResult) -> None:
        self.show_report(result.report)
        self._shown = result
        self.details.clear()
        if result.imported:
            self.summary.setText(
                self.summary.text()
                + " "
                + _(
                    "Imported — cases: {cases}, assessments: {assessments}, playbook steps: "
                    "{steps}, advisory drafts: {advisories}."
                ).format(
                    cases=len(result.cases),
                    assessments=result.assessments,
                    steps=result.playbook_steps,
                    advisories=result.advisories,
                )
            )
            for c in result.cases:
                text = (
                    _("{theirs} → new case {ours}")
                    if c.created
                    else _("{theirs} → merged into {ours}")
                )
                self.details.addItem(text.format(theirs=c.partner_case, ours=c.case))
            for note in result.notes:
                self.details.addItem(note)
        else:
            self.details.addItem(result.outcome_text())

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        self.summary.setText(str(error) if isinstance(error, AccordError) else repr(error))
