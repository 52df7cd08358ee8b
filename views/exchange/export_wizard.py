"""Export wizard: cases → partners → TLP and attachments → a preview of every file that
leaves, then the bundle is built on a worker thread and written where the coordinator chose."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.errors import AccordError
from app.exchange import export, partners
from app.exchange.bundle_format import ENCRYPTED_TLP, TLP_LEVELS
from app.workspaces.lifecycle import Workspace
from i18n import N_, _, ngettext
from views.common import file_dialogs
from views.common.retranslate import StatusLine
from views.common.workers import JobHandle, run_job
from views.exchange.export_cases import CasesPage

TLP_HELP = {
    "CLEAR": N_("TLP:CLEAR — may be shared publicly. Signed, not encrypted."),
    "GREEN": N_("TLP:GREEN — the partners' community. Signed, not encrypted."),
    "AMBER": N_("TLP:AMBER — the recipients' organisations. Signed and encrypted."),
    "AMBER+STRICT": N_(
        "TLP:AMBER+STRICT — the recipients' organisations only. Signed and encrypted."
    ),
    "RED": N_("TLP:RED — the named recipients only. Signed and encrypted to them."),
}


def _checked(lst: QListWidget) -> list[str]:
    return [
        str(lst.item(i).data(Qt.ItemDataRole.UserRole))
        for i in range(lst.count())
        if lst.item(i).checkState() == Qt.CheckState.Checked
    ]


class _ChecklistPage(QWizardPage):
    """``title`` and ``hint`` are source texts (``N_``), shown in the current language."""

    def __init__(self, title: str, hint: str) -> None:
        super().__init__()
        self._title, self._hint = title, hint
        self.on_init: Callable[[], None] = lambda: None
        self.list = QListWidget()
        self.list.itemChanged.connect(lambda _item: self.completeChanged.emit())
        self.hint = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(_(self._title))
        self.hint.setText(_(self._hint))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def add(self, value: str, text: str, enabled: bool = True) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, value)
        flags = Qt.ItemFlag.ItemIsUserCheckable
        if enabled:
            flags |= Qt.ItemFlag.ItemIsEnabled
        item.setFlags(flags)
        item.setCheckState(Qt.CheckState.Unchecked)
        self.list.addItem(item)
        return item

    def check(self, values: Sequence[str]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in values and (
                item.flags() & Qt.ItemFlag.ItemIsEnabled
            ):
                item.setCheckState(Qt.CheckState.Checked)

    def initializePage(self) -> None:
        self.on_init()

    def values(self) -> list[str]:
        return _checked(self.list)

    def isComplete(self) -> bool:
        return bool(self.values())


def partner_help(rows: Sequence[partners.PartnerInfo]) -> str:
    """Why no partner can be chosen, and the way forward; empty when one can."""
    if any(p.verified for p in rows):
        return ""
    if not rows:
        return _(
            "No partner CERT is registered yet. Add one in Tools → Partners with the "
            "certificate it sent you, then compare its fingerprint with it out of band."
        )

    def usable(p: partners.PartnerInfo) -> bool:
        return p.current_key is not None and p.current_key.validity == "valid"

    unverified = [p.name for p in rows if usable(p)]
    keyless = [p.name for p in rows if not usable(p)]
    lines = [_("No partner can receive a bundle yet: only a verified partner can.")]
    if unverified:
        lines.append(
            _(
                "Verify {name}'s fingerprint in Tools → Partners: read it with {name} over "
                "a channel you trust (a call), type it in and press Verify."
            ).format(name=unverified[0])
        )
        if len(unverified) > 1:
            lines.append(
                _("Also waiting for verification: {names}.").format(names=", ".join(unverified[1:]))
            )
    if keyless:
        lines.append(
            _(
                "No usable certificate from {names}: ask them for a current one and add it "
                "in Partners."
            ).format(names=", ".join(keyless))
        )
    lines.append(_("Then press Check again."))
    return "\n".join(lines)


class _Page(QWizardPage):
    """A page whose initialisation and completeness the wizard supplies; ``title`` is a
    source text (``N_``), shown in the current language."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title
        self.setTitle(_(title))
        self.on_init: Callable[[], None] = lambda: None
        self.complete: Callable[[], bool] = lambda: True

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.setTitle(_(self._title))
        super().changeEvent(event)

    def initializePage(self) -> None:
        self.on_init()

    def isComplete(self) -> bool:
        return self.complete()


