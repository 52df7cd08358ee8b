"""The advisory editor: source and target language side by side, per-field state markers,
termbase hints, a live HTML preview, and the review actions.

The widget shows frozen data from ``app.advisories`` and emits ``*_requested`` signals;
``AdvisoryController`` (below) runs the services in a session per action and feeds the
results back. Typing in the translation saves it after a short pause.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import advisories
from app.advisories import content, exporting, render
from app.advisories.drafting import TLP_LEVELS, AdvisoryStatus, CellInfo
from app.advisories.fields import FIELD_LABELS, FIELDS, REVIEW_LABELS, STATE_LABELS
from app.errors import AccordError, ConflictError
from app.workspaces.lifecycle import Workspace
from i18n import LANGUAGE_NAMES, LANGUAGES, _, is_rtl
from models import Analyst, Case
from views.common import file_dialogs
from views.common.failures import show_conflict
from views.common.flow import FlowLayout

SAVE_DELAY_MS = 400
MARKS = {"source": "●", "current": "✓", "stale": "⚠", "missing": "○"}
COLOURS = {"source": "#1f5fa8", "current": "#2e7d32", "stale": "#b26a00", "missing": "#777777"}
STATE_ROLE = Qt.ItemDataRole.UserRole + 1


VEX = "csaf-vex"  # the export format token for CSAF with the VEX profile


class AdvisoryEditor(QWidget):
    """Edits the advisory of one case; ``set_status``/``show_cell`` feed it frozen data."""

    create_requested = Signal(str)  # source language
    save_requested = Signal(str, str, str)  # field, language, text
    review_requested = Signal(str)  # submit | approve | reject | publish
    tlp_requested = Signal(str)  # CLEAR | GREEN | AMBER | AMBER+STRICT | RED
    field_requested = Signal(str, str)  # field, target language
    export_requested = Signal(str, str, str)  # format, language, path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: AdvisoryStatus | None = None
        self.field = FIELDS[0]
        self._loading = False
        self._pending: tuple[str, str, str] | None = None

        self.header = QLabel()
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target_label = QLabel()
        self.target = QComboBox()
        for code in LANGUAGES:
            self.target.addItem(LANGUAGE_NAMES[code], code)
        self.source_choice = QComboBox()
        for code in LANGUAGES:
            self.source_choice.addItem(LANGUAGE_NAMES[code], code)
        self.create_button = QPushButton()
        self.tlp = QComboBox()
        for label in TLP_LEVELS:
            self.tlp.addItem(f"TLP:{label}", label)
        self.submit_button = QPushButton()
        self.approve_button = QPushButton()
        self.reject_button = QPushButton()
        self.publish_button = QPushButton()
        self.export_button = QPushButton()
        # The row wraps (FlowLayout): in German the review buttons beside the header needed
        # 1475 px, wider than a 1366 px laptop. The header takes what is left on its line.
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        top = FlowLayout()
        top.addWidget(self.header)
        top.addWidget(self.target_label)
        top.addWidget(self.target)
        top.addWidget(self.tlp)
        top.addWidget(self.source_choice)
        for button in (
            self.create_button, self.submit_button, self.approve_button, self.reject_button,
            self.publish_button, self.export_button,
        ):  # fmt: skip
            top.addWidget(button)

        self.fields = QListWidget()
        self.fields.setMaximumWidth(260)
        self.source_label = QLabel()
        self.source_edit = QPlainTextEdit()
        self.target_text_label = QLabel()
        self.target_edit = QPlainTextEdit()
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.preview = QTextBrowser()
        self.preview.setOpenLinks(False)

        pair = QWidget()
        pair_layout = QHBoxLayout(pair)
        pair_layout.setContentsMargins(0, 0, 0, 0)
        for caption, edit in (
            (self.source_label, self.source_edit),
            (self.target_text_label, self.target_edit),
        ):
            column = QVBoxLayout()
            column.addWidget(caption)
            column.addWidget(edit)
            pair_layout.addLayout(column)
        editors = QWidget()
        editors_layout = QVBoxLayout(editors)
        editors_layout.setContentsMargins(0, 0, 0, 0)
        editors_layout.addWidget(pair, 1)
        editors_layout.addWidget(self.hints)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(editors)
        self.split.addWidget(self.preview)
        body = QHBoxLayout()
        body.addWidget(self.fields)
        body.addWidget(self.split, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)

        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(SAVE_DELAY_MS)
        self.save_timer.timeout.connect(self.flush)
        self.fields.currentRowChanged.connect(self._on_field_row)
        self.target.currentIndexChanged.connect(lambda _i: self._on_target_changed())
        self.source_edit.textChanged.connect(lambda: self._edited(self.source_edit, source=True))
        self.target_edit.textChanged.connect(lambda: self._edited(self.target_edit, source=False))
        self.create_button.clicked.connect(
            lambda: self.create_requested.emit(str(self.source_choice.currentData()))
        )
        self.tlp.activated.connect(lambda _i: self.tlp_requested.emit(str(self.tlp.currentData())))
        self.submit_button.clicked.connect(lambda: self._review("submit"))
        self.approve_button.clicked.connect(lambda: self._review("approve"))
        self.reject_button.clicked.connect(lambda: self._review("reject"))
        self.publish_button.clicked.connect(lambda: self._review("publish"))
        # Export offers the advisory in every format, and the CSAF VEX profile (the product
        # statuses alone), as `accord advisory export --format csaf --profile vex` does.
        export_menu = QMenu(self.export_button)
        self.export_action = export_menu.addAction("", self._ask_export)
        self.vex_action = export_menu.addAction("", self._ask_export_vex)
        self.export_button.setMenu(export_menu)
        self.retranslate()
        self.set_status(None)

    # -- strings ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.target_label.setText(_("Translate into"))
        self.create_button.setText(_("Start advisory"))
        self.source_choice.setToolTip(_("Source language of the new advisory"))
        self.tlp.setToolTip(_("Traffic Light Protocol label of the advisory"))
        self.submit_button.setText(_("Submit for review"))
        self.approve_button.setText(_("Approve"))
        self.reject_button.setText(_("Request changes"))
        self.publish_button.setText(_("Publish"))
        self.export_button.setText(_("Export…"))
        self.export_action.setText(_("Advisory: CSAF, HTML, Markdown or text…"))
        self.vex_action.setText(_("CSAF VEX profile (product statuses only)…"))
        self.target_edit.setPlaceholderText(_("Type the translation here"))
        self.preview.setPlaceholderText(_("The preview appears here."))
        parent = self.parentWidget()
        tabs = parent.parentWidget() if parent is not None else None
        if isinstance(tabs, QTabWidget) and tabs.indexOf(self) >= 0:
            tabs.setTabText(tabs.indexOf(self), _("Advisory"))
        self.set_status(self.status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- state ----------------------------------------------------------------------------
    @property
    def target_language(self) -> str:
        return str(self.target.currentData())

    def set_target_language(self, language: str) -> None:
        self.target.setCurrentIndex(self.target.findData(language))

    def set_status(self, info: AdvisoryStatus | None) -> None:
        """Show the review state and the per-field markers for the chosen target language."""
        self.status = info
        exists = info is not None
        self.create_button.setVisible(not exists)
        self.source_choice.setVisible(not exists)
        self.tlp.setVisible(exists)
        for w in (self.submit_button, self.approve_button, self.reject_button,
                  self.publish_button, self.export_button, self.fields, self.split):  # fmt: skip
            w.setEnabled(exists)
        if info is None:
            self.header.setText(_("This case has no advisory yet."))
            self.fields.clear()
            return
        self.header.setText(
            _("Advisory {key}: {status}, revision {revision}, TLP:{tlp}").format(
                key=info.case,
                status=_(REVIEW_LABELS.get(info.status, info.status)),
                revision=info.revision,
                tlp=info.tlp,
            )
        )
        self.tlp.setCurrentIndex(self.tlp.findData(info.tlp))
        self.submit_button.setEnabled(info.status == "draft")
        self.approve_button.setEnabled(info.status == "in-review")
        self.reject_button.setEnabled(info.status == "in-review")
        self.publish_button.setEnabled(info.status == "approved")
        lang = self.target_language
        if lang == info.source_language:
            lang = next(code for code in LANGUAGES if code != info.source_language)
            self.set_target_language(lang)
        self.source_label.setText(
            _("Source ({language})").format(language=LANGUAGE_NAMES.get(info.source_language, ""))
        )
        blocked = self.fields.blockSignals(True)
        if self.fields.count() != len(FIELDS):
            self.fields.clear()
            for _name in FIELDS:
                self.fields.addItem(QListWidgetItem())
        for row, name in enumerate(FIELDS):
            state = info.states[name].get(lang, "missing")
            item = self.fields.item(row)
            item.setText(f"{MARKS[state]}  {_(FIELD_LABELS[name])}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setData(STATE_ROLE, state)
            item.setToolTip(_(STATE_LABELS[state]))
            item.setForeground(QColor(COLOURS[state]))
        self.fields.setCurrentRow(FIELDS.index(self.field))
        self.fields.blockSignals(blocked)

    def state_of(self, field: str) -> str:
        """The marker state shown for ``field`` in the current target language."""
        return str(self.fields.item(FIELDS.index(field)).data(STATE_ROLE))

    def show_cell(self, source: CellInfo, target: CellInfo) -> None:
        """Load one field: the source text, the translation and its termbase hints."""
        for edit, lang in (
            (self.source_edit, source.language),
            (self.target_edit, target.language),
        ):
            self._set_direction(edit, lang)
        self._loading = True
        try:
            if self.source_edit.toPlainText() != source.text:
                self.source_edit.setPlainText(source.text)
            if self.target_edit.toPlainText() != target.text:
                self.target_edit.setPlainText(target.text)
        finally:
            self._loading = False
        self.target_text_label.setText(
            _("{language} — {state}").format(
                language=LANGUAGE_NAMES.get(target.language, target.language),
                state=_(STATE_LABELS[target.state]),
            )
        )
        self.show_hints(target)

    @staticmethod
    def _set_direction(edit: QPlainTextEdit, language: str) -> None:
        """Arabic is typed and shown right to left whatever the interface language."""
        rtl = is_rtl(language)
        edit.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        option = edit.document().defaultTextOption()
        option.setTextDirection(
            Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        )
        option.setAlignment(
            Qt.AlignmentFlag.AlignAbsolute
            | (Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft)
        )
        edit.document().setDefaultTextOption(option)

    def show_hints(self, target: CellInfo) -> None:
        missing = [h for h in target.termbase if not h.present]
        kept = [h for h in target.termbase if h.present]
        lines = [("⚠ " + h.message()) for h in missing]
        lines += [
            _("Termbase: “{term}” → “{expected}”").format(
                term=h.source_term, expected=" / ".join(h.target_forms)
            )
            for h in kept
        ]
        self.hints.setText("\n".join(lines))
        self.hints.setStyleSheet("color: #b26a00;" if missing else "")

    def show_preview(self, html: str) -> None:
        self.preview.setHtml(html)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    # -- user input -----------------------------------------------------------------------
    def _on_field_row(self, row: int) -> None:
        if 0 <= row < len(FIELDS):
            self.flush()
            self.field = FIELDS[row]
            self._request_field()

    def _on_target_changed(self) -> None:
        self.flush()
        self.set_status(self.status)
        self._request_field()

    def _request_field(self) -> None:
        if self.status is not None:
            self.flush()
            self.field_requested.emit(self.field, self.target_language)

    def _edited(self, edit: QPlainTextEdit, *, source: bool) -> None:
        if self._loading or self.status is None:
            return
        lang = self.status.source_language if source else self.target_language
        self._pending = (self.field, lang, edit.toPlainText())
        self.save_timer.start()

    def flush(self) -> None:
        """Save the pending edit now (also called when the field or language changes)."""
        self.save_timer.stop()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.save_requested.emit(*pending)

    def _review(self, action: str) -> None:
        self.flush()
        self.review_requested.emit(action)

    def _ask_export(self) -> None:
        path = file_dialogs.save_file(
            self, _("Export advisory"), "",
            _("CSAF JSON (*.json);;HTML page (*.html);;Markdown (*.md);;Plain text (*.txt)"),
        )  # fmt: skip
        if not path:
            return
        suffix = path.rsplit(".", 1)[-1].lower()
        fmt = {"json": "csaf", "html": "html", "md": "md", "txt": "txt"}.get(suffix, "html")
        self.export_requested.emit(fmt, self.target_language, path)

    def _ask_export_vex(self) -> None:
        path = file_dialogs.save_file(self, _("Export CSAF VEX"), "", _("CSAF VEX JSON (*.json)"))
        if path:
            self.export_requested.emit(VEX, self.target_language, path)


class AdvisoryController(QObject):
    """Runs the advisory services for one editor, one session per action."""

    changed = Signal()

    def __init__(self, workspace: Workspace, case_key: str, editor: AdvisoryEditor) -> None:
        super().__init__(editor)
        self.ws = workspace
        self.case_key = case_key
        self.editor = editor
        editor.create_requested.connect(self.create)
        editor.save_requested.connect(self.save)
        editor.review_requested.connect(self.review)
        editor.tlp_requested.connect(self.set_tlp)
        editor.field_requested.connect(lambda _f, _l: self.load_cell())
        editor.export_requested.connect(self.export)

    def reload(self) -> None:
        try:
            with self.ws.session() as s:
                info = advisories.status(s, self.case_key)
        except AccordError:
            self.editor.set_status(None)
            return
        self.editor.set_status(info)
        self.load_cell()

    def load_cell(self) -> None:
        editor = self.editor
        if editor.status is None:
            return
        with self.ws.session() as s:
            adv = advisories.get_advisory(s, self.case_key)
            source = advisories.cell_info(adv, editor.field, adv.source_language)
            target = advisories.cell_info(adv, editor.field, editor.target_language)
            actor = self.ws.actor
            analyst = s.get(Analyst, actor.id) if actor is not None and actor.id else None
            html = render.render(
                content.load(s, self.case_key, editor.target_language),
                "html",
                analyst.timezone if analyst is not None else None,
            )
        editor.show_cell(source, target)
        editor.show_preview(html)

    def create(self, language: str) -> None:
        self._act(lambda s: advisories.create(s, self.ws.require_actor(), self.case_key, language))

    def save(self, field: str, language: str, text: str) -> None:
        shown = self.editor.status
        try:
            with self.ws.session() as s:
                advisories.set_text(
                    s,
                    self.ws.require_actor(),
                    self.case_key,
                    field,
                    language,
                    text,
                    expected_version=shown.version if shown is not None else None,
                )
                info = advisories.status(s, self.case_key)
        except ConflictError as exc:
            show_conflict(self.editor, exc, self.reload)
            return
        except AccordError as exc:
            self.editor.show_message(str(exc), error=True)
            return
        self.editor.show_message("")
        self.editor.set_status(info)
        self.load_cell()
        self.changed.emit()

    def review(self, action: str) -> None:
        actor = self.ws.require_actor()
        fn = {
            "submit": advisories.submit,
            "approve": advisories.approve,
            "reject": advisories.request_changes,
            "publish": advisories.publish,
        }[action]
        self._act(lambda s: fn(s, actor, self.case_key))

    def set_tlp(self, label: str) -> None:
        self._act(lambda s: advisories.set_tlp(s, self.ws.require_actor(), self.case_key, label))

    def export(self, fmt: str, language: str, path: str) -> None:
        from pathlib import Path

        fmt, profile = ("csaf", "vex") if fmt == VEX else (fmt, "advisory")
        try:
            with self.ws.session() as s:
                exporting.export(
                    s, self.ws.require_actor(), self.case_key, fmt, Path(path),
                    language=language, profile=profile,
                )  # fmt: skip
        except AccordError as exc:
            self.editor.show_message(str(exc), error=True)
            return
        self.editor.show_message(_("Wrote {out}.").format(out=path))

    def _act(self, action: object) -> None:
        try:
            with self.ws.session() as s:
                action(s)  # type: ignore[operator]
        except AccordError as exc:
            self.editor.show_message(str(exc), error=True)
            return
        self.editor.show_message("")
        self.reload()
        self.changed.emit()


def build_editor(
    workspace: Workspace, case_id: int, parent: QWidget | None = None
) -> AdvisoryEditor:
    """An editor wired to its controller for the case with this id (the case-tab factory)."""
    with workspace.session() as s:
        case = s.get(Case, case_id)
        key = case.key if case is not None else ""
    editor = AdvisoryEditor(parent)
    editor.controller = AdvisoryController(workspace, key, editor)  # type: ignore[attr-defined]
    editor.controller.reload()  # type: ignore[attr-defined]
    return editor


class AdvisoryPanel(QWidget):
    """The editor of whichever case is selected in the main window's queue (a Tools window)."""

    def __init__(self, workspace: Workspace, case_id: int = 0, parent: QWidget | None = None):
        super().__init__(parent)
        self.ws = workspace
        self.case_id = 0
        self.editor: AdvisoryEditor | None = None
        self.placeholder = QLabel()
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.placeholder)
        self.retranslate()
        self.set_case(case_id)

    def retranslate(self) -> None:
        self.placeholder.setText(_("Select a case in the queue to edit its advisory."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_case(self, case_id: int) -> None:
        if case_id == self.case_id:
            return
        if self.editor is not None:
            self.editor.flush()
            self._layout.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None
        self.case_id = case_id
        self.placeholder.setVisible(not case_id)
        if case_id:
            self.editor = build_editor(self.ws, case_id, self)
            self._layout.addWidget(self.editor)
