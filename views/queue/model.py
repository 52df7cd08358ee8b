"""The case queue as a Qt table model: ordered ids plus a bounded row cache.

``app.queueing.queue.ids`` gives every matching id in display order (filter, search and sort all run
in SQL); the rows the view asks for are fetched a page at a time with ``app.queueing.queue.rows``,
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
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from app.queueing import filters as queue_filters
from app.queueing import queue
from app.queueing.queue import COLUMN_KEYS, COLUMNS, QueueQuery, QueueRow
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from i18n.formatting import format_moment
from i18n.labels import STATUS_LABELS, TIER_LABELS

Index = QModelIndex | QPersistentModelIndex

# Roles the queue's delegate paints from: chips for tier and TLP, the deadline's urgency.
TIER_ROLE = Qt.ItemDataRole.UserRole + 1
TLP_ROLE = Qt.ItemDataRole.UserRole + 2
URGENCY_ROLE = Qt.ItemDataRole.UserRole + 3
# The deadline column's colour scale (text, background): overdue, due within 24 h, later.
URGENCY_COLOURS: dict[str, tuple[str, str]] = {
    "overdue": ("#ffffff", "#b3261e"),
    "due-24h": ("#3d2c00", "#ffd166"),
    "later": ("#1b4d2b", "#dff3e4"),
}
URGENCY_LABELS: dict[str, str] = {
    "overdue": N_("overdue"),
    "due-24h": N_("due within 24 hours"),
    "later": N_("due later"),
}

# Headers short enough for their column at 1366×768 in every language ("Next deadline" took
# the Arabic column to 150 px); the header's tooltip says the rest.
SHORT_HEADERS: dict[str, str] = {"next_deadline": N_("Due")}
HEADER_TIPS: dict[str, str] = {
    "next_deadline": N_(
        "Next binding deadline, as a countdown; the exact time with its zone is in the "
        "cell's tooltip"
    ),
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
        """A time with its zone named, right to left included (``i18n.formatting``)."""
        return format_moment(value, self.locale, self.time_zone)

    def exact(self, value: datetime | None) -> str:
        """The full date and time with its zone, e.g. for a tooltip: "9 Dec 2026, 01:07 CET
        (Europe/Berlin) · 00:07 UTC"."""
        if value is None:
            return "—"
        zone = self.time_zone or "UTC"
        local = format_datetime(
            value, format="medium", tzinfo=ZoneInfo(zone), locale=self._locale()
        )
        if zone == "UTC":
            return _("{time} UTC").format(time=local)
        utc = format_datetime(value, format="HH:mm", tzinfo=ZoneInfo("UTC"), locale=self._locale())
        return _("{time} ({zone}) · {utc} UTC").format(time=local, zone=zone, utc=utc)

    def age(self, since: datetime, now: datetime | None = None) -> str:
        delta = (now or datetime.now(UTC)) - since
        return format_timedelta(delta, threshold=1.0, locale=self._locale())


class QueueModel(QAbstractTableModel):
    """Read-only table of cases. Holds ids and at most ``cache_size`` fetched rows."""

    PAGE = 200
    query_changed = Signal()  # after a new filter, search or sort (not after a refresh)

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
        self._query = queue.default_query()
        self.now: datetime | None = None  # fixed in tests; None means the wall clock
        self._ids: list[int] = []
        self._cache: OrderedDict[int, QueueRow] = OrderedDict()
        self.queries = 0  # row-page queries run (for tests and the benchmark)
        self.loaded = False  # the ids of the current query have been fetched at least once

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
        self.query_changed.emit()

    def update_query(self, **changes: Any) -> None:
        self.set_query(replace(self._query, **changes))

    def refresh(self) -> None:
        """Re-run the current query (after a change) and drop every cached row."""
        self.beginResetModel()
        self._cache.clear()
        if self._ws is None or self._ws.actor is None:
            self._ids = []
            self.loaded = False
        else:
            with self._ws.session() as s:
                self._ids = queue.ids(s, self._query, self._ws.actor)
            self.loaded = True
        self.endResetModel()

    def clear(self) -> None:
        """Forget every id and row (used when the workspace locks)."""
        self.beginResetModel()
        self._ws = None
        self._ids = []
        self.loaded = False
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

    def has_workspace(self) -> bool:
        """Whether an analyst has the workspace unlocked (a locked queue is not "empty")."""
        return self._ws is not None and self._ws.actor is not None

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
        horizontal = orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS)
        if role == Qt.ItemDataRole.ToolTipRole and horizontal:
            key, label = COLUMNS[section]
            return _(HEADER_TIPS[key]) if key in HEADER_TIPS else _(label)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if horizontal:
            key, label = COLUMNS[section]
            return _(SHORT_HEADERS.get(key, label))
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._ids):
            return str(section + 1)
        return None

    _ROLES = (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.UserRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.FontRole,
        TIER_ROLE,
        TLP_ROLE,
        URGENCY_ROLE,
    )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in self._ROLES:
            return None
        row = self.queue_row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        key = COLUMN_KEYS[index.column()]
        if role == TIER_ROLE:
            return row.tier or ""
        if role == TLP_ROLE:
            return row.tlp
        urgency = queue_filters.urgency(row.next_deadline_utc, self.now)
        if role == URGENCY_ROLE:
            return urgency
        if role in (
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.FontRole,
        ):
            return self._deadline_style(role, urgency) if key == "next_deadline" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key, urgency)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible(row, key, urgency)
        return self._display(row, key)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMN_KEYS) or COLUMN_KEYS[column] not in queue.SORTABLE:
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
            return queue_filters.countdown(row.next_deadline_utc, self.now) or "—"
        if key == "tlp":
            return f"TLP:{row.tlp}"
        if key == "age":
            return self.formatter.age(row.created_at)
        return row.partners

    def _tooltip(self, row: QueueRow, key: str, urgency: str) -> str | None:
        if key == "next_deadline" and row.next_deadline_utc:
            return "\n".join(
                (self.formatter.exact(row.next_deadline_utc), _(URGENCY_LABELS[urgency]))
            )
        if key == "next_deadline":
            return _("No deadline is running for this case.")
        if key == "age":
            return self.formatter.exact(row.created_at)
        if key == "tlp":
            return _("Traffic Light Protocol: who may receive this case")
        # Qt guesses whether a tooltip is rich text: a title is escaped into one.
        return f"<p>{html.escape(row.title)}</p>" if key == "title" else None

    def _accessible(self, row: QueueRow, key: str, urgency: str) -> str:
        """What a screen reader says for a cell whose meaning is partly a colour."""
        shown = self._display(row, key)
        if key == "tier":
            return _("Tier: {tier}").format(tier=shown)
        if key == "tlp":
            return shown
        if key == "next_deadline" and urgency:
            return _("{countdown}, {urgency}, {time}").format(
                countdown=shown,
                urgency=_(URGENCY_LABELS[urgency]),
                time=self.formatter.exact(row.next_deadline_utc),
            )
        return shown

    @staticmethod
    def _deadline_style(role: int, urgency: str) -> Any:
        if not urgency:
            return None
        if role == Qt.ItemDataRole.FontRole:
            if urgency != "overdue":
                return None
            bold = QFont()
            bold.setBold(True)
            return bold
        text, background = URGENCY_COLOURS[urgency]
        colour = text if role == Qt.ItemDataRole.ForegroundRole else background
        return QBrush(QColor(colour))

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
