"""Shift handover screen: history on the left, the selected handover on the right; the
outgoing lead drafts, edits and signs; the incoming lead acknowledges.

The right side reads top down: four headline figures (overdue, due in 24 h, unassigned
high-tier, new), the sections with case titles (collapsed, each showing its count), then the
text that is signed."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import AccordError, ConflictError
from app.shift import handover
from app.workspaces.lifecycle import Workspace
from i18n import _, current_language
from i18n.formatting import format_moment, isolate_ltr
from views.common.failures import show_conflict
from views.common.time_zone import reader_zone
from views.common.window_size import fit_window

STATE_LABELS = handover.STATE_LABELS
WORKING_SIZE = QSize(1100, 760)
HEADLINE_COLOURS = {
    "overdue": "#b5443c",
    "deadlines_next_24h": "#b07a12",
    "unassigned_high": "#7d5ba6",
    "new": "#2f6f9f",
}


class Figure(QFrame):
    """One headline number with its label; red-ish only when it is not zero."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("figure-" + key)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.number = QLabel("0")
        self.number.setObjectName("figureNumber-" + key)
        self.label = QLabel()
        self.label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.number)
        lay.addWidget(self.label)
        self.retranslate()

    def retranslate(self) -> None:
        self.label.setText(_(handover.SECTION_TITLES[self.key]))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_value(self, n: int) -> None:
        colour = HEADLINE_COLOURS[self.key] if n else "#555555"
        self.number.setText(str(n))
        self.number.setStyleSheet(f"font-size: 22pt; font-weight: bold; color: {colour}")


