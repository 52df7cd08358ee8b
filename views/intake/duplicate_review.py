"""Duplicate review: the open near-duplicate candidates, each shown side by side (the new
report against the existing case), with Confirm, Dismiss and Merge."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, Signal
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

from app.errors import AccordError
from app.intake import dedup
from app.intake.dedup import CandidateInfo, Side
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from views.common.retranslate import StatusLine


def side_text(side: Side) -> str:
    lines = [f"{side.case_key}", side.title, "", side.description, "", _("Sources:")]
    lines += [f"  {s}" for s in side.sources]
    return "\n".join(lines)


def _candidate_line(info: CandidateInfo) -> str:
    return _("{new} ~ {existing} ({score}%): {title}").format(
        new=info.new.case_key,
        existing=info.existing.case_key,
        score=round(info.score),
        title=info.new.title,
    )


class DuplicateReview(QWidget):
    """Emits ``decision_requested(candidate_id, action)``; ``decided`` after the change."""

    decision_requested = Signal(int, str)
    decided = Signal(int, str)

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.candidates = QListWidget()
        self.candidates.setObjectName("duplicateCandidates")
        self.new_side = QPlainTextEdit()
        self.existing_side = QPlainTextEdit()
        for w in (self.new_side, self.existing_side):
            w.setReadOnly(True)
        self.new_label = QLabel()
        self.existing_label = QLabel()
        self.reason = QLabel()
        self.status = QLabel()
        for label in (self.reason, self.status):  # names come from reports: never rich text
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
        self.confirm_button = QPushButton()
        self.dismiss_button = QPushButton()
        self.merge_button = QPushButton()
        self.refresh_button = QPushButton()
        self.list_label = QLabel()

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.new_label)
        lv.addWidget(self.new_side)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.existing_label)
        rv.addWidget(self.existing_side)
        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.addWidget(left)
        sides.addWidget(right)
        buttons = QHBoxLayout()
        for b in (self.confirm_button, self.dismiss_button, self.merge_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list_label)
        layout.addWidget(self.candidates, 1)
        layout.addWidget(self.reason)
        layout.addWidget(sides, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.resize(900, 600)

        self.candidates.currentItemChanged.connect(self._show_current)
        self.confirm_button.clicked.connect(lambda: self._request("confirm"))
        self.dismiss_button.clicked.connect(lambda: self._request("dismiss"))
        self.merge_button.clicked.connect(lambda: self._request("merge"))
        self.refresh_button.clicked.connect(self.refresh)
        self.decision_requested.connect(self.decide)
        self._line = StatusLine()  # the last decision, said again in a new language
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        """The fixed strings and the candidates' lines; the candidate shown stays shown."""
        self.new_label.setText(_("New report"))
        self.existing_label.setText(_("Existing case"))
        self.confirm_button.setText(_("&Confirm duplicate"))
        self.dismiss_button.setText(_("&Dismiss"))
        self.merge_button.setText(_("&Merge into existing case"))
        self.refresh_button.setText(_("&Refresh"))
        self.list_label.setText(_("Possible duplicates to review:"))
        for row in range(self.candidates.count()):
            item = self.candidates.item(row)
            item.setText(_candidate_line(item.data(Qt.ItemDataRole.UserRole)))
        self._show(self.current())
        self._line.again(self.status)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def refresh(self) -> None:
        ws = self._workspace()
        self.candidates.clear()
        items: list[CandidateInfo] = []
        if ws is not None:
            with ws.session() as s:
                items = dedup.list_candidates(s)
        for info in items:
            item = QListWidgetItem(_candidate_line(info))
            item.setData(Qt.ItemDataRole.UserRole, info)
            self.candidates.addItem(item)
        if self.candidates.count():
            self.candidates.setCurrentRow(0)
        else:
            self._show(None)

    def current(self) -> CandidateInfo | None:
        item = self.candidates.currentItem()
        if item is None:
            return None
        info: CandidateInfo = item.data(Qt.ItemDataRole.UserRole)
        return info

    def _show_current(self, *_args: object) -> None:
        self._show(self.current())

    def _show(self, info: CandidateInfo | None) -> None:
        has = info is not None
        for b in (self.confirm_button, self.dismiss_button, self.merge_button):
            b.setEnabled(has)
        if info is None:
            self.new_side.setPlainText("")
            self.existing_side.setPlainText("")
            self.reason.setText(_("No open duplicate candidates."))
            return
        self.reason.setText(info.reason)
        self.new_side.setPlainText(side_text(info.new))
        self.existing_side.setPlainText(side_text(info.existing))

    def _request(self, action: str) -> None:
        info = self.current()
        if info is not None:
            self.decision_requested.emit(info.id, action)

    def decide(self, candidate_id: int, action: str) -> None:
        ws = self._workspace()
        if ws is None:
            return
        fn = {"confirm": dedup.confirm, "dismiss": dedup.dismiss, "merge": dedup.merge}[action]
        try:
            with ws.session() as s:
                info = fn(s, ws.require_actor(), candidate_id)
        except AccordError as exc:
            self._line.say(self.status, None, str(exc))
            return
        messages = {
            "confirm": N_("{new} marked as a duplicate of {existing}."),
            "dismiss": N_("Dismissed: {new} and {existing} stay separate."),
            "merge": N_("{new} merged into {existing}."),
        }
        new, existing = info.new.case_key, info.existing.case_key
        self._line.say(self.status, lambda: _(messages[action]).format(new=new, existing=existing))
        self.refresh()
        self.decided.emit(candidate_id, action)
