"""Partners: the list, key details and validity, adding a partner, rolling a key over, and
verifying a fingerprint by comparing it side by side, in blocks of four."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError
from app.exchange import partners, pgp
from app.workspaces.lifecycle import Workspace
from i18n import N_, _, current_language
from i18n.formatting import format_date
from views.common import file_dialogs
from views.common.retranslate import StatusLine, relabel, retitle_column

# Whether a partner's key is verified and valid comes right after its name: in the list's
# half of the window they were cut off or scrolled away behind the country and time zone.
COLUMNS = (
    N_("Partner"),
    N_("Verified"),
    N_("Key"),
    N_("Country"),
    N_("Time zone"),
    N_("Fingerprint"),
)
VERIFIED, KEY, FINGERPRINT = (COLUMNS.index(c) for c in ("Verified", "Key", "Fingerprint"))
VALIDITY = {"valid": N_("valid"), "expired": N_("expired"), "revoked": N_("revoked")}
# The screen's width (px) from which the key on file and the fingerprint read out by the
# partner sit side by side.
SIDE_BY_SIDE = 900


def _mono() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def compare_blocks(on_file: str, typed: str) -> list[tuple[str, bool]]:
    """Each block of four of the key on file, and whether the typed fingerprint matches it."""
    try:
        given = pgp.normalise_fingerprint(typed) if typed.strip() else ""
    except AccordError:
        given = "".join(typed.split()).upper()
    blocks = pgp.group_fingerprint(on_file).split()
    theirs = pgp.group_fingerprint(given).split() if given else []
    return [(b, i < len(theirs) and theirs[i] == b) for i, b in enumerate(blocks)]


class PartnersScreen(QWidget):
    """Emits ``*_requested``; the screen's own controller calls app.exchange.partners."""

    add_requested = Signal(str, str, str, str, str)  # name, country, zone, languages, file
    verify_requested = Signal(str, str)  # name, fingerprint
    key_add_requested = Signal(str, str)  # name, file
    changed = Signal()

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.rows: list[partners.PartnerInfo] = []
        self._line = StatusLine()  # the last outcome, said again in a new language
        self._browse_buttons: list[QPushButton] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("partnersTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # A handful of partners: sizing to contents is cheap here. The last column shown
        # takes the rest of the width (the time zones, where fingerprints do not fit).
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.table.viewport().installEventFilter(self)  # its width: do fingerprints fit?

        self.details = QLabel()
        self.details.setObjectName("partnerDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)

        # Verification: the key on file beside what the partner read out, block by block.
        self.on_file = QLabel()
        self.on_file.setObjectName("fingerprintOnFile")
        self.on_file.setFont(_mono())
        self.on_file.setTextFormat(Qt.TextFormat.RichText)
        self.typed = QLineEdit()
        self.typed.setObjectName("fingerprintTyped")
        self.typed.setFont(_mono())
        self.typed.textChanged.connect(self._compare)
        self.match = QLabel()
        self.match.setObjectName("fingerprintMatch")
        self.match.setWordWrap(True)
        self.verify_button = QPushButton()
        self.verify_button.setEnabled(False)
        self.verify_button.clicked.connect(self._ask_verify)
        verify_box = self.verify_box = QGroupBox()
        side = self.verify_side = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        self.on_file_label, self.typed_label = QLabel(), QLabel()
        left.addWidget(self.on_file_label)
        left.addWidget(self.on_file)
        right.addWidget(self.typed_label)
        right.addWidget(self.typed)
        side.addLayout(left, 1)
        side.addLayout(right, 1)
        vb = QVBoxLayout(verify_box)
        vb.addLayout(side)
        vb.addWidget(self.match)
        vb.addWidget(self.verify_button)

        self.rollover_file = QLineEdit()
        self.rollover_file.setObjectName("rolloverFile")
        self.rollover_button = QPushButton()
        self.rollover_button.clicked.connect(self._ask_rollover)
        # The file on a line of its own: beside two buttons it was a few letters wide in the
        # keys' half of a narrow window.
        roll = QVBoxLayout()
        roll.addWidget(self.rollover_file)
        roll_buttons = QHBoxLayout()
        roll_buttons.addWidget(self._browse_button(self.rollover_file))
        roll_buttons.addWidget(self.rollover_button)
        roll_buttons.addStretch(1)
        roll.addLayout(roll_buttons)

        self.name = QLineEdit()
        self.name.setObjectName("partnerName")
        self.country = QLineEdit()
        self.country.setObjectName("partnerCountry")
        self.country.setMaxLength(2)
        self.zone = QLineEdit("UTC")
        self.zone.setObjectName("partnerZone")
        self.languages = QLineEdit()
        self.languages.setObjectName("partnerLanguages")
        self.cert_file = QLineEdit()
        self.cert_file.setObjectName("partnerCertFile")
        self.add_button = QPushButton()
        self.add_button.clicked.connect(self._ask_add)
        add_box = self.add_box = QGroupBox()
        form = self.form = QFormLayout(add_box)
        form.addRow(_("Name"), self.name)
        form.addRow(_("Country (ISO code)"), self.country)
        form.addRow(_("Time zone"), self.zone)
        form.addRow(_("Languages"), self.languages)
        cert_row = self.cert_row = QHBoxLayout()
        cert_row.addWidget(self.cert_file, 1)
        cert_row.addWidget(self._browse_button(self.cert_file))
        form.addRow(_("Certificate file"), cert_row)
        form.addRow(self.add_button)

        self.message = QLabel()
        self.message.setObjectName("partnersMessage")
        self.message.setWordWrap(True)

        right_pane = QWidget()
        rl = QVBoxLayout(right_pane)
        rl.addWidget(self.details)
        rl.addWidget(verify_box)
        self.rollover_label = QLabel()
        self.rollover_label.setWordWrap(True)
        rl.addWidget(self.rollover_label)
        rl.addLayout(roll)
        rl.addStretch(1)
        left_pane = QWidget()
        ll = QVBoxLayout(left_pane)
        ll.addWidget(self.table, 1)
        ll.addWidget(add_box)
        split = QSplitter()
        split.addWidget(left_pane)
        split.addWidget(right_pane)
        # The list has six columns, fingerprints among them; the keys' pane needs less.
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

        self.add_requested.connect(self._add)
        self.verify_requested.connect(self._verify)
        self.key_add_requested.connect(self._key_add)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        """The fixed strings and the rows' words; the fingerprint being typed stays."""
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.typed.setPlaceholderText(_("the fingerprint the partner read to you"))
        self.verify_button.setText(_("Mark as verified"))
        self.verify_box.setTitle(_("Verify the fingerprint out of band"))
        self.on_file_label.setText(_("On file"))
        self.typed_label.setText(_("Read out by the partner"))
        self.rollover_button.setText(_("Add new key"))
        self.languages.setPlaceholderText(_("for example: de, en"))
        self.add_button.setText(_("Add partner"))
        self.add_box.setTitle(_("Add a partner"))
        relabel(
            self.form,
            (
                (self.name, N_("Name")),
                (self.country, N_("Country (ISO code)")),
                (self.zone, N_("Time zone")),
                (self.languages, N_("Languages")),
                (self.cert_row, N_("Certificate file")),
            ),
        )
        self.rollover_label.setText(_("Key rollover: the partner's new certificate"))
        for button in self._browse_buttons:
            button.setText(_("Browse…"))
        verified = (_("yes") if p.verified else _("no") for p in self.rows)
        retitle_column(self.table, VERIFIED, verified)
        retitle_column(self.table, KEY, (self._validity(p) for p in self.rows))
        self._fit_columns()
        self._show_details(self.selected)
        self._compare()
        self._line.again(self.message)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    @staticmethod
    def _validity(p: partners.PartnerInfo) -> str:
        key = p.current_key
        return _(VALIDITY[key.validity]) if key else "-"

    # -- view -------------------------------------------------------------------------------
    def _browse_button(self, target: QLineEdit) -> QPushButton:
        button = QPushButton()  # named in retranslate()
        self._browse_buttons.append(button)

        def pick() -> None:
            path = file_dialogs.open_file(
                self, _("Choose a certificate"), "", _("OpenPGP certificates (*.asc *.gpg *.pgp)")
            )
            if path:
                target.setText(path)

        button.clicked.connect(pick)
        return button

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """The fingerprint column gives way where the list cannot show every column whole:
        the selected partner's fingerprint is in full beside the list, and a list scrolled
        sideways hid its time zones instead."""
        t = self.table
        header = t.horizontalHeader()
        needed = sum(
            max(header.sectionSizeHint(c), t.sizeHintForColumn(c)) for c in range(len(COLUMNS))
        )
        t.setColumnHidden(FINGERPRINT, t.viewport().width() < needed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # In half a 1366 px screen the key on file and the fingerprint read out go one above
        # the other: side by side they held the keys' pane at 380 px, and the partner list
        # beside it scrolled sideways with its time zones cut.
        wide = event.size().width() >= SIDE_BY_SIDE
        self.verify_side.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:
        """A working size as a window: the partner list (six columns) beside the keys."""
        return QSize(960, 600)

    def refresh(self, select: str | None = None) -> None:
        ws = self._workspace()
        if ws is None:
            return
        current = select or (self.selected.name if self.selected else None)
        with ws.session() as s:
            self.rows = partners.list_partners(s)
        self.table.setRowCount(len(self.rows))
        for r, p in enumerate(self.rows):
            key = p.current_key
            cells = (
                p.name,
                _("yes") if p.verified else _("no"),
                self._validity(p),
                p.country,
                p.timezone,
                key.grouped if key else "-",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == FINGERPRINT:
                    item.setFont(_mono())
                self.table.setItem(r, c, item)
        names = [p.name for p in self.rows]
        # Not selectRow: right to left, before the table is laid out, it picks no column and
        # selects nothing (the Arabic screen said "No partner yet" beside a full list).
        if current in names:
            self.table.setCurrentCell(names.index(current), 0)
        elif self.rows:
            self.table.setCurrentCell(0, 0)
        self._show_selected()
        self._fit_columns()

    @property
    def selected(self) -> partners.PartnerInfo | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _show_selected(self) -> None:
        p = self.selected
        self.typed.clear()
        self._show_details(p)
        if p is None:
            self.on_file.clear()
        self._compare()

    def _show_details(self, p: partners.PartnerInfo | None) -> None:
        if p is None:
            self.details.setText(_("No partner yet: add one with its certificate."))
            return
        # Names, countries and certificate user ids come from partners: text, never markup.
        esc = html.escape
        lines = [f"<b>{esc(p.name)}</b> — {esc(p.country)}, {esc(p.timezone)}"]
        for k in p.keys:
            state = []
            state.append(_("current") if k.current else _("previous"))
            state.append(_("verified") if k.verified else _("not verified"))
            state.append(_(VALIDITY[k.validity]))
            expires = (
                format_date(k.expires_at, current_language(), "medium")
                if k.expires_at
                else _("never")
            )
            lines.append(
                _("{fpr}<br/>{uids} · {state} · expires {expires}").format(
                    fpr=f"<tt>{esc(k.grouped)}</tt>",
                    uids=esc(", ".join(k.user_ids)) or "-",
                    state=", ".join(state),
                    expires=expires,
                )
            )
        self.details.setText("<br/><br/>".join(lines))

    def _compare(self) -> None:
        p = self.selected
        key = p.current_key if p else None
        if key is None:
            self.on_file.clear()
            self.match.clear()
            self.verify_button.setEnabled(False)
            return
        blocks = compare_blocks(key.fingerprint, self.typed.text())
        typed = bool(self.typed.text().strip())
        n_typed = (len("".join(self.typed.text().split())) + 3) // 4
        parts = []
        for i, (block, ok) in enumerate(blocks):
            colour = "#1a7f37" if ok else ("#cf222e" if i < n_typed else "inherit")
            parts.append(f'<span style="color:{colour}">{block}</span>')
            if i % 5 == 4:
                parts.append("<br/>")
        self.on_file.setText(" ".join(parts))
        matched = sum(ok for _b, ok in blocks)
        all_ok = matched == len(blocks)
        if key.verified:
            self.match.setText(_("This key is verified."))
        elif not typed:
            self.match.setText(_("Type the fingerprint the partner reads to you."))
        elif all_ok:
            self.match.setText(_("All {n} blocks match.").format(n=len(blocks)))
        else:
            self.match.setText(
                _("{bad} of {n} blocks differ.").format(bad=len(blocks) - matched, n=len(blocks))
            )
        self.verify_button.setEnabled(all_ok and not key.verified)

    def _ask_add(self) -> None:
        self.add_requested.emit(
            self.name.text(),
            self.country.text(),
            self.zone.text(),
            self.languages.text(),
            self.cert_file.text(),
        )

    def _ask_verify(self) -> None:
        p = self.selected
        if p is not None:
            self.verify_requested.emit(p.name, self.typed.text())

    def _ask_rollover(self) -> None:
        p = self.selected
        if p is not None:
            self.key_add_requested.emit(p.name, self.rollover_file.text())

    # -- controller -------------------------------------------------------------------------
    def _act(self, fn: Callable[[Workspace], Callable[[], str]], select: str | None) -> None:
        """Run ``fn``; what it returns says the outcome (again after a language switch)."""
        ws = self._workspace()
        if ws is None:
            return
        try:
            said = fn(ws)
        except (AccordError, OSError) as exc:
            self._line.say(self.message, None, str(exc))
            return
        self._line.say(self.message, said)
        self.refresh(select)
        self.changed.emit()

    def _add(self, name: str, country: str, zone: str, languages: str, file: str) -> None:
        def run(ws: Workspace) -> Callable[[], str]:
            cert = Path(file).read_text(encoding="utf-8", errors="replace") if file else ""
            with ws.session() as s:
                info = partners.add_partner(
                    s,
                    ws.require_actor(),
                    name,
                    country,
                    zone,
                    cert,
                    [x.strip() for x in languages.split(",") if x.strip()],
                    source=file,
                )
            added = info.name
            return lambda: _("Added {name}; now compare its fingerprint out of band.").format(
                name=added
            )

        self._act(run, name.strip())
        if self.selected is not None and self.selected.name == name.strip():
            for field in (self.name, self.country, self.languages, self.cert_file):
                field.clear()

    def _verify(self, name: str, fingerprint: str) -> None:
        def run(ws: Workspace) -> Callable[[], str]:
            with ws.session() as s:
                partners.verify_partner(s, ws.require_actor(), name, fingerprint)
            return lambda: _("{name} is verified.").format(name=name)

        self._act(run, name)

    def _key_add(self, name: str, file: str) -> None:
        def run(ws: Workspace) -> Callable[[], str]:
            cert = Path(file).read_text(encoding="utf-8", errors="replace")
            with ws.session() as s:
                partners.add_key(s, ws.require_actor(), name, cert)
            return lambda: _("New key added for {name}; verify it before exporting.").format(
                name=name
            )

        self._act(run, name)
        self.rollover_file.clear()
