"""Back up the workspace: choose a file, watch it being written, then read what the manifest
says the copy holds (size, SHA-256, schema revision, audit head, row counts). Shift leads and
coordinators only; a team database is backed up with the server's own tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError, describe_unexpected
from app.identity.actor import Permission
from app.workspaces import backup as backup_mod
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from i18n import N_, _, current_language
from views.common import file_dialogs
from views.common.retranslate import StatusLine, relabel
from views.common.times import with_zone
from views.common.workers import JobHandle, run_job
from views.queue.model import Formatter

ERROR_STYLE = "color: #b00020;"
SUMMARY_ROWS = ("file", "created", "size", "sha256", "revision", "audit", "cases", "reports")
TITLES = {
    "file": N_("File"),
    "created": N_("Written"),
    "size": N_("Size"),
    "sha256": N_("SHA-256"),
    "revision": N_("Schema revision"),
    "audit": N_("Audit log"),
    "cases": N_("Cases"),
    "reports": N_("Reports"),
}
# The tables a person checks a backup by; every table's count is in the manifest.
COUNTED = {"cases": "case", "reports": "report"}


def backup_job(ws: Workspace, target: Path) -> dict[str, Any]:
    """Write the backup, then read its manifest back, checked against the file."""
    # With key slots the copy is keyed by the database key itself, not a passphrase.
    ws_mod.backup(ws, target, "")
    return backup_mod.read_manifest(target)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


class BackupScreen(QWidget):
    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        formatter: Formatter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws = workspace
        self.formatter = formatter or Formatter()
        self.job: JobHandle | None = None
        self.manifest: dict[str, Any] | None = None
        self._line = StatusLine()  # the status line, said again in a new language
        self._written = ""  # the file the manifest shown describes

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.path = QLineEdit()
        self.choose = QPushButton()
        self.choose.clicked.connect(self.choose_file)
        self.start_button = QPushButton()
        self.start_button.clicked.connect(lambda: self.start())
        self.path.returnPressed.connect(lambda: self.start())
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.choose)
        row.addWidget(self.start_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        self.values = {k: QLabel() for k in SUMMARY_ROWS}
        for label in self.values.values():
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = self.form = QFormLayout()
        for key in SUMMARY_ROWS:
            form.addRow(_(TITLES[key]), self.values[key])
        self.summary_box = QGroupBox()
        self.summary_box.setLayout(form)
        self.summary_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.summary_box)
        layout.addStretch(1)
        self.resize(720, 440)
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings, the manifest shown and the status line; the path typed stays."""
        self.formatter = replace(self.formatter, locale=current_language())
        self.intro.setText(
            _(
                "An encrypted copy of the whole workspace, taken while it is in use. The copy "
                "opens with the same passphrases; keep it where the workspace may be kept."
            )
        )
        self.path.setPlaceholderText(_("Where to write the backup, e.g. /media/backup/accord"))
        self.choose.setText(_("Choose…"))
        self.start_button.setText(_("Back up now"))
        relabel(self.form, ((self.values[key], TITLES[key]) for key in SUMMARY_ROWS))
        self.summary_box.setTitle(_("What the backup holds (from its manifest)"))
        if self.manifest is not None:
            self._show_manifest(self.manifest)
        self._check_allowed()
        self._line.again(self.status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.status, text, shown)

    def _check_allowed(self) -> None:
        ws = self._ws()
        problem = ""
        if ws is None or ws.actor is None:
            problem = _("The workspace is locked.")
        elif not ws.actor.can(Permission.BACKUP_WORKSPACE):
            problem = _("Only shift leads and coordinators back up the workspace.")
        elif ws.keys is None:
            problem = _(
                "Only a workspace file is backed up here; back up a team database with the "
                "server's own tools (pg_dump)."
            )
        for widget in (self.path, self.choose, self.start_button):
            widget.setEnabled(not problem)
            widget.setToolTip(problem)
        if problem:
            self._line.forget()
            self.status.setText(problem)

    def choose_file(self) -> None:
        chosen = file_dialogs.save_file(
            self, _("Back up workspace"), self.path.text(), _("Accord backups (*.accord)")
        )
        if chosen:
            self.path.setText(chosen)

    def start(self) -> JobHandle | None:
        ws = self._ws()
        text = self.path.text().strip()
        if ws is None or not self.start_button.isEnabled() or (self.job and self.job.running):
            return None
        if not text:
            self._say(lambda: _("Choose where to write the backup first."))
            return None
        target = Path(text).expanduser()
        self.summary_box.hide()
        self.status.setStyleSheet("")
        self._say(lambda: _("Writing the backup…"))
        self.progress.setRange(0, 0)  # busy: SQLCipher writes the copy in one statement
        self.start_button.setEnabled(False)
        self.job = run_job(lambda _progress, _cancel: backup_job(ws, target), self)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        return self.job

    def _stop(self) -> None:
        self.progress.setRange(0, 1)
        self.start_button.setEnabled(True)

    def _on_failed(self, exc: BaseException) -> None:
        self._stop()
        self.progress.setValue(0)
        self.status.setStyleSheet(ERROR_STYLE)
        if isinstance(exc, AccordError):
            self._say(None, str(exc))
        else:
            self._say(None, describe_unexpected(exc, "backup"))

    def _on_done(self, manifest: dict[str, Any]) -> None:
        self._stop()
        self.progress.setValue(1)
        self.manifest = manifest
        self._written = file = self.path.text().strip()
        self._show_manifest(manifest)
        self.summary_box.show()
        self.status.setStyleSheet("")
        self._say(
            lambda: _("Backup written and checked against its manifest: {file}").format(file=file)
        )

    def _show_manifest(self, manifest: dict[str, Any]) -> None:
        counts = manifest.get("counts") or {}
        head = manifest.get("audit_head") or {}
        created = manifest.get("created")
        self.values["file"].setText(self._written)
        self.values["created"].setText(
            with_zone(self.formatter, datetime.fromisoformat(created)) if created else "—"
        )
        self.values["size"].setText(_size(int(manifest.get("size", 0))))
        sha = str(manifest.get("sha256", ""))
        self.values["sha256"].setText(sha[:16] + "…" if sha else "—")
        self.values["sha256"].setToolTip(sha)
        self.values["revision"].setText(str(manifest.get("schema_revision", "")))
        self.values["audit"].setText(
            _("{n} events, head {hash}").format(
                n=head.get("seq", 0), hash=str(head.get("hash", ""))[:12] + "…"
            )
        )
        for key, table in COUNTED.items():
            self.values[key].setText(str(counts.get(table, 0)))
