"""Case tabs to correct a case — "Affected & identifiers" (identifiers, affected products,
embargo) and "Notes" (the timeline, internal or shared) — and the Merge tool (preview, then
merge, split or link).

The widgets show frozen data from ``app.casework`` and call its services with the version
they showed, so a colleague's change made meanwhile is refused and reported, never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import trust
from app.casework import affected, cases, embargo, identifiers, merging, notes
from app.errors import AccordError, ConflictError
from app.workspaces.lifecycle import Workspace
from i18n import N_, _, current_language
from i18n.formatting import format_moment
from views.common.elided import ElidedLabel
from views.common.flow import FlowLayout
from views.common.retranslate import StatusLine, relabel, retitle_column, retitle_items
from views.common.time_zone import reader_zone

ERROR_STYLE = "color: #b00020;"
ID_HEADERS = (N_("Type"), N_("Identifier"), N_("From"))
# No id column: a row is edited through the frozen row behind it (``product_rows``), and a
# database id told the analyst nothing.
PRODUCT_HEADERS = (
    N_("Kind"), N_("Vendor"), N_("Name"), N_("Version or range"), N_("Hash"), N_("Package URL"),
)  # fmt: skip
KIND_COLUMN = PRODUCT_HEADERS.index("Kind")
SOURCE_LABELS = {"case": N_("case"), "report": N_("report"), "vulnerability": N_("vulnerability")}


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def _scheme_label(kind: str) -> str:
    """Identifier schemes read as their acronyms (CVE, GHSA); the two words are translated."""
    return _(kind) if kind in ("vendor", "document") else kind.upper()


def _cell(text: str | None) -> QTableWidgetItem:
    item = QTableWidgetItem(text or "—")
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class _CasePanel(QWidget):
    """A case tab that loads from ``app.casework`` and reports its own errors."""

    changed = Signal()

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.case_id = case_id
        with workspace.session() as s:
            self.case_key = cases.key_for_id(s, case_id)
        self.version: int | None = None
        self._zone_shown = "UTC"  # the zone of the times shown (set by reload)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)

    def _edit(self, action: Callable[..., object]) -> bool:
        """Run one edit against the shown version; show what went wrong, reload either way."""
        try:
            with self.workspace.session() as s:
                action(s, self.workspace.require_actor())
        except ConflictError as exc:
            self.error.setText(str(exc))
            self.reload()
            return False
        except AccordError as exc:
            self.error.setText(str(exc))
            return False
        self.error.clear()
        self.reload()
        self.changed.emit()
        return True

    def reload(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _zone(self) -> str:
        """The reader's zone: times are shown in it, always named."""
        return reader_zone(self.workspace)

    def retranslate(self) -> None:  # pragma: no cover - overridden
        """Redo the strings from what is shown, without a query: a language switch also
        reaches a tab whose workspace is locked by then."""
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class AffectedPanel(_CasePanel):
    """Identifiers, affected products and the embargo of one case."""

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None):
        super().__init__(workspace, case_id, parent)
        self.ids = _table(ID_HEADERS)
        # The identifier is what an analyst reads and copies: it takes the width, the scheme
        # and where it came from only what their words need.
        header = self.ids.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ID_HEADERS.index("Identifier"), QHeaderView.ResizeMode.Stretch)
        self.id_type = QComboBox()
        for kind in identifiers.SCHEMES:
            self.id_type.addItem(_scheme_label(kind), kind)
        self.id_value = QLineEdit()
        self.id_value.setPlaceholderText("CVE-2026-41234")
        self.id_add = QPushButton()
        self.id_remove = QPushButton()
        self.id_add.clicked.connect(self.add_identifier)
        self.id_value.returnPressed.connect(self.add_identifier)
        self.id_remove.clicked.connect(self.remove_identifier)
        # Rows of fields and buttons wrap (FlowLayout) where the pane is narrower than their
        # translated texts, instead of scrolling sideways (Portuguese needed 90 px more).
        em = self.id_value.fontMetrics().averageCharWidth()
        self.id_value.setMinimumWidth(em * 18)
        id_row = FlowLayout()
        for w in (self.id_type, self.id_value, self.id_add, self.id_remove):
            id_row.addWidget(w)
        id_box = self.id_box = QGroupBox()
        id_layout = QVBoxLayout(id_box)
        id_layout.addWidget(self.ids)
        id_layout.addLayout(id_row)

        self.products = _table(PRODUCT_HEADERS)
        self.name = QLineEdit()
        self.vendor = QLineEdit()
        self.version_kind = QComboBox()
        self.version_kind.addItem("", "version")
        self.version_kind.addItem("", "range")
        self.version_text = QLineEdit()
        self.hash = QLineEdit()
        self.hash.setPlaceholderText("sha256:…")
        self.purl = QLineEdit()
        self.purl.setPlaceholderText("pkg:pypi/name@1.0")
        self.kind = QComboBox()
        for k in affected.KINDS:
            self.kind.addItem("", k)
        self.kind.setCurrentIndex(affected.KINDS.index("system"))
        self.product_add = QPushButton()
        self.product_remove = QPushButton()
        self.product_add.clicked.connect(self.add_product)
        self.product_remove.clicked.connect(self.remove_product)
        form = self.product_form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(_("Name"), self.name)
        form.addRow(_("Vendor"), self.vendor)
        version_row = self.version_row = QHBoxLayout()
        version_row.addWidget(self.version_kind)
        version_row.addWidget(self.version_text, 1)
        form.addRow(_("Version"), version_row)
        form.addRow(_("Hash"), self.hash)
        form.addRow(_("Package URL"), self.purl)
        form.addRow(_("Kind"), self.kind)
        buttons = QHBoxLayout()
        buttons.addWidget(self.product_add)
        buttons.addWidget(self.product_remove)
        buttons.addStretch(1)
        product_box = self.product_box = QGroupBox()
        product_layout = QVBoxLayout(product_box)
        product_layout.addWidget(self.products)
        product_layout.addLayout(form)
        product_layout.addLayout(buttons)

        self.trust_label = QLabel()
        self.trust_label.setTextFormat(Qt.TextFormat.PlainText)
        self.embargo_edit = QLineEdit()
        self.embargo_edit.setPlaceholderText("2026-12-01T09:00Z")
        self.embargo_reason = QLineEdit()
        self.embargo_set = QPushButton()
        self.embargo_clear = QPushButton()
        self.embargo_set.clicked.connect(self.set_embargo)
        self.embargo_clear.clicked.connect(self.clear_embargo)
        for field, chars in ((self.embargo_edit, 18), (self.embargo_reason, 16)):
            field.setMinimumWidth(em * chars)
        emb_row = FlowLayout()
        for w in (self.embargo_edit, self.embargo_reason, self.embargo_set, self.embargo_clear):
            emb_row.addWidget(w)
        emb_box = self.embargo_box = QGroupBox()
        emb_layout = QVBoxLayout(emb_box)
        emb_layout.addWidget(self.trust_label)
        emb_layout.addLayout(emb_row)

        # Scrolls inside the tab: the product form is taller than the pane at 1366x768, and
        # a tab's minimum height would otherwise push the whole window past the screen.
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.error)
        layout.addWidget(id_box, 2)
        layout.addWidget(product_box, 3)
        layout.addWidget(emb_box)
        self.ids.setMinimumHeight(90)
        self.products.setMinimumHeight(110)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.ids.setHorizontalHeaderLabels([_(h) for h in ID_HEADERS])
        self.products.setHorizontalHeaderLabels([_(h) for h in PRODUCT_HEADERS])
        retitle_items(self.id_type, _scheme_label)
        self.id_add.setText(_("Add identifier"))
        self.id_remove.setText(_("Remove selected identifier"))
        self.id_box.setTitle(_("Identifiers"))
        self.version_kind.setItemText(0, _("version"))
        self.version_kind.setItemText(1, _("range"))
        self.version_text.setPlaceholderText(_("3.4.1, or a range: 3.2.0 - 3.4.1, before 3.4.2"))
        retitle_items(self.kind, lambda k: _(affected.KIND_LABELS.get(k, k)))
        self.product_add.setText(_("Add product"))
        self.product_remove.setText(_("Remove selected product"))
        relabel(
            self.product_form,
            (
                (self.name, N_("Name")),
                (self.vendor, N_("Vendor")),
                (self.version_row, N_("Version")),
                (self.hash, N_("Hash")),
                (self.purl, N_("Package URL")),
                (self.kind, N_("Kind")),
            ),
        )
        self.product_box.setTitle(_("Affected products, models and systems"))
        self.embargo_reason.setPlaceholderText(_("reason (needed to end it earlier)"))
        self.embargo_set.setText(_("Set embargo"))
        self.embargo_clear.setText(_("Clear embargo"))
        self.embargo_box.setTitle(_("TLP and embargo"))
        if self.version is not None:
            self._show_words()

    def reload(self) -> None:
        with self.workspace.session() as s:
            case = cases.get_case(s, self.case_key)
            self.version = case.row_version
            found = identifiers.of_case(s, case)
            products = affected.of_case(s, case)
            self._trust = (trust.case_tlp(case), trust.embargo_end(s, case))
        self._zone_shown = self._zone()
        self.identifiers = found
        self.ids.setRowCount(len(found))
        for row, i in enumerate(found):
            self.ids.setItem(row, 0, _cell(i.scheme))
            self.ids.setItem(row, 1, _cell(i.value))
            self.ids.setItem(row, 2, _cell(""))
        self.product_rows = products
        self.products.setRowCount(len(products))
        for row, p in enumerate(products):
            values = ("", p.vendor, p.name, p.version or p.version_range, p.hash, p.purl)
            for col, text in enumerate(values):
                self.products.setItem(row, col, _cell(text))
        self._show_words()

    def _show_words(self) -> None:
        """The translated cells and the TLP line, set in place (again after a switch)."""
        retitle_column(
            self.ids, 2, (_(SOURCE_LABELS.get(i.source, i.source)) for i in self.identifiers)
        )
        retitle_column(
            self.products,
            KIND_COLUMN,
            (_(affected.KIND_LABELS.get(p.kind, p.kind)) for p in self.product_rows),
        )
        tlp, end = self._trust
        self.trust_label.setText(
            _("TLP:{tlp} · embargo until {until}").format(
                tlp=tlp, until=format_moment(end, current_language(), self._zone_shown)
            )
            if end
            else _("TLP:{tlp} · no embargo").format(tlp=tlp)
        )

    def add_identifier(self) -> None:
        kind, value = str(self.id_type.currentData()), self.id_value.text()
        if self._edit(
            lambda s, a: identifiers.add(
                s, a, self.case_key, kind, value, expected_version=self.version
            )
        ):
            self.id_value.clear()

    def remove_identifier(self) -> None:
        row = self.ids.currentRow()
        if row < 0:
            return
        i = self.identifiers[row]
        kind = i.scheme.lower()
        self._edit(
            lambda s, a: identifiers.remove(
                s, a, self.case_key, kind, i.value, expected_version=self.version
            )
        )

    def add_product(self) -> None:
        text = self.version_text.text().strip() or None
        ranged = self.version_kind.currentData() == "range"
        if self._edit(
            lambda s, a: affected.add(
                s,
                a,
                self.case_key,
                name=self.name.text(),
                vendor=self.vendor.text() or None,
                version=None if ranged else text,
                version_range=text if ranged else None,
                hash=self.hash.text().strip() or None,
                purl=self.purl.text().strip() or None,
                kind=str(self.kind.currentData()),
                expected_version=self.version,
            )
        ):
            for field in (self.name, self.vendor, self.version_text, self.hash, self.purl):
                field.clear()

    def remove_product(self) -> None:
        row = self.products.currentRow()
        if row < 0:
            return
        pid = self.product_rows[row].id
        self._edit(
            lambda s, a: affected.remove(s, a, self.case_key, pid, expected_version=self.version)
        )

    def set_embargo(self) -> None:
        from app.deadlines.service import parse_time

        try:
            until = parse_time(self.embargo_edit.text())
        except AccordError as exc:
            self.error.setText(str(exc))
            return
        self._embargo(until)

    def clear_embargo(self) -> None:
        self._embargo(None)

    def _embargo(self, until: datetime | None) -> None:
        reason = self.embargo_reason.text()
        if self._edit(
            lambda s, a: embargo.set_embargo(
                s,
                a,
                self.case_key,
                until,
                reason=reason,
                expected_version=self.version,
            )
        ):
            self.embargo_edit.clear()
            self.embargo_reason.clear()