class HandoverScreen(QWidget):
    changed = Signal()

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.current: handover.HandoverInfo | None = None
        self._rows: list[handover.HandoverInfo] = []
        self._zone_shown = "UTC"  # the zone of the times shown (set by reload)
        self._placed = False
        self.history = QListWidget()
        self.history.setObjectName("handoverHistory")
        # "#3 · 12/6/2026, 8:14 PM UTC · name · state" is wider than the list: wrapped, the
        # state stays in sight (it was cut behind a scroll bar).
        self.history.setWordWrap(True)
        self.history.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history.currentItemChanged.connect(self._on_pick)
        self.header = QLabel()
        self.header.setObjectName("handoverHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.figures = {k: Figure(k) for k in handover.SUMMARY_SECTIONS}
        self.sections = QTreeWidget()
        self.sections.setObjectName("handoverSections")
        self.sections.setColumnCount(4)
        self.sections.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.sections.header()
        header.setStretchLastSection(False)
        header.resizeSection(0, 190)
        header.resizeSection(1, 330)
        header.resizeSection(2, 300)
        header.resizeSection(3, 150)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.sections.setUniformRowHeights(True)
        self.sections.setRootIsDecorated(True)
        self.body = QPlainTextEdit()
        self.body.setObjectName("handoverBody")
        self.body_label = QLabel()
        self.new_button = QPushButton()
        self.save_button = QPushButton()
        self.sign_button = QPushButton()
        self.ack_button = QPushButton()
        self.message = QLabel()
        self.new_button.clicked.connect(self.new_handover)
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.sign)
        self.ack_button.clicked.connect(self.acknowledge)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.sign_button, self.ack_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        figures = QHBoxLayout()
        for f in self.figures.values():
            figures.addWidget(f, 1)
        text = QWidget()
        tl = QVBoxLayout(text)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.body_label)
        tl.addWidget(self.body, 1)
        inner = QSplitter(Qt.Orientation.Vertical)
        inner.setObjectName("handoverInnerSplit")
        inner.addWidget(self.sections)
        inner.addWidget(text)
        inner.setStretchFactor(0, 3)
        inner.setStretchFactor(1, 2)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.header)
        rl.addLayout(figures)
        rl.addWidget(inner, 1)
        rl.addLayout(buttons)
        rl.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.history)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([230, 950])
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        """The fixed strings, the history lines, the header and the sections in place: the
        text being edited, the handover chosen and the sections opened stay."""
        self.sections.setHeaderLabels([_("Case"), _("Title"), _("What"), _("Due")])
        self.body_label.setText(_("Handover text (signed as shown; add your notes at the end)"))
        self.new_button.setText(_("New handover"))
        self.save_button.setText(_("Save"))
        self.sign_button.setText(_("Sign off"))
        self.ack_button.setText(_("Acknowledge"))
        for row, h in enumerate(self._rows):
            item = self.history.item(row)
            if item is not None:
                item.setText(self._history_line(h))
        self._show_header(self.current)
        if self.current is not None:
            summary = self.current.summary
            for index in range(self.sections.topLevelItemCount()):
                group = self.sections.topLevelItem(index)
                if group is not None:
                    self._retitle(group, summary)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _history_line(self, h: handover.HandoverInfo) -> str:
        return _("#{id} · {end} · {author} · {state}").format(
            id=h.id,
            end=format_moment(h.period_end, current_language(), self._zone_shown),
            author=h.author or "-",
            state=_(STATE_LABELS[h.state]),
        )

    def _retitle(self, group: QTreeWidgetItem, summary: dict[str, Any]) -> None:
        name = group.data(0, Qt.ItemDataRole.UserRole)
        if not name:  # the "Detail of the shift" heading holds the detail sections
            group.setText(0, _("Detail of the shift"))
            for index in range(group.childCount()):
                if (section := group.child(index)) is not None:
                    self._retitle(section, summary)
            return
        items = handover.section_items(summary, name)
        group.setText(0, self._group_title(name, len(items)))
        for index, item in enumerate(items[: group.childCount()]):
            if (child := group.child(index)) is not None:
                self._fill(child, name, item)

    @staticmethod
    def _group_title(name: str, n: int) -> str:
        return _("{section} ({n})").format(section=_(handover.SECTION_TITLES[name]), n=n)

    def _fill(self, child: QTreeWidgetItem, name: str, item: dict[str, Any]) -> None:
        case, title, what, when = handover.item_columns(name, item, self._zone_shown)
        for column, text in enumerate((case, title, what, isolate_ltr(when))):
            child.setText(column, text)
        if title:  # long titles are elided; the whole one is a hover away
            child.setToolTip(1, title)
        if item.get("rule"):
            child.setToolTip(2, f"{what}\n{item['rule']}")

    def sizeHint(self) -> QSize:
        """A working size when opened as its own window (not 533×300)."""
        return QSize(WORKING_SIZE)

    def showEvent(self, event: QShowEvent) -> None:
        # Opened as a window without a size of its own: the working size, cut to the screen
        # (Qt would take two thirds of the screen, 910×512 on a 1366×768 laptop).
        if (
            self.isWindow()
            and not self._placed
            and not self.testAttribute(Qt.WidgetAttribute.WA_Resized)
        ):
            fit_window(self, WORKING_SIZE)
        self._placed = True
        super().showEvent(event)

    def _ws(self) -> Workspace:
        ws = self._workspace()
        if ws is None:
            raise AccordError(_("the workspace is locked"))
        return ws

    def reload(self, select: int | None = None) -> None:
        try:
            with self._ws().session() as s:
                rows = handover.history(s)
        except AccordError as exc:
            self.message.setText(str(exc))
            return
        self._zone_shown = self._zone()
        self._rows = rows
        keep = select if select is not None else (self.current.id if self.current else None)
        self.history.blockSignals(True)
        self.history.clear()
        for h in rows:
            item = QListWidgetItem(self._history_line(h))
            item.setData(Qt.ItemDataRole.UserRole, h.id)
            self.history.addItem(item)
        self.history.blockSignals(False)
        target = next((i for i, h in enumerate(rows) if h.id == keep), 0 if rows else -1)
        if target >= 0:
            self.history.setCurrentRow(target)
            self._show(rows[target])
        else:
            self._show(None)

    def _on_pick(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        if item is None:
            return
        with self._ws().session() as s:
            self._show(handover.show(s, int(item.data(Qt.ItemDataRole.UserRole))))

    def _show(self, h: handover.HandoverInfo | None) -> None:
        self.current = h
        actor = self._ws().actor
        self._show_sections(h)
        self._show_header(h)
        self.body.setPlainText(h.body if h is not None else "")
        draft = h is not None and h.state == "draft"
        mine = h is not None and actor is not None and h.author == actor.name
        self.body.setReadOnly(not (draft and mine))
        self.save_button.setEnabled(draft and mine)
        self.sign_button.setEnabled(draft and mine)
        self.ack_button.setEnabled(h is not None and h.state == "signed" and not mine)

    def _show_header(self, h: handover.HandoverInfo | None) -> None:
        if h is None:
            self.header.setText(_("No handover yet."))
            return
        lang, zone = current_language(), self._zone_shown
        since = (
            format_moment(h.period_start, lang, zone)
            if h.period_start
            else _("the start of the workspace")
        )
        self.header.setText(
            _("<b>Handover #{id}</b> by {author}: {state} · {start} to {end}").format(
                id=h.id,
                author=html.escape(h.author or "-"),
                state=_(STATE_LABELS[h.state]),
                start=since,
                end=format_moment(h.period_end, lang, zone),
            )
        )

    def _zone(self) -> str:
        try:
            return reader_zone(self._workspace())
        except AccordError:
            return "UTC"

    def _show_sections(self, h: handover.HandoverInfo | None) -> None:
        """Summary sections then detail, collapsed: the counts read at a glance, a click opens
        one. Times are in the reader's zone, to the minute, with the zone named."""
        self.sections.clear()
        summary: dict[str, Any] = h.summary if h is not None else {}
        for key, figure in self.figures.items():
            figure.set_value(len(handover.section_items(summary, key)))
        if h is None:
            return
        detail_head = QTreeWidgetItem([_("Detail of the shift")])
        font = detail_head.font(0)
        font.setBold(True)
        groups: list[QTreeWidgetItem] = []
        for name in (*handover.SUMMARY_SECTIONS, *handover.DETAIL_SECTIONS):
            items = handover.section_items(summary, name)
            group = QTreeWidgetItem([self._group_title(name, len(items))])
            group.setData(0, Qt.ItemDataRole.UserRole, name)
            group.setFont(0, font)
            groups.append(group)
            for item in items:
                child = QTreeWidgetItem()
                self._fill(child, name, item)
                child.setData(0, Qt.ItemDataRole.UserRole, item.get("case", ""))
                group.addChild(child)
            if name in handover.DETAIL_SECTIONS:
                detail_head.addChild(group)
            else:
                self.sections.addTopLevelItem(group)
        detail_head.setFont(0, font)
        self.sections.addTopLevelItem(detail_head)
        for group in groups:  # spanning takes effect once the item is in the tree
            group.setFirstColumnSpanned(True)
        detail_head.setFirstColumnSpanned(True)
        self.sections.collapseAll()

    def section(self, name: str) -> QTreeWidgetItem | None:
        """The tree item of a section (for tests and keyboard users)."""
        found = self.sections.findItems(
            "*", Qt.MatchFlag.MatchWildcard | Qt.MatchFlag.MatchRecursive
        )
        return next((i for i in found if i.data(0, Qt.ItemDataRole.UserRole) == name), None)

    def _run(self, action: Callable[..., handover.HandoverInfo]) -> bool:
        try:
            ws = self._ws()
            with ws.session() as s:
                info = action(s, ws.require_actor())
        except ConflictError as exc:
            show_conflict(self, exc, self.reload)
            return False
        except AccordError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText("")
        self.reload(select=info.id)
        self.changed.emit()
        return True

    def new_handover(self) -> bool:
        return self._run(lambda s, a: handover.new(s, a))

    def save(self) -> bool:
        if self.current is None:
            return False
        hid, text, seen = self.current.id, self.body.toPlainText(), self.current.version
        return self._run(lambda s, a: handover.edit(s, a, hid, text, expected_version=seen))

    def sign(self) -> bool:
        if self.current is None:
            return False
        hid, text, original = self.current.id, self.body.toPlainText(), self.current.body
        seen = self.current.version

        def save_and_sign(s, a):  # type: ignore[no-untyped-def]
            if text != original:  # unsaved edits are signed as shown
                handover.edit(s, a, hid, text, expected_version=seen)
            return handover.sign(s, a, hid)

        return self._run(save_and_sign)

    def acknowledge(self) -> bool:
        if self.current is None:
            return False
        hid = self.current.id
        return self._run(lambda s, a: handover.acknowledge(s, a, hid))
