"""Small display helpers shared by the case header and the administration screens: a time
always followed by its zone, an embargo countdown, and the TLP colours (FIRST TLP 2.0)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from i18n import _, ngettext
from views.queue.model import Formatter

# FIRST TLP 2.0 colours on black, as the standard shows them.
TLP_STYLES = {
    "CLEAR": "color: #ffffff; background: #000000; padding: 0 4px;",
    "GREEN": "color: #33ff00; background: #000000; padding: 0 4px;",
    "AMBER": "color: #ffc000; background: #000000; padding: 0 4px;",
    "AMBER+STRICT": "color: #ffc000; background: #000000; padding: 0 4px;",
    "RED": "color: #ff2b2b; background: #000000; padding: 0 4px;",
}


def zone_name(formatter: Formatter) -> str:
    zone = formatter.time_zone or "UTC"
    return "UTC" if zone in ("UTC", "Etc/UTC", "Z") else zone


def with_zone(formatter: Formatter, value: datetime | None) -> str:
    """``11/27/26, 6:00 PM Europe/Paris`` in the formatter's language and zone: the same text
    as ``Formatter.moment`` and ``i18n.formatting.format_moment`` (the one way a moment is
    shown, right to left included)."""
    if value is None:
        return "—"
    ZoneInfo(formatter.time_zone or "UTC")  # a bad zone fails here, not half-way
    return formatter.moment(value)


def _span(seconds: int) -> str:
    """The same wording as the queue's countdown (``app.queueing.filters.countdown``)."""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("{d} d {h} h").format(d=days, h=hours)
    if hours:
        return _("{h} h {m} min").format(h=hours, m=minutes)
    return ngettext("{m} minute", "{m} minutes", minutes).format(m=minutes)


def embargo_countdown(until: datetime, now: datetime | None = None) -> str:
    """``ends in 3 d 4 h`` or ``ended 2 d 1 h ago``."""
    now = now or datetime.now(UTC)
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    seconds = int((until - now).total_seconds())
    if seconds <= 0:
        return _("ended {span} ago").format(span=_span(seconds))
    return _("ends in {span}").format(span=_span(seconds))