class NotesPanel(_CasePanel):
    """The case's notes as a timeline; a new one is internal unless marked shared."""

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None):
        super().__init__(workspace, case_id, parent)
        self.timeline = QListWidget()
        self.timeline.setWordWrap(True)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.text = QPlainTextEdit()
        self.text.setMaximumHeight(110)
        self.shared = QCheckBox()
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self.add_note)
        # The button goes below the check box where both do not fit (French); otherwise the
        # check box takes the room between them, leaving the button at the end of the line.
        self.shared.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row = FlowLayout()
        row.addWidget(self.shared)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error)
        layout.addWidget(self.timeline, 1)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.notes: list[notes.NoteInfo] = []
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.text.setPlaceholderText(_("A note on this case"))
        self.shared.setText(_("Shared with partners (travels in bundles)"))
        self.add_button.setText(_("Add note"))
        for index, note in enumerate(self.notes):
            item = self.timeline.item(index)
            if item is not None:
                item.setText(self._entry(note, self._zone_shown))

    def reload(self) -> None:
        with self.workspace.session() as s:
            case = cases.get_case(s, self.case_key)
            self.version = case.row_version
            self.notes = notes.of_case(s, case)
        self.timeline.clear()
        self._zone_shown = zone = self._zone()
        for n in self.notes:
            item = QListWidgetItem(self._entry(n, zone))
            item.setData(Qt.ItemDataRole.UserRole, n.id)
            self.timeline.addItem(item)

    @staticmethod
    def _entry(n: notes.NoteInfo, zone: str) -> str:
        scope = _("shared") if n.shared else _("internal")
        who = n.author or "—"
        if n.partner:
            who = _("{author} ({partner})").format(author=who, partner=n.partner)
        when = format_moment(n.created_at, current_language(), zone)
        return f"{when} · {who} · {scope}\n{n.text}"

    def add_note(self) -> None:
        text, shared = self.text.toPlainText(), self.shared.isChecked()
        if self._edit(
            lambda s, a: notes.add(
                s, a, self.case_key, text, shared=shared, expected_version=self.version
            )
        ):
            self.text.clear()
            self.shared.setChecked(False)


