"""Shift handover screen: history on the left, the selected handover on the right; the
outgoing lead drafts, edits and signs; the incoming lead acknowledges."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import handover
from app.errors import AccordError, ConflictError
from app.workspace import Workspace
from i18n import N_, _
from views.failures import show_conflict

STATE_LABELS = {
    "draft": N_("draft"),
    "signed": N_("signed off"),
    "acknowledged": N_("acknowledged"),
}


class HandoverScreen(QWidget):
    changed = Signal()

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.current: handover.HandoverInfo | None = None
        self.history = QListWidget()
        self.history.setObjectName("handoverHistory")
        self.history.currentItemChanged.connect(self._on_pick)
        self.header = QLabel()
        self.header.setObjectName("handoverHeader")
        self.body = QPlainTextEdit()
        self.body.setObjectName("handoverBody")
        self.new_button = QPushButton(_("New handover"))
        self.save_button = QPushButton(_("Save"))
        self.sign_button = QPushButton(_("Sign off"))
        self.ack_button = QPushButton(_("Acknowledge"))
        self.message = QLabel()
        self.new_button.clicked.connect(self.new_handover)
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.sign)
        self.ack_button.clicked.connect(self.acknowledge)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.sign_button, self.ack_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.header)
        rl.addWidget(self.body, 1)
        rl.addLayout(buttons)
        rl.addWidget(self.message)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.history)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self.reload()

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
        keep = select if select is not None else (self.current.id if self.current else None)
        self.history.blockSignals(True)
        self.history.clear()
        for h in rows:
            item = QListWidgetItem(
                _("#{id} · {end} · {author} · {state}").format(
                    id=h.id,
                    end=h.period_end.strftime("%Y-%m-%d %H:%M UTC"),
                    author=h.author or "-",
                    state=_(STATE_LABELS[h.state]),
                )
            )
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
        if h is None:
            self.header.setText(_("No handover yet."))
            self.body.setPlainText("")
        else:
            self.header.setText(
                _("Handover #{id} by {author}: {state}").format(
                    id=h.id, author=h.author or "-", state=_(STATE_LABELS[h.state])
                )
            )
            self.body.setPlainText(h.body)
        draft = h is not None and h.state == "draft"
        mine = h is not None and actor is not None and h.author == actor.name
        self.body.setReadOnly(not (draft and mine))
        self.save_button.setEnabled(draft and mine)
        self.sign_button.setEnabled(draft and mine)
        self.ack_button.setEnabled(h is not None and h.state == "signed" and not mine)

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
