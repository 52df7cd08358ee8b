"""The case queue as a Qt table model: ordered ids plus a bounded row cache.

``app.queue.ids`` gives every matching id in display order (filter, search and sort all run
in SQL); the rows the view asks for are fetched a page at a time with ``app.queue.rows``,
one ``WHERE id IN (...)`` query per page. Sorting re-runs the id query; there is no proxy.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app import queue
from app.queue import COLUMN_KEYS, COLUMNS, QueueQuery, QueueRow
from app.workspace import Workspace
from i18n import N_, _

Index = QModelIndex | QPersistentModelIndex

STATUS_LABELS: dict[str, str] = {
    "new": N_("new"),
    "triage": N_("triage"),
    "accepted": N_("accepted"),
    "coordinating": N_("coordinating"),
    "remediation": N_("remediation"),
    "disclosed": N_("disclosed"),
    "closed": N_("closed"),
    "needs-info": N_("needs info"),
    "duplicate": N_("duplicate"),
    "rejected": N_("rejected"),
}
TIER_LABELS: dict[str, str] = {
    "Critical": N_("Critical"),
    "High": N_("High"),
    "Medium": N_("Medium"),
    "Low": N_("Low"),
    "Informational": N_("Informational"),
}


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def tier_label(tier: str | None) -> str:
    return _(TIER_LABELS.get(tier, tier)) if tier else "—"


@dataclass(frozen=True)
class Formatter:
    """Dates, times and ages in the analyst's locale and time zone (through Babel)."""

    locale: str = "en"
    time_zone: str = "UTC"

    def _locale(self) -> Locale:
        try:
            return Locale.parse(self.locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")

    def moment(self, value: datetime | None) -> str:
        if value is None:
            return "—"
        return format_datetime(
            value, format="short", tzinfo=ZoneInfo(self.time_zone or "UTC"), locale=self._locale()
        )

    def age(self, since: datetime, now: datetime | None = None) -> str:
        delta = (now or datetime.now(UTC)) - since
        return format_timedelta(delta, threshold=1.0, locale=self._locale())


class QueueModel(QAbstractTableModel):
    """Read-only table of cases. Holds ids and at most ``cache_size`` fetched rows."""

    PAGE = 200

    def __init__(
        self,
        workspace: Workspace,
        formatter: Formatter | None = None,
        *,
        cache_size: int = 2000,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._ws: Workspace | None = workspace
        self.formatter = formatter or Formatter()
        self.cache_size = max(cache_size, self.PAGE)
        self._query = QueueQuery()
        self._ids: list[int] = []
        self._cache: OrderedDict[int, QueueRow] = OrderedDict()
        self.queries = 0  # row-page queries run (for tests and the benchmark)

    # -- public API ---------------------------------------------------------------------
    @property
    def query(self) -> QueueQuery:
        return self._query

    def set_workspace(self, workspace: Workspace | None) -> None:
        self._ws = workspace
        self.refresh()

    def set_query(self, query: QueueQuery) -> None:
        """Run a new filter/search/sort in SQL and show its ids."""
        self._query = query
        self.refresh()

    def update_query(self, **changes: Any) -> None:
        self.set_query(replace(self._query, **changes))

    def refresh(self) -> None:
        """Re-run the current query (after a change) and drop every cached row."""
        self.beginResetModel()
        self._cache.clear()
        if self._ws is None or self._ws.actor is None:
            self._ids = []
        else:
            with self._ws.session() as s:
                self._ids = queue.ids(s, self._query, self._ws.actor)
        self.endResetModel()

    def clear(self) -> None:
        """Forget every id and row (used when the workspace locks)."""
        self.beginResetModel()
        self._ws = None
        self._ids = []
        self._cache.clear()
        self.endResetModel()

    def case_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, case_id: int) -> int | None:
        try:
            return self._ids.index(case_id)
        except ValueError:
            return None

    def queue_row(self, row: int) -> QueueRow | None:
        if not 0 <= row < len(self._ids):
            return None
        case_id = self._ids[row]
        hit = self._cache.get(case_id)
        if hit is not None:
            self._cache.move_to_end(case_id)
            return hit
        self._fetch_page(row)
        return self._cache.get(case_id)

    def cached_rows(self) -> int:
        return len(self._cache)

    # -- Qt model interface -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return _(COLUMNS[section][1])
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._ids):
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.UserRole,
        ):
            return None
        row = self.queue_row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        key = COLUMN_KEYS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "next_deadline" and row.next_deadline_utc:
                return row.next_deadline_utc.isoformat()
            if key == "age":
                return self.formatter.moment(row.created_at)
            # Qt guesses whether a tooltip is rich text: a title is escaped into one.
            return f"<p>{html.escape(row.title)}</p>" if key == "title" else None
        return self._display(row, key)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMN_KEYS):
            return
        self.set_query(
            replace(
                self._query,
                sort=COLUMN_KEYS[column],
                descending=order == Qt.SortOrder.DescendingOrder,
            )
        )

    # -- internals ------------------------------------------------------------------------
    def _display(self, row: QueueRow, key: str) -> str:
        if key == "id":
            return row.key
        if key == "title":
            return row.title
        if key == "status":
            return status_label(row.status)
        if key == "tier":
            return tier_label(row.tier)
        if key == "assignee":
            return row.assignee or "—"
        if key == "next_deadline":
            return self.formatter.moment(row.next_deadline_utc)
        if key == "age":
            return self.formatter.age(row.created_at)
        return row.partners

    def _fetch_page(self, row: int) -> None:
        if self._ws is None or self._ws.actor is None:
            return
        start = (row // self.PAGE) * self.PAGE
        wanted = [i for i in self._ids[start : start + self.PAGE] if i not in self._cache]
        with self._ws.session() as s:
            fetched = queue.rows(s, wanted)
        self.queries += 1
        for case_id in wanted:
            found = fetched.get(case_id)
            if found is not None:
                self._cache[case_id] = found
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