class MergePanel(QWidget):
    """Merge the selected case into another (preview first), split a report out, link."""

    changed = Signal()

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.case_key = ""
        self._title = ""
        self._line = StatusLine()  # the last outcome, said again in a new language
        self.heading = ElidedLabel()  # a long title must not widen the window
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.target = QLineEdit()
        self.target.setPlaceholderText("ACC-2026-0042")
        self.reason = QLineEdit()
        self.preview_button = QPushButton()
        self.merge_button = QPushButton()
        self.merge_button.setEnabled(False)
        self.link_button = QPushButton()
        self.unmerge_button = QPushButton()
        self.unmerge_button.clicked.connect(self.unmerge)
        self.report = QComboBox()
        # Sized to a few words, not to the longest report title (the list shows them whole):
        # a long title made the window wider than the screen.
        self.report.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.report.setMinimumContentsLength(24)
        self.split_button = QPushButton()
        self.plan = QPlainTextEdit()
        self.plan.setReadOnly(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_button.clicked.connect(self.preview)
        self.merge_button.clicked.connect(self.merge)
        self.link_button.clicked.connect(self.link)
        self.split_button.clicked.connect(self.split)
        self.target.textChanged.connect(lambda _t: self.merge_button.setEnabled(False))
        form = self.form = QFormLayout()
        form.addRow(_("Target case"), self.target)
        form.addRow(_("Reason"), self.reason)
        buttons = QHBoxLayout()
        for b in (self.preview_button, self.merge_button, self.link_button, self.unmerge_button):
            buttons.addWidget(b)
        split_row = QHBoxLayout()
        split_row.addWidget(self.report, 1)
        split_row.addWidget(self.split_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.plan, 1)
        layout.addLayout(split_row)
        layout.addWidget(self.status)
        self.resize(640, 480)
        self.retranslate()
        self.set_case(case_id)

    def retranslate(self) -> None:
        self.reason.setPlaceholderText(_("reason (audited)"))
        self.preview_button.setText(_("Preview merge"))
        self.merge_button.setText(_("Merge into target"))
        self.link_button.setText(_("Link as related"))
        self.unmerge_button.setText(_("Undo this case's merge"))
        self.split_button.setText(_("Split report into a new case"))
        relabel(self.form, ((self.target, N_("Target case")), (self.reason, N_("Reason"))))
        if self.case_key:
            self.heading.setText(
                _("Case {key}: {title}").format(key=self.case_key, title=self._title)
            )
        self._line.again(self.status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_case(self, case_id: int) -> None:
        """Follow the queue's selection."""
        if not case_id:
            return
        with self.workspace.session() as s:
            info = cases.detail(s, cases.key_for_id(s, case_id))
        self.case_key, self._title = info.key, info.title
        self.heading.setText(_("Case {key}: {title}").format(key=info.key, title=info.title))
        self.report.clear()
        for r in info.reports:
            self.report.addItem(f"#{r.id} {r.title}", r.id)
        self.plan.clear()
        self.merge_button.setEnabled(False)

    def _fail(self, exc: AccordError) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self._line.say(self.status, None, str(exc))

    def _done(self, text: Callable[[], str]) -> None:
        self.status.setStyleSheet("")
        self._line.say(self.status, text)
        self.changed.emit()

    def preview(self) -> None:
        try:
            with self.workspace.session() as s:
                plan = merging.preview(s, self.case_key, self.target.text())
        except AccordError as exc:
            self._fail(exc)
            return
        self.plan.setPlainText("\n".join(plan.lines()))
        self._line.forget()
        self.status.clear()
        self.merge_button.setEnabled(True)

    def merge(self) -> None:
        try:
            with self.workspace.session() as s:
                merging.merge(
                    s, self.workspace.require_actor(), self.case_key, self.target.text(),
                    self.reason.text(),
                )  # fmt: skip
        except AccordError as exc:
            self._fail(exc)
            return
        self.merge_button.setEnabled(False)
        src, dst = self.case_key, self.target.text()
        self._done(lambda: _("Merged {src} into {dst}.").format(src=src, dst=dst))

    def link(self) -> None:
        try:
            with self.workspace.session() as s:
                merging.link(
                    s, self.workspace.require_actor(), self.case_key, self.target.text(),
                    self.reason.text(),
                )  # fmt: skip
        except AccordError as exc:
            self._fail(exc)
            return
        key, other = self.case_key, self.target.text()
        self._done(lambda: _("{key} linked to {other}.").format(key=key, other=other))

    def unmerge(self) -> None:
        try:
            with self.workspace.session() as s:
                src, dst = merging.unmerge(
                    s, self.workspace.require_actor(), self.case_key, self.reason.text()
                )
        except AccordError as exc:
            self._fail(exc)
            return
        self._done(lambda: _("{src} is no longer merged into {dst}.").format(src=src, dst=dst))

    def split(self) -> None:
        report_id = self.report.currentData()
        if report_id is None:
            return
        try:
            with self.workspace.session() as s:
                new = merging.split(
                    s, self.workspace.require_actor(), self.case_key, int(report_id),
                    self.reason.text(),
                )  # fmt: skip
        except AccordError as exc:
            self._fail(exc)
            return
        self._done(lambda: _("Report moved to the new case {key}.").format(key=new))
        self.set_case_key(self.case_key)

    def set_case_key(self, key: str) -> None:
        with self.workspace.session() as s:
            self.set_case(cases.get_case(s, key).id)