class ExportWizard(QWizard):
    """Emits ``export_requested``; its controller runs the export as a job."""

    export_requested = Signal(list, list, str, list, str)  # cases, partners, tlp, include, out
    exported = Signal(object)  # ExportResult
    export_failed = Signal(str)
    partners_requested = Signal()  # "Open Partners…": the controller shows the Partners tool

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        parent: QWidget | None = None,
        case_keys: Sequence[str] = (),
        selection: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.job: JobHandle | None = None
        self.plan: export.ExportPlan | None = None
        self.last_result: export.ExportResult | None = None
        self._own_title = _("Export a bundle")
        self.setWindowTitle(self._own_title)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        ws = workspace()
        assert ws is not None

        self._selection = selection
        self.cases_page = CasesPage(workspace)
        self.partners_page = _ChecklistPage(
            N_("Partners"), N_("Choose the recipients. Only verified partners can receive.")
        )
        self.partners_help = QLabel()
        self.partners_help.setObjectName("exportPartnersHelp")
        self.partners_help.setWordWrap(True)
        self.partners_help.setTextFormat(Qt.TextFormat.PlainText)
        self.open_partners = QPushButton()
        self.open_partners.setObjectName("exportOpenPartners")
        self.open_partners.clicked.connect(self.partners_requested.emit)
        recheck = self.recheck = QPushButton()
        recheck.setObjectName("exportRecheckPartners")
        recheck.clicked.connect(self.load_partners)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_partners)
        buttons.addWidget(recheck)
        buttons.addStretch(1)
        page_layout = self.partners_page.layout()
        assert isinstance(page_layout, QVBoxLayout)
        page_layout.addWidget(self.partners_help)
        page_layout.addLayout(buttons)
        self.partners_page.on_init = self.load_partners
        self._partner_rows: list[partners.PartnerInfo] = []
        self.load_partners()
        self.cases_page.check([*case_keys, *(selection() if selection else ())])

        self.tlp_page = _Page(N_("Traffic Light Protocol"))
        self.tlp = QComboBox()
        self.tlp.setObjectName("exportTlp")
        self.tlp.addItems(list(TLP_LEVELS))
        self.tlp.setCurrentText("AMBER")
        self.tlp_help = QLabel()
        self.tlp_help.setWordWrap(True)
        self.tlp.currentTextChanged.connect(self._tlp_changed)
        self.hazards = QListWidget()
        self.hazards.setObjectName("exportHazards")
        tl = QVBoxLayout(self.tlp_page)
        tl.addWidget(self.tlp)
        tl.addWidget(self.tlp_help)
        self.hazards_hint = QLabel()
        tl.addWidget(self.hazards_hint)
        tl.addWidget(self.hazards, 1)
        self.tlp_page.on_init = self._init_tlp_page

        self.preview_page = _Page(N_("Preview: every file that leaves"))
        self.summary = QLabel()
        self.summary.setObjectName("exportSummary")
        self.summary.setWordWrap(True)
        self.files = QTableWidget(0, 3)
        self.files.setObjectName("exportFiles")
        self.files.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.files.verticalHeader().setVisible(False)
        self.files.setWordWrap(False)
        self.excluded = QLabel()
        self.excluded.setObjectName("exportExcluded")
        self.excluded.setWordWrap(True)
        self.out = QLineEdit()
        self.out.setObjectName("exportOut")
        self.out.textChanged.connect(lambda _t: self.preview_page.completeChanged.emit())
        browse = self.browse = QPushButton()
        browse.clicked.connect(self._browse)
        self.status = QLabel()
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        pl = QVBoxLayout(self.preview_page)
        pl.addWidget(self.summary)
        pl.addWidget(self.files, 1)
        pl.addWidget(self.excluded)
        row = QHBoxLayout()
        self.out_label = QLabel()
        row.addWidget(self.out_label)
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        pl.addLayout(row)
        pl.addWidget(self.status)
        self.preview_page.on_init = self._init_preview
        self.preview_page.complete = self._preview_complete

        for page in (self.cases_page, self.partners_page, self.tlp_page, self.preview_page):
            self.addPage(page)
        self.export_requested.connect(self._export)
        self._hazard_rows: list[export.AttachmentChoice] = []
        self._line = StatusLine()  # the status line, said again in a new language
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings and what the pages list; ticks, choices and the file stay."""
        if self.windowTitle() == self._own_title:  # a host's title (Tools) is the host's
            self._own_title = _("Export a bundle")
            self.setWindowTitle(self._own_title)
        self.open_partners.setText(_("Open Partners…"))
        self.recheck.setText(_("Check again"))
        self.hazards_hint.setText(
            _(
                "Hazardous attachments stay out unless you include them one by "
                "one; an included one goes to every recipient chosen."
            )
        )
        self.files.setHorizontalHeaderLabels([_("File"), _("Size"), _("SHA-256")])
        self.browse.setText(_("Browse…"))
        self.out_label.setText(_("Save as"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("Export"))
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Cancel"))
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton):
            # Qt's own words (in the language once its qtbase catalog is installed): QWizard
            # does not rename its buttons on a language switch by itself.
            self.button(which).setText(self.buttonText(which))
        self._tlp_changed(self.tlp.currentText())
        self._show_partners(self._partner_rows)
        for row, a in enumerate(self._hazard_rows):
            item = self.hazards.item(row)
            if item is not None:
                item.setText(self._hazard_text(a))
        if self.plan is not None:
            self._show_plan(self.plan)
        self._line.again(self.status)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.status, text, shown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _hazard_text(a: export.AttachmentChoice) -> str:
        return _("{case} / {name} — hazardous: {kind}").format(
            case=a.case, name=a.filename, kind=a.hazard_kind or _("unspecified")
        )

    # -- pages ------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        """Opened again from the Tools menu on its first page: the queue's selection now."""
        if self._selection is not None and self.currentId() in (-1, self.startId()):
            self.cases_page.check(self._selection())
        super().showEvent(event)

    def load_partners(self) -> None:
        """List the partners afresh (one may have been verified meanwhile) and say what to do
        when none can receive."""
        ws = self._workspace()
        if ws is None:
            return
        ticked = set(self.partners_page.values())
        with ws.session() as s:
            rows = partners.list_partners(s)
        self._partner_rows = rows
        self.partners_page.list.clear()
        for p in rows:
            self.partners_page.add(p.name, "", enabled=p.verified)
        self._show_partners(rows)
        self.partners_page.check(sorted(ticked))
        self.open_partners.setVisible(not any(p.verified for p in rows))
        self.partners_page.completeChanged.emit()

    def _show_partners(self, rows: Sequence[partners.PartnerInfo]) -> None:
        """Each partner's line and the help, in the current language (no query: a language
        switch also reaches a wizard whose workspace is locked)."""
        for row, p in enumerate(rows):
            if p.verified:
                text = p.name
            elif p.current_key is None:
                text = _("{name} (no certificate)").format(name=p.name)
            elif p.current_key.validity == "revoked":
                text = _("{name} (key revoked)").format(name=p.name)
            elif p.current_key.validity == "expired":
                text = _("{name} (key expired)").format(name=p.name)
            else:
                text = _("{name} (not verified)").format(name=p.name)
            item = self.partners_page.list.item(row)
            if item is not None:
                item.setText(text)
        self.partners_help.setText(partner_help(rows))
        self.partners_help.setVisible(bool(self.partners_help.text()))

    def _tlp_changed(self, tlp: str) -> None:
        self.tlp_help.setText(_(TLP_HELP[tlp]))

    def _init_tlp_page(self) -> None:
        ws = self._workspace()
        self.hazards.clear()
        self._hazard_rows = []
        if ws is None:
            return
        with ws.session() as s:
            rows = export.attachment_choices(s, self.cases_page.values())
        for a in rows:
            if not a.hazardous:
                continue
            self._hazard_rows.append(a)
            item = QListWidgetItem(self._hazard_text(a))
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.hazards.addItem(item)

    def include(self) -> list[tuple[int, str]]:
        ids = [int(x) for x in _checked(self.hazards)]
        return [(i, p) for i in ids for p in self.partners_page.values()]

    def _init_preview(self) -> None:
        ws = self._workspace()
        if ws is None:
            return
        try:
            with ws.session() as s:
                plan = export.preview_bundle(
                    s,
                    ws.require_actor(),
                    self.partners_page.values(),
                    self.cases_page.values(),
                    self.tlp.currentText(),
                    self.include(),
                )
        except AccordError as exc:
            self.plan = None
            self.summary.setText(str(exc))
            self.files.setRowCount(0)
            self.preview_page.completeChanged.emit()
            return
        self.plan = plan
        self._show_plan(plan)
        self.preview_page.completeChanged.emit()

    def _show_plan(self, plan: export.ExportPlan) -> None:
        how = _("encrypted to the recipients") if plan.encrypted else _("signed, not encrypted")
        self.summary.setText(
            _("TLP:{tlp} to {to}: {n} files, {how}.").format(
                tlp=plan.tlp, to=", ".join(plan.recipients), n=len(plan.files), how=how
            )
        )
        self.files.setRowCount(len(plan.files))
        for r, f in enumerate(plan.files):
            size = str(f.size) if f.sha256 else _("(made at export)")
            for c, text in enumerate((f.path, size, f.sha256 or "—")):
                self.files.setItem(r, c, QTableWidgetItem(text))
        warning = (
            [
                "⚠ "
                + ngettext(
                    "{n} hazardous attachment is not sent.",
                    "{n} hazardous attachments are not sent.",
                    len(plan.excluded),
                ).format(n=len(plan.excluded))
            ]
            if plan.excluded
            else []
        )
        self.excluded.setText(
            "\n".join(
                warning
                + [
                    _("Not sent: {case} / {name} — {reason}").format(
                        case=e.case, name=e.filename, reason=e.reason
                    )
                    for e in plan.excluded
                ]
            )
        )
        if not self.out.text():
            suffix = ".zip.gpg" if plan.tlp in ENCRYPTED_TLP else ".zip"
            self.out.setText(str(Path.home() / f"accord-bundle{suffix}"))

    def _preview_complete(self) -> bool:
        return (
            getattr(self, "plan", None) is not None
            and bool(self.out.text().strip())
            and (self.job is None or not self.job.running)
        )

    def _browse(self) -> None:
        path = file_dialogs.save_file(self, _("Save the bundle"), self.out.text())
        if path:
            self.out.setText(path)

    def accept(self) -> None:
        """Finish starts the export; the wizard closes when the bundle is written."""
        if self.job is not None and self.job.running:
            return
        self.export_requested.emit(
            self.cases_page.values(),
            self.partners_page.values(),
            self.tlp.currentText(),
            self.include(),
            self.out.text(),
        )

    # -- controller -------------------------------------------------------------------------
    def _export(
        self,
        case_keys: list[str],
        to: list[str],
        tlp: str,
        include: list[tuple[int, str]],
        out: str,
    ) -> None:
        ws = self._workspace()
        if ws is None:
            return
        target = Path(out)
        if target.exists():
            self._say(lambda: _("{file} exists already; choose a new file").format(file=out))
            return
        actor = ws.require_actor()

        def job(
            progress: Callable[[int, int], None], cancel: Callable[[], bool]
        ) -> export.ExportResult:
            with ws.session() as s:
                result = export.export_bundle(
                    s, actor, to, case_keys, tlp, include, progress=progress, cancel=cancel
                )
                target.write_bytes(result.data)
            return result

        self._say(lambda: _("Exporting…"))
        self.job = run_job(job, self)
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(self._failed)
        self.preview_page.completeChanged.emit()

    def _done(self, result: export.ExportResult) -> None:
        self.last_result = result
        written = self.out.text()
        self._say(lambda: _("Wrote {file}").format(file=written))
        self.exported.emit(result)
        super().accept()
        # Opened again from the Tools menu, the wizard starts afresh.
        self.job = None
        self.out.clear()
        self.restart()

    def _failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, AccordError | OSError) else repr(error)
        self._say(None, message)
        self.export_failed.emit(message)
        self.preview_page.completeChanged.emit()
