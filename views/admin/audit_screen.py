"""The audit log's health: verify the chain (hashes, the analysts' signatures, the signed
checkpoints) in a worker and show signed and unsigned counts, checkpoints, and the first bad
event if any; sign a checkpoint of the chain's head on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError, describe_unexpected
from app.identity import chain_report
from app.identity.chain_report import ChainReport
from app.workspaces.lifecycle import Workspace
from i18n import _, current_language
from views.common.retranslate import StatusLine
from views.common.times import with_zone
from views.common.workers import JobHandle, run_job
from views.queue.model import Formatter

ERROR_STYLE = "color: #b00020; font-weight: bold;"
OK_STYLE = "color: #1b5e20; font-weight: bold;"
ROWS = ("result", "events", "signed", "unsigned", "checkpoints", "last", "bad", "problem")


def verify_job(ws: Workspace) -> ChainReport:
    with ws.session() as s:
        return chain_report.check(s)


class AuditScreen(QWidget):
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
        self.report: ChainReport | None = None
        # Said before the next verification's result (a checkpoint signed).
        self._note: Callable[[], str] | None = None
        self._line = StatusLine()  # the status line, said again in a new language

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.verify_button = QPushButton()
        self.verify_button.clicked.connect(lambda: self.verify())
        self.checkpoint_button = QPushButton()
        self.checkpoint_button.clicked.connect(lambda: self.sign_checkpoint())
        buttons = QHBoxLayout()
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.checkpoint_button)
        buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        self.values = {k: QLabel() for k in ROWS}
        for label in self.values.values():
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.labels = {k: QLabel() for k in ROWS}
        form = QFormLayout()
        for key in ROWS:
            form.addRow(self.labels[key], self.values[key])
        self.result_box = QGroupBox()
        self.result_box.setLayout(form)
        self.result_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.result_box)
        layout.addStretch(1)
        self.resize(680, 440)
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings, then the report shown and the status line."""
        self.formatter = replace(self.formatter, locale=current_language())
        self.intro.setText(
            _(
                "Every change is an event in a hash chain, signed by the analyst who made it; "
                "checkpoints signed with the organisation key anchor the chain's head."
            )
        )
        self.verify_button.setText(_("Verify now"))
        self.checkpoint_button.setText(_("Sign a checkpoint now"))
        titles = {
            "result": _("Result"),
            "events": _("Events"),
            "signed": _("Signed"),
            "unsigned": _("Unsigned"),
            "checkpoints": _("Checkpoints"),
            "last": _("Latest checkpoint"),
            "bad": _("First bad event"),
            "problem": _("Why"),
        }
        for key, text in titles.items():
            self.labels[key].setText(text)
        self.result_box.setTitle(_("Verification"))
        if self.report is not None:
            self._show_values(self.report)
        self._line.again(self.status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.status, text, shown)

    def verify(self) -> JobHandle | None:
        ws = self._ws()
        if ws is None or (self.job is not None and self.job.running):
            return None
        self.status.setStyleSheet("")
        self._say(lambda: _("Verifying the audit chain…"))
        self.progress.setRange(0, 0)
        self.verify_button.setEnabled(False)
        self.job = run_job(lambda _progress, _cancel: verify_job(ws), self)
        self.job.succeeded.connect(self.show_report)
        self.job.failed.connect(self._on_failed)
        return self.job

    def _stop(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.verify_button.setEnabled(True)

    def _on_failed(self, exc: BaseException) -> None:
        self._stop()
        self.status.setStyleSheet(ERROR_STYLE)
        self._say(
            None,
            str(exc) if isinstance(exc, AccordError) else describe_unexpected(exc, "audit verify"),
        )

    def show_report(self, report: ChainReport) -> None:
        self._stop()
        self.report = report
        self._show_values(report)
        self.result_box.show()
        self.status.setStyleSheet("" if report.ok else ERROR_STYLE)
        note, self._note = self._note, None

        def verdict() -> str:
            said = (
                _("The audit chain verifies end to end.")
                if report.ok
                else _(
                    "The audit chain does not verify; keep this workspace as it is and report it."
                )
            )
            return f"{note()}\n{said}" if note is not None else said

        self._say(verdict)

    def _show_values(self, report: ChainReport) -> None:
        v = self.values
        if report.ok:
            v["result"].setText(_("intact"))
            v["result"].setStyleSheet(OK_STYLE)
        else:
            v["result"].setText(_("BROKEN — the audit log was changed"))
            v["result"].setStyleSheet(ERROR_STYLE)
        v["events"].setText(str(report.events))
        v["signed"].setText(str(report.signed))
        v["unsigned"].setText(
            str(report.unsigned)
            + (" " + _("(made before signing keys, or by the system)") if report.unsigned else "")
        )
        v["checkpoints"].setText(str(report.checkpoints))
        if report.last_checkpoint_at is not None:
            v["last"].setText(
                _("{when}, vouching for {n} events").format(
                    when=with_zone(self.formatter, report.last_checkpoint_at),
                    n=report.last_checkpoint_events,
                )
            )
        else:
            v["last"].setText(_("none yet"))
        bad = report.bad
        if bad is not None:
            parts = [_("event {seq}").format(seq=bad.seq)]
            if bad.action:
                parts.append(bad.action)
            if bad.actor:
                parts.append(_("by {actor}").format(actor=bad.actor))
            if bad.at is not None:
                parts.append(with_zone(self.formatter, bad.at))
            if bad.case:
                parts.append(bad.case)
            v["bad"].setText(" · ".join(parts))
        for key, shown in (("bad", bad is not None), ("problem", bool(report.problem))):
            self.labels[key].setVisible(shown)
            v[key].setVisible(shown)
        v["problem"].setText(report.problem or "")

    def sign_checkpoint(self) -> int | None:
        """Sign the chain's head with the organisation key now, then verify again."""
        ws = self._ws()
        if ws is None:
            return None
        try:
            with ws.session() as s:
                seq = chain_report.checkpoint(s, ws.require_actor())
        except AccordError as exc:
            self.status.setStyleSheet(ERROR_STYLE)
            self._say(None, str(exc))
            return None
        self._note = lambda: _("Checkpoint signed at event {n}.").format(n=seq)
        self.status.setStyleSheet("")
        self._say(self._note)
        self.verify()
        return seq
