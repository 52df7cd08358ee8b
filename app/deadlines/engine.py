"""The deadline arithmetic: pure functions, no database.

Instants are aware UTC datetimes. ``hours`` and ``days`` offsets are exact durations added in
UTC (a day is 24 hours, whatever the clocks do); ``business_days`` and ``months`` count on the
jurisdiction's own calendar (its zone, weekend and holidays) and keep the local wall time.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.deadlines.rules import Rule, RuleFile

PENDING = "pending"
DUE_SOON = "due-soon"
OVERDUE = "overdue"
MET = "met"
NOT_APPLICABLE = "not-applicable"
STATES = (PENDING, DUE_SOON, OVERDUE, MET, NOT_APPLICABLE)
OPEN_STATES = (PENDING, DUE_SOON, OVERDUE)


@dataclass(frozen=True)
class Computed:
    """A rule applied to a case's facts at a moment ``now``."""

    rule: Rule
    due_utc: datetime | None
    state: str
    met_at: datetime | None


def _to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC)


def add_business_days(start: datetime, n: int, file: RuleFile) -> datetime:
    """``n`` working days later on the file's calendar, at the same local wall time."""
    zone = ZoneInfo(file.timezone)
    local = start.astimezone(zone)
    day = local.date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if day.weekday() not in file.weekend and day not in file.holidays:
            counted += 1
    return _to_utc(datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone))


def add_months(start: datetime, n: int, zone_name: str) -> datetime:
    """Same day ``n`` months later in the zone, clamped to the last day (31 Jan → 28/29 Feb)."""
    zone = ZoneInfo(zone_name)
    local = start.astimezone(zone)
    month0 = local.month - 1 + n
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    target = date(year, month, day)
    return _to_utc(datetime.combine(target, local.time().replace(tzinfo=None), tzinfo=zone))


def add_offset(start: datetime, unit: str, amount: int, file: RuleFile) -> datetime:
    start = start.astimezone(UTC)
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    if unit == "business_days":
        return add_business_days(start, amount, file)
    if unit == "months":
        return add_months(start, amount, file.timezone)
    raise ValueError(f"unknown offset unit {unit}")


def state_of(
    due: datetime | None, now: datetime, met_at: datetime | None, soon_hours: float
) -> str:
    if met_at is not None:
        return MET
    if due is None:
        return NOT_APPLICABLE
    if now > due:
        return OVERDUE
    if due - now <= timedelta(hours=soon_hours):
        return DUE_SOON
    return PENDING


def compute(
    rule: Rule,
    file: RuleFile,
    facts: Mapping[str, datetime],
    now: datetime,
    *,
    met_at: datetime | None = None,
    amount: int | None = None,
) -> Computed:
    """Apply one rule: not applicable without its trigger (or before the rule's effective date)."""
    start = facts.get(rule.trigger)
    applicable = (
        start is not None
        and all(f in facts for f in rule.requires)
        and start.astimezone(ZoneInfo(file.timezone)).date() >= rule.effective
        and (rule.until is None or start.astimezone(ZoneInfo(file.timezone)).date() <= rule.until)
    )
    due: datetime | None = None
    if applicable and start is not None:
        due = add_offset(start, rule.unit, rule.amount if amount is None else amount, file)
        if any(f in facts and facts[f] <= due for f in rule.unless):
            due = None
    if met_at is None and rule.met_by and rule.met_by in facts and due is not None:
        met_at = facts[rule.met_by]
    if due is None:
        met_at = None
    return Computed(rule, due, state_of(due, now, met_at, rule.due_soon_hours), met_at)


def local_times(due: datetime, zones: Iterable[str]) -> dict[str, str]:
    """The instant as ISO-8601 local time with offset in each zone (zoneinfo, DST-correct)."""
    return {z: due.astimezone(ZoneInfo(z)).isoformat() for z in zones}


def sort_key(c: Computed) -> tuple[int, datetime, int, str]:
    """Earliest first; at equal times binding first; not-applicable last."""
    far = datetime.max.replace(tzinfo=UTC)
    return (0 if c.due_utc else 1, c.due_utc or far, 0 if c.rule.binding else 1, c.rule.id)


def embargo_conflict(
    due: datetime | None, state: str, binding: bool, embargo: datetime | None
) -> bool:
    """An embargo or planned publication after a binding deadline still open is a conflict."""
    return bool(binding and embargo and due and state in OPEN_STATES and embargo > due)
