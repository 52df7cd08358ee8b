"""Shift-lead dashboard figures, aggregated in SQL; each bar carries the queue filter it stands
for, so clicking it can open the queue filtered to it.

Every figure is an index-only ``GROUP BY`` over the open cases (``ix_case_dashboard``) or a
count of an index range (overdue, due today, new, each age band), so nothing is computed per
row and the dashboard opens in well under a second at 200,000 cases (``bench/dashboard.py``).
Only the triage trend reads audit events, and only those of the last ``TREND_WEEKS`` weeks.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, select, text
from sqlalchemy.orm import Session

import models
from app.casework import workflow
from app.casework.cases import TIER_RANK
from app.queueing.filters import CLOSED
from app.workspaces.sqlite_index import indexed_sql
from i18n import N_
from i18n.formatting import zone
from models import schema, utcnow


def _table(model: type[models.Base]) -> Table:
    return cast(Table, model.__table__)


# Here ``Case``, ``Deadline`` and the others are the tables' columns, not the ORM classes (as
# in app.queueing.queue): a statement naming an ORM attribute first configures every mapper,
# about 0.1 s of a process's first dashboard, and the figures are counts and columns, never
# objects. ``_CASE``, ``_DEADLINE`` and ``_CASE_PARTNER`` are tables, for FROM and JOIN.
_CASE = schema.case
_DEADLINE = _table(models.Deadline)
_CASE_PARTNER = _table(models.CasePartner)
Case = _CASE.c
Deadline = _DEADLINE.c
CasePartner = _CASE_PARTNER.c
Analyst = schema.analyst.c
AuditEvent = _table(models.AuditEvent).c
Handover = _table(models.Handover).c
Partner = _table(models.Partner).c

UNSCORED = "Unscored"
UNASSIGNED = "unassigned"  # the per-analyst bar of open cases nobody holds
AGE_BINS = (0, 7, 14, 30, 60, 90, 365, 100_000)
TIERS = [*sorted(TIER_RANK, key=lambda t: -TIER_RANK[t]), UNSCORED]
TREND_WEEKS = 13  # a quarter: enough for a trend, cheap at 200,000 cases
SHIFT_HOURS = 12  # "this shift" when no handover has been written yet
OBLIGATION_DAYS = 7
OBLIGATION_POINTS = 500  # obligations listed for hover; the chart itself counts them all


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    filter: str  # a queue filter spec (app.queueing.filters), "" when a bar has none


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class StackedChart:
    """Bars per category (tier), one segment per series (status)."""

    key: str
    title: str
    categories: tuple[str, ...]
    series: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]  # values[series][category]

    def filter_for(self, category: int, series: int) -> str:
        tier = self.categories[category]
        return f"tier:{'none' if tier == UNSCORED else tier}+status:{self.series[series]}"


@dataclass(frozen=True)
class Obligation:
    case_key: str
    rule: str
    jurisdiction: str
    due_utc: datetime
    binding: bool
    title: str = ""  # the rule's own wording


@dataclass(frozen=True)
class ObligationDay:
    """Unmet obligations of open cases due on one day (in the reader's zone)."""

    day: datetime  # local midnight, as an aware datetime
    binding: int
    advisory: int


@dataclass(frozen=True)
class TrendPoint:
    week: datetime
    median_hours: float
    cases: int


@dataclass(frozen=True)
class Headline:
    """The four figures a shift lead reads first, each with the queue filter it opens."""

    overdue: int
    due_today: int
    unassigned: int
    new_this_shift: int
    shift_start: datetime
    day_end: datetime  # the end of the reader's day, when "due today" stops


@dataclass(frozen=True)
class Dashboard:
    by_tier_status: StackedChart
    age: Chart
    obligations: tuple[Obligation, ...]
    triage_trend: tuple[TrendPoint, ...]
    per_analyst: Chart
    per_partner: Chart
    now: datetime
    headline: Headline | None = None
    obligations_by_day: tuple[ObligationDay, ...] = ()
    time_zone: str = "UTC"


def _open() -> Any:
    """Open as the queue, saved filters and CLI mean it (app.casework.workflow.OPEN_STATES)."""
    return workflow.is_open()


def _owing() -> Any:
    """Cases that still owe obligations: a disclosed case may (publication, final reports)."""
    return Case.status.not_in(CLOSED)


def _count_if(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def end_of_day(now: datetime, tz: str | None) -> datetime:
    """The first instant of the next day in the reader's zone, as UTC."""
    local = _aware(now).astimezone(zone(tz))
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone(tz))
    return tomorrow.astimezone(UTC)


def shift_start(session: Session, now: datetime) -> datetime:
    """Where "this shift" began: the end of the last handover, else ``SHIFT_HOURS`` ago."""
    last = session.scalar(select(func.max(Handover.period_end)))
    if last is not None and now - timedelta(hours=24) <= _aware(last) <= now:
        return _aware(last)
    return now - timedelta(hours=SHIFT_HOURS)  # no recent handover: a shift's length back


@dataclass(frozen=True)
class _Group:
    """Open cases of one (tier, status, assignee)."""

    tier: str
    status: str
    assignee_id: int | None
    cases: int


@dataclass(frozen=True)
class _Counts:
    """Open-case figures that only the whole needs (no breakdown), and the groups."""

    groups: list[_Group]
    overdue: int
    due_today: int
    new: int
    ages: tuple[int, ...]  # open cases per ``AGE_BINS`` band


def _groups(session: Session) -> list[_Group]:
    """Open cases per (assignee, tier, status): an index-only ``GROUP BY`` through
    ``ix_case_dashboard`` with nothing computed per row."""
    rows = session.execute(
        select(Case.tier, Case.status, Case.assignee_id, func.count())
        .where(_open())
        .group_by(Case.assignee_id, Case.tier, Case.status)
    ).all()
    return [_Group(t or UNSCORED, st.value, a, int(n)) for t, st, a, n in rows]


def _counts(session: Session, now: datetime, day_end: datetime, start: datetime) -> _Counts:
    """The groups, then every total as an index range count in one statement.

    Counting a range of ``ix_case_status_deadline`` or ``ix_case_created`` visits only the rows
    in it; the single-scan alternative (a ``CASE`` per row for the age band and conditional
    sums) cost about three times as much at 200,000 cases (``bench/dashboard.py``)."""
    groups = _groups(session)

    def count(*conds: Any) -> Any:
        return select(func.count()).select_from(_CASE).where(_open(), *conds).scalar_subquery()

    edges = [now - timedelta(days=d) for d in AGE_BINS[1:-1]]  # newest first
    bands = [count(Case.created_at > edges[0])]
    bands += [
        count(Case.created_at > older, Case.created_at <= newer)
        for newer, older in itertools.pairwise(edges)
    ]
    row = session.execute(
        select(
            count(Case.next_deadline_utc < now),
            count(Case.next_deadline_utc >= now, Case.next_deadline_utc < day_end),
            count(Case.created_at >= start),
            *bands,
        )
    ).one()
    ages = [int(n) for n in row[3:]]
    # The oldest band is all the rest. Two statements may see different states of a busy
    # workspace, so a case opened between them must not turn the band negative.
    ages.append(max(0, sum(g.cases for g in groups) - sum(ages)))
    return _Counts(groups, int(row[0]), int(row[1]), int(row[2]), tuple(ages))


def headline(session: Session, now: datetime, tz: str | None = None) -> Headline:
    """Overdue, due before the reader's day ends, unassigned and new this shift."""
    start, day_end = shift_start(session, now), end_of_day(now, tz)
    return _headline(_counts(session, now, day_end, start), start, day_end)


def _headline(counts: _Counts, start: datetime, day_end: datetime) -> Headline:
    return Headline(
        counts.overdue,
        counts.due_today,
        sum(g.cases for g in counts.groups if g.assignee_id is None),
        counts.new,
        start,
        day_end,
    )


def by_tier_status(session: Session, groups: list[_Group] | None = None) -> StackedChart:
    if groups is None:
        groups = _groups(session)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for g in groups:
        counts[(g.tier, g.status)] += g.cases
    tiers = tuple(t for t in TIERS if any(k[0] == t for k in counts))
    statuses = tuple(sorted({k[1] for k in counts}))
    values = tuple(tuple(counts.get((t, s), 0) for t in tiers) for s in statuses)
    return StackedChart("tier_status", N_("Open cases by tier and status"), tiers, statuses, values)


def _age_labels() -> list[str]:
    return [f"{a}–{b}" if b < AGE_BINS[-1] else f"{a}+" for a, b in itertools.pairwise(AGE_BINS)]


def age_histogram(session: Session, now: datetime, ages: tuple[int, ...] | None = None) -> Chart:
    """Open cases per age band (days since opened)."""
    if ages is None:
        ages = _counts(session, now, now, now).ages
    row = list(ages)
    return Chart(
        "age",
        N_("Case age (days)"),
        tuple(Bar(lab, int(n), "open") for lab, n in zip(_age_labels(), row, strict=True)),
    )


def _due_rows(now: datetime, until: datetime) -> Any:
    return (
        select(
            Case.key,
            Deadline.rule_id,
            Deadline.jurisdiction,
            Deadline.due_utc,
            Deadline.binding,
            Deadline.obligation,
        )
        .join(_CASE, Case.id == Deadline.case_id)
        .where(
            Deadline.met_at.is_(None),
            Deadline.due_utc >= now,
            Deadline.due_utc <= until,
            _owing(),
        )
    )


def obligations(
    session: Session, now: datetime, days: int = OBLIGATION_DAYS
) -> tuple[Obligation, ...]:
    """The next obligations of open cases, earliest first (at most ``OBLIGATION_POINTS``)."""
    rows = session.execute(
        _due_rows(now, now + timedelta(days=days))
        .order_by(Deadline.due_utc)
        .limit(OBLIGATION_POINTS)
    ).all()
    return tuple(
        Obligation(k, r, j, _aware(d), bool(b), o or r)
        for k, r, j, d, b, o in rows
        if d is not None
    )


def obligations_by_day(
    session: Session, now: datetime, tz: str | None = None, days: int = OBLIGATION_DAYS
) -> tuple[ObligationDay, ...]:
    """Obligations due on each of the next ``days`` days of the reader, binding or not."""
    local_zone = zone(tz)
    today = _aware(now).astimezone(local_zone).date()
    starts = [
        datetime.combine(today + timedelta(days=i), time(0), tzinfo=local_zone)
        for i in range(days + 1)
    ]
    columns = []
    for i in range(days):
        lo = max(starts[i].astimezone(UTC), now)
        hi = starts[i + 1].astimezone(UTC)
        in_day = and_(Deadline.due_utc >= lo, Deadline.due_utc < hi)
        columns.append(_count_if(and_(in_day, Deadline.binding.is_(True))))
        columns.append(_count_if(and_(in_day, Deadline.binding.is_(False))))
    # Both sides from narrow indexes (ix_deadline_owing, ix_case_id_status): SQLite's planner
    # prefers the case's wide row by rowid, one decrypted page per deadline on a new
    # connection, about five times the CPU of the index on the first open (0032).
    stmt = (
        select(*columns)
        .select_from(_DEADLINE)
        .join(_CASE, Case.id == Deadline.case_id)
        .where(
            Deadline.met_at.is_(None),
            Deadline.due_utc >= now,
            Deadline.due_utc < starts[-1].astimezone(UTC),
            _owing(),
        )
    )
    hinted = indexed_sql(
        stmt, session.get_bind().dialect, "case", "ix_case_id_status", after="JOIN"
    )
    row = session.execute(stmt if hinted is None else text(hinted)).one()
    return tuple(
        ObligationDay(starts[i], int(row[2 * i]), int(row[2 * i + 1])) for i in range(days)
    )


def triage_trend(session: Session, now: datetime | None = None) -> tuple[TrendPoint, ...]:
    """Median hours from opening to the first move into triage, per week of opening, for the
    cases opened in the last ``TREND_WEEKS`` weeks."""
    since = (now or utcnow()) - timedelta(weeks=TREND_WEEKS)
    opened: dict[str, datetime] = {}
    triaged: dict[str, datetime] = {}
    created = session.execute(  # index-only through ix_audit_event_action_at
        select(AuditEvent.case_key, AuditEvent.at).where(
            AuditEvent.action == "case.create", AuditEvent.at >= since
        )
    )
    for key, at in created:
        if key:
            at = _aware(at)
            opened[key] = min(at, opened.get(key, at))
    moved = session.execute(
        select(AuditEvent.case_key, AuditEvent.at, AuditEvent.details).where(
            AuditEvent.action == "case.transition", AuditEvent.at >= since
        )
    )
    for key, at, details in moved:
        if key in opened and (details or {}).get("to") == "triage":
            at = _aware(at)
            triaged[key] = min(at, triaged.get(key, at))
    weeks: dict[datetime, list[float]] = defaultdict(list)
    for key, start in opened.items():
        if key in triaged:
            day = start.astimezone(UTC).date()
            monday = datetime.combine(day - timedelta(days=day.weekday()), time(0), tzinfo=UTC)
            weeks[monday].append((triaged[key] - start).total_seconds() / 3600)
    return tuple(
        TrendPoint(week, float(statistics.median(hours)), len(hours))
        for week, hours in sorted(weeks.items())
    )


def per_analyst(
    session: Session, unassigned_label: str = "Unassigned", groups: list[_Group] | None = None
) -> Chart:
    """Open cases per analyst, with the unassigned ones as their own bar (they are work too)."""
    if groups is None:
        groups = _groups(session)
    per: dict[int | None, int] = defaultdict(int)
    for g in groups:
        per[g.assignee_id] += g.cases
    rows = list(per.items())
    names = dict(session.execute(select(Analyst.id, Analyst.name)).all())
    bars = [
        Bar(str(names.get(aid, aid)), int(n), f"assignee:{names.get(aid, aid)}")
        for aid, n in rows
        if aid is not None
    ]
    bars.sort(key=lambda b: (-b.value, b.label))
    unassigned = sum(int(n) for aid, n in rows if aid is None)
    if unassigned:
        bars.append(Bar(unassigned_label, unassigned, UNASSIGNED))
    return Chart("analyst", N_("Open cases per analyst"), tuple(bars))


def per_partner(session: Session) -> Chart:
    """Open cases per partner, driven from the open cases (a covering index on status) into
    the (case, partner) pair index, so no wide case row is read; names are joined after."""
    rows = session.execute(
        select(CasePartner.partner_id, func.count())
        .select_from(_CASE)
        .join(_CASE_PARTNER, CasePartner.case_id == Case.id)
        .where(_open())
        .group_by(CasePartner.partner_id)
    ).all()
    names = dict(session.execute(select(Partner.id, Partner.name)).all())
    bars = sorted(
        (Bar(str(names[pid]), int(n), f"partner:{names[pid]}") for pid, n in rows),
        key=lambda b: (-b.value, b.label),
    )
    return Chart("partner", N_("Open cases per partner"), tuple(bars))


@dataclass(frozen=True)
class CaseFigures:
    """The half of the dashboard read from the case indexes (see ``snapshot``)."""

    by_tier_status: StackedChart
    age: Chart
    per_analyst: Chart
    headline: Headline
    obligations: tuple[Obligation, ...]


@dataclass(frozen=True)
class OtherFigures:
    """The half read from partners, audit events and deadlines (see ``snapshot``)."""

    per_partner: Chart
    triage_trend: tuple[TrendPoint, ...]
    obligations_by_day: tuple[ObligationDay, ...]


def case_figures(
    session: Session, now: datetime, tz: str | None = None, unassigned_label: str = "Unassigned"
) -> CaseFigures:
    start, day_end = shift_start(session, now), end_of_day(now, tz)
    counts = _counts(session, now, day_end, start)
    return CaseFigures(
        by_tier_status(session, counts.groups),
        age_histogram(session, now, counts.ages),
        per_analyst(session, unassigned_label, counts.groups),
        _headline(counts, start, day_end),
        obligations(session, now),
    )


def other_figures(session: Session, now: datetime, tz: str | None = None) -> OtherFigures:
    return OtherFigures(
        per_partner(session), triage_trend(session, now), obligations_by_day(session, now, tz)
    )


def assemble(
    now: datetime, tz: str | None, cases_half: CaseFigures, other_half: OtherFigures
) -> Dashboard:
    return Dashboard(
        cases_half.by_tier_status,
        cases_half.age,
        cases_half.obligations,
        other_half.triage_trend,
        cases_half.per_analyst,
        other_half.per_partner,
        now,
        cases_half.headline,
        other_half.obligations_by_day,
        zone(tz).key,
    )


def snapshot(
    session: Session,
    now: datetime | None = None,
    tz: str | None = None,
    unassigned_label: str = "Unassigned",
) -> Dashboard:
    """Every figure of the dashboard, computed in one read; days end in the zone ``tz``.

    The two halves (``case_figures``, ``other_figures``) touch different indexes and cost
    about the same, so a caller with two connections may read them side by side (the
    dashboard screen does: on a fresh connection each half decrypts its own pages) and
    ``assemble`` them; each half is then consistent in itself."""
    now = _aware(now or utcnow())
    return assemble(
        now,
        tz,
        case_figures(session, now, tz, unassigned_label),
        other_figures(session, now, tz),
    )
