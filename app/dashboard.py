"""Shift-lead dashboard figures, aggregated with pandas; each bar carries the queue filter it
stands for, so clicking it can open the queue filtered to it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import workflow
from app.cases import TIER_RANK
from app.queue_filters import CLOSED
from i18n import N_
from models import Analyst, AuditEvent, Case, CasePartner, Deadline, Partner, utcnow

UNSCORED = "Unscored"
AGE_BINS = (0, 7, 14, 30, 60, 90, 365, 100_000)
TIERS = [*sorted(TIER_RANK, key=lambda t: -TIER_RANK[t]), UNSCORED]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    filter: str  # a queue filter spec (app.queue_filters), "" when a bar has none


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


@dataclass(frozen=True)
class TrendPoint:
    week: datetime
    median_hours: float
    cases: int


@dataclass(frozen=True)
class Dashboard:
    by_tier_status: StackedChart
    age: Chart
    obligations: tuple[Obligation, ...]
    triage_trend: tuple[TrendPoint, ...]
    per_analyst: Chart
    per_partner: Chart
    now: datetime


def _open_cases(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Case.id, Case.tier, Case.status, Case.created_at).where(workflow.is_open())
    ).all()
    df = pd.DataFrame(rows, columns=["id", "tier", "status", "created_at"])
    df["tier"] = df["tier"].fillna(UNSCORED)
    df["status"] = df["status"].map(lambda s: s.value)
    return df


def by_tier_status(session: Session) -> StackedChart:
    df = _open_cases(session)
    pivot = pd.crosstab(df["status"], df["tier"]) if len(df) else pd.DataFrame()
    tiers = tuple(t for t in TIERS if t in pivot.columns)
    statuses = tuple(str(s) for s in pivot.index)
    values = tuple(tuple(int(pivot.at[s, t]) for t in tiers) for s in statuses)
    return StackedChart("tier_status", N_("Open cases by tier and status"), tiers, statuses, values)


def age_histogram(session: Session, now: datetime) -> Chart:
    df = _open_cases(session)
    ages = (now - pd.to_datetime(df["created_at"], utc=True)).dt.total_seconds() / 86400
    labels = [f"{a}–{b}" if b < 100_000 else f"{a}+" for a, b in itertools.pairwise(AGE_BINS)]
    counts = pd.cut(ages, bins=list(AGE_BINS), labels=labels, right=False).value_counts()
    return Chart(
        "age",
        N_("Case age (days)"),
        tuple(Bar(lab, int(counts.get(lab, 0)), "open") for lab in labels),
    )


def obligations(session: Session, now: datetime, days: int = 7) -> tuple[Obligation, ...]:
    rows = session.execute(
        select(
            Case.key, Deadline.rule_id, Deadline.jurisdiction, Deadline.due_utc, Deadline.binding
        )
        .join(Case, Case.id == Deadline.case_id)
        .where(
            Deadline.met_at.is_(None),
            Deadline.due_utc >= now,
            Deadline.due_utc <= now + timedelta(days=days),
            Case.status.not_in(CLOSED),
        )
        .order_by(Deadline.due_utc)
    ).all()
    return tuple(Obligation(k, r, j, d, b) for k, r, j, d, b in rows if d is not None)


def triage_trend(session: Session) -> tuple[TrendPoint, ...]:
    """Median hours from opening to the first move into triage, per week of opening."""
    rows = session.execute(
        select(AuditEvent.case_key, AuditEvent.action, AuditEvent.at, AuditEvent.details)
        .where(
            AuditEvent.action.in_(("case.create", "case.transition")),
            AuditEvent.case_key.is_not(None),
        )
        .order_by(AuditEvent.seq)
    ).all()
    if not rows:
        return ()
    df = pd.DataFrame(rows, columns=["case", "action", "at", "details"])
    df["at"] = pd.to_datetime(df["at"], utc=True)
    opened = df[df["action"] == "case.create"].groupby("case")["at"].min()
    to_triage = df[
        (df["action"] == "case.transition") & df["details"].map(lambda d: d.get("to") == "triage")
    ]
    triaged = to_triage.groupby("case")["at"].min()
    both = pd.concat([opened.rename("opened"), triaged.rename("triaged")], axis=1).dropna()
    if both.empty:
        return ()
    both["hours"] = (both["triaged"] - both["opened"]).dt.total_seconds() / 3600
    both["week"] = (
        both["opened"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    )
    weekly = both.groupby("week")["hours"].agg(["median", "count"]).sort_index()
    return tuple(
        TrendPoint(week.to_pydatetime().replace(tzinfo=UTC), float(r["median"]), int(r["count"]))
        for week, r in weekly.iterrows()
    )


def per_analyst(session: Session) -> Chart:
    rows = session.execute(
        select(Analyst.name, func.count(Case.id))
        .join(Case, Case.assignee_id == Analyst.id)
        .where(workflow.is_open())
        .group_by(Analyst.name)
    ).all()
    df = pd.DataFrame(rows, columns=["name", "n"]).sort_values(
        ["n", "name"], ascending=[False, True]
    )
    return Chart(
        "analyst",
        N_("Open cases per analyst"),
        tuple(Bar(str(r.name), int(r.n), f"assignee:{r.name}") for r in df.itertuples()),
    )


def per_partner(session: Session) -> Chart:
    rows = session.execute(
        select(Partner.name, func.count(CasePartner.case_id))
        .join(CasePartner, CasePartner.partner_id == Partner.id)
        .join(Case, Case.id == CasePartner.case_id)
        .where(workflow.is_open())
        .group_by(Partner.name)
    ).all()
    df = pd.DataFrame(rows, columns=["name", "n"]).sort_values(
        ["n", "name"], ascending=[False, True]
    )
    return Chart(
        "partner",
        N_("Open cases per partner"),
        tuple(Bar(str(r.name), int(r.n), f"partner:{r.name}") for r in df.itertuples()),
    )


def snapshot(session: Session, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard, computed in one read."""
    now = now or utcnow()
    return Dashboard(
        by_tier_status(session),
        age_histogram(session, now),
        obligations(session, now),
        triage_trend(session),
        per_analyst(session),
        per_partner(session),
        now,
    )
