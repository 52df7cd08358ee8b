"""The deadline arithmetic: pure functions, no database.

Instants are aware UTC datetimes. A rule's period is data: its unit and amount, and the
computation its regime uses (``exact`` elapsed time, ``calendar`` days or months to the same
local wall time, the ``end-of-day`` of the last day in the file's zone, or that end rolled over
to the next ``working-day``, Regulation (EEC, Euratom) No 1182/71 Art. 3(4)). Each rule says
which and cites why; an obligation of another party (``owed_by``) applies only when the case
has a party in that role.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from app.deadlines.rules import THIS_CERT, Rule, RuleFile
from i18n import N_, _

PENDING = "pending"
DUE_SOON = "due-soon"
OVERDUE = "overdue"
MET = "met"
MET_LATE = "met-late"
NOT_APPLICABLE = "not-applicable"
STATES = (PENDING, DUE_SOON, OVERDUE, MET, MET_LATE, NOT_APPLICABLE)
OPEN_STATES = (PENDING, DUE_SOON, OVERDUE)
MET_STATES = (MET, MET_LATE)
# What each computation means, for ``deadline rules`` and the screens.
COMPUTATION_TEXT = {
    "exact": N_("exact elapsed time from the trigger instant"),
    "calendar": N_("the same local time on the last day, in the reference zone"),
    "end-of-day": N_("the end of the last day in the reference zone"),
    "working-day": N_(
        "the end of the last day in the reference zone, rolled over to the end of the next "
        "working day when it falls on a weekend or public holiday"
    ),
}


@dataclass(frozen=True)
class Computed:
    """A rule applied to a case's facts at a moment ``now``."""

    rule: Rule
    due_utc: datetime | None
    state: str
    met_at: datetime | None
    reason: str | None = None  # why it does not apply
    late_by: timedelta | None = None  # how late it was met
    owed_by_party: str | None = None  # the party holding the duty-holder role (watch)
    ours: bool = True  # False: another party's duty, watched and tracked apart from ours
    computation: str = "exact"
    trigger_at: datetime | None = None


def _to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC)


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    return frozenset(holiday_calendars.country_holidays(country, subdiv=subdiv, years=year))


def is_working_day(day: date, file: RuleFile) -> bool:
    """Not a weekend day, not a holiday the file lists, not a public holiday of its country."""
    if day.weekday() in file.weekend or day in file.holidays:
        return False
    if file.holiday_country:
        return day not in _public_holidays(file.holiday_country, file.holiday_subdiv, day.year)
    return True


def add_business_days(start: datetime, n: int, file: RuleFile) -> datetime:
    """``n`` working days later on the file's calendar, at the same local wall time."""
    zone = ZoneInfo(file.timezone)
    local = start.astimezone(zone)
    day = local.date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day, file):
            counted += 1
    return _to_utc(datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone))


def end_of_day(day: date, zone_name: str) -> datetime:
    """The instant the day ends in the zone (the next day's midnight), in UTC."""
    return _to_utc(datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(zone_name)))


def add_months(start: datetime, n: int, zone_name: str) -> datetime:
    """Same day ``n`` months later in the zone, clamped to the last day (31 Jan → 28/29 Feb)."""
    zone = ZoneInfo(zone_name)
    local = start.astimezone(zone)
    month0 = local.month - 1 + n
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    target = date(year, month, day)
    return _to_utc(datetime.combine(target, local.time().replace(tzinfo=None), tzinfo=zone))


def add_offset(
    start: datetime, unit: str, amount: int, file: RuleFile, computation: str = "exact"
) -> datetime | None:
    """The due instant of a period (None for one without a fixed period, ``timely``)."""
    start = start.astimezone(UTC)
    if unit == "timely":
        return None
    if unit == "hours" and computation in ("exact", "calendar"):
        return start + timedelta(hours=amount)
    if unit == "days" and computation == "exact":
        return start + timedelta(days=amount)
    zone = ZoneInfo(file.timezone)
    local = start.astimezone(zone)
    if unit == "hours":
        at = start + timedelta(hours=amount)
    elif unit == "days":
        # Calendar days: the same wall time N local days on (23 or 25 hours across DST).
        at = _to_utc(datetime.combine(local.date() + timedelta(days=amount), local.timetz()))
    elif unit == "business_days":
        at = add_business_days(start, amount, file)
    elif unit == "months":
        at = add_months(start, amount, file.timezone)
    else:
        raise ValueError(f"unknown offset unit {unit}")
    if computation == "calendar" or computation == "exact":
        return at
    last = at.astimezone(zone).date()
    if computation == "working-day":
        while not is_working_day(last, file):
            last += timedelta(days=1)
    return end_of_day(last, file.timezone)


def state_of(
    due: datetime | None, now: datetime, met_at: datetime | None, soon_hours: float
) -> str:
    if met_at is not None:
        return MET_LATE if due is not None and met_at > due else MET
    if due is None:
        return PENDING  # applicable, without a fixed period
    if now > due:
        return OVERDUE
    if due - now <= timedelta(hours=soon_hours):
        return DUE_SOON
    return PENDING


def fact_of(facts: Mapping[str, datetime], name: str, party: str | None) -> datetime | None:
    """A party's own fact (``name@party``) when the rule reads one, else the shared fact."""
    if party:
        own = facts.get(f"{name}@{party}")
        if own is not None:
            return own
    return facts.get(name)


