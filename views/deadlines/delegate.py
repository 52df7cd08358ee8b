"""Queue add-on: the next-deadline column shows a live countdown and overdue rows are
highlighted. Installed as the queue view's item delegate; reads rows through the model's
public ``queue_row``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem

from app.queueing import filters as queue_filters
from app.queueing.queue import COLUMN_KEYS, QueueRow

OVERDUE = QColor("#f6c6c6")
DUE_SOON = QColor("#fbe7b5")
DEADLINE_COLUMN = COLUMN_KEYS.index("next_deadline")
Index = QModelIndex | QPersistentModelIndex


class RowSource(Protocol):
    def queue_row(self, row: int) -> QueueRow | None: ...


class DeadlineDelegate(QStyledItemDelegate):
    """Paints the countdown and the overdue / due-within-24-h highlight."""

    def __init__(self, source: RowSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.now: datetime | None = None  # fixed in tests; None means the wall clock

    def _now(self) -> datetime:
        return self.now or datetime.now(UTC)

    def state(self, row: int) -> str:
        r = self.source.queue_row(row)
        due = r.next_deadline_utc if r else None
        if due is None:
            return ""
        if queue_filters.is_overdue(due, self._now()):
            return "overdue"
        return "due-soon" if (due - self._now()).total_seconds() <= 86400 else "pending"

    def countdown(self, row: int) -> str:
        r = self.source.queue_row(row)
        return queue_filters.countdown(r.next_deadline_utc if r else None, self._now())

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        state = self.state(index.row())
        if state == "overdue":
            option.backgroundBrush = QBrush(OVERDUE)
        elif state == "due-soon":
            option.backgroundBrush = QBrush(DUE_SOON)
        if index.column() == DEADLINE_COLUMN and state:
            option.text = f"{option.text} · {self.countdown(index.row())}"


def install(
    view: QAbstractItemView, source: RowSource, interval_ms: int = 30_000
) -> DeadlineDelegate:
    """Use the delegate on ``view`` and repaint it periodically so countdowns advance."""
    delegate = DeadlineDelegate(source, view)
    view.setItemDelegate(delegate)
    timer = QTimer(delegate)
    timer.setInterval(interval_ms)
    timer.timeout.connect(view.viewport().update)
    timer.start()
    return delegate