def _not_applicable(rule: Rule, reason: str, computation: str) -> Computed:
    return Computed(rule, None, NOT_APPLICABLE, None, reason, computation=computation)


def holders_of(rule: Rule, roles: Mapping[str, Sequence[str]]) -> tuple[bool, list[str]] | None:
    """(ours, parties owing it), or None when nobody on the case holds a duty-holder role.

    A role the case gives to this CERT (``coordinator=this-cert`` in JPCERT/CC's own
    workspace) makes the duty ours; a programme's ``holder`` owes it when the case names none."""
    if rule.ours:
        return True, []
    parties = [p for role in rule.holder_roles for p in roles.get(role, ())]
    if THIS_CERT in parties:
        return True, []
    if parties:
        return False, [p for p in parties if p]
    if rule.holder:
        return False, [rule.holder]
    return None


def _applicability(
    rule: Rule, file: RuleFile, facts: Mapping[str, datetime], roles: Mapping[str, Sequence[str]]
) -> tuple[datetime | None, str | None]:
    """The trigger instant, or None and the reason the rule does not apply."""
    if holders_of(rule, roles) is None:
        return None, _("no party on the case has the role {role}").format(
            role=" / ".join(rule.holder_roles)
        )
    start = fact_of(facts, rule.trigger, rule.fact_party)
    if start is None:
        return None, _("no {fact} fact recorded").format(fact=rule.trigger)
    missing = [f for f in rule.requires if fact_of(facts, f, rule.fact_party) is None]
    if missing:
        return None, _("needs the fact {fact}").format(fact=", ".join(missing))
    day = start.astimezone(ZoneInfo(file.timezone)).date()
    if day < rule.effective:
        return None, _("applies from {date}").format(date=rule.effective.isoformat())
    if rule.until is not None and day > rule.until:
        return None, _("applied until {date}").format(date=rule.until.isoformat())
    return start, None


def compute(
    rule: Rule,
    file: RuleFile,
    facts: Mapping[str, datetime],
    now: datetime,
    *,
    met_at: datetime | None = None,
    amount: int | None = None,
    computation: str | None = None,
    roles: Mapping[str, Sequence[str]] | None = None,
) -> Computed:
    """Apply one rule: not applicable (with the reason) without its trigger, its duty holder on
    the case, or before its effective date; met late when met after the due instant."""
    how = computation or rule.computation
    start, reason = _applicability(rule, file, facts, roles or {})
    if start is None:
        return _not_applicable(rule, reason or "", how)
    due = add_offset(start, rule.unit, rule.amount if amount is None else amount, file, how)
    for f in rule.unless:
        at = fact_of(facts, f, rule.fact_party)
        if at is not None and (due is None or at <= due):
            return _not_applicable(
                rule, _("{fact} recorded before it fell due").format(fact=f), how
            )
    if met_at is None and rule.met_by:
        met_at = fact_of(facts, rule.met_by, rule.fact_party)
    late = met_at - due if met_at is not None and due is not None and met_at > due else None
    ours, holders = holders_of(rule, roles or {}) or (True, [])
    return Computed(
        rule,
        due,
        state_of(due, now, met_at, rule.due_soon_hours),
        met_at,
        late_by=late,
        owed_by_party=", ".join(holders) or None,
        ours=ours,
        computation=how,
        trigger_at=start,
    )


def late_text(late: timedelta) -> str:
    """``12 h``, ``2 d 3 h`` or ``40 min``: how late an obligation was met."""
    minutes = int(late.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{d} d {h} h").format(d=days, h=hours)
    if hours:
        return (
            _("{h} h").format(h=hours) if not mins else _("{h} h {m} min").format(h=hours, m=mins)
        )
    return _("{m} min").format(m=mins)


def state_text(state: str, reason: str | None = None, late: timedelta | None = None) -> str:
    """The honest label: ``met late (by 12 h)``, ``not applicable (no … fact recorded)``."""
    if state == MET_LATE and late is not None:
        return _("met late (by {span})").format(span=late_text(late))
    if state == NOT_APPLICABLE:
        return (
            _("not applicable ({reason})").format(reason=reason) if reason else _("not applicable")
        )
    labels = {
        PENDING: _("pending"),
        DUE_SOON: _("due soon"),
        OVERDUE: _("overdue"),
        MET: _("met"),
        MET_LATE: _("met late"),
    }
    return labels.get(state, state)


def local_times(due: datetime, zones: Iterable[str]) -> dict[str, str]:
    """The instant as ISO-8601 local time with offset in each zone (zoneinfo, DST-correct)."""
    return {z: due.astimezone(ZoneInfo(z)).isoformat() for z in zones}


def sort_key(c: Computed) -> tuple[int, datetime, int, str]:
    """Earliest first; at equal times binding first; not-applicable last."""
    far = datetime.max.replace(tzinfo=UTC)
    return (0 if c.due_utc else 1, c.due_utc or far, 0 if c.rule.binding else 1, c.rule.id)


def embargo_conflict(
    due: datetime | None,
    state: str,
    binding: bool,
    embargo: datetime | None,
    publishes: bool = True,
) -> bool:
    """An embargo after an open binding deadline whose recipient publishes is a conflict.

    A confidential notification (the CRA's early warning to a CSIRT and ENISA) can be made
    under embargo; only an obligation that makes the matter public can break one."""
    return bool(
        publishes and binding and embargo and due and state in OPEN_STATES and embargo > due
    )
