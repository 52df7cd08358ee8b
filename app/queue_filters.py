"""Saved queue filters for shift leads, as ``QueueQuery`` objects whose SQL stays in the database.

A filter spec is one or more terms joined by ``+``: a name (``mine``, ``unassigned``,
``due-24h``, ``overdue``, ``open``) or ``key:value`` (``jurisdiction:EU``, ``tier:High``,
``partner:NAME``, ``status:triage``, ``assignee:NAME``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, union
from sqlalchemy.orm import Session

from app import audit, cases
from app.actor import Actor, Permission
from app.cases import parse_status
from app.errors import UsageError
from app.queue import QueueQuery
from i18n import N_, _, ngettext
from models import Case, CaseJurisdiction, CasePartner, CaseStatus, Deadline, Partner, utcnow

CLOSED = (CaseStatus.CLOSED, CaseStatus.DUPLICATE, CaseStatus.REJECTED)
SAVED: tuple[tuple[str, str], ...] = (
    ("mine", N_("My cases")),
    ("unassigned", N_("Unassigned")),
    ("due-24h", N_("Due within 24 hours")),
    ("overdue", N_("Overdue")),
    ("open", N_("All open cases")),
)
KEYED = ("jurisdiction", "tier", "partner", "status", "assignee")


@dataclass(frozen=True)
class FilterSpec:
    """A parsed filter: its normalised name and the query it stands for."""

    name: str
    query: QueueQuery


def _open() -> ColumnElement[bool]:
    return Case.status.not_in(CLOSED)


def _term(term: str, now: datetime) -> tuple[dict[str, object], list[ColumnElement[bool]]]:
    name, sep, value = term.partition(":")
    name = name.strip().lower()
    value = value.strip()
    if not sep:
        if name == "mine":
            return {"assignee": "me"}, []
        if name == "unassigned":
            return {"assignee": "unassigned"}, [_open()]
        if name in ("due-24h", "due"):
            return {"sort": "next_deadline"}, [
                _open(),
                Case.next_deadline_utc >= now,
                Case.next_deadline_utc <= now + timedelta(hours=24),
            ]
        if name == "overdue":
            return {"sort": "next_deadline"}, [_open(), Case.next_deadline_utc < now]
        if name == "open":
            return {}, [_open()]
    elif value:
        if name == "jurisdiction":
            code = value.upper()
            # One set of ids (both indexed by code), not two IN tests OR-ed row by row.
            return {}, [
                Case.id.in_(
                    union(
                        select(CaseJurisdiction.case_id).where(CaseJurisdiction.code == code),
                        select(Deadline.case_id).where(Deadline.jurisdiction == code),
                    )
                )
            ]
        if name == "tier":
            if value.lower() == "none":
                return {}, [Case.tier.is_(None)]
            return {}, [Case.tier == value.capitalize()]
        if name == "partner":
            return {}, [
                Case.id.in_(
                    select(CasePartner.case_id)
                    .join(Partner, Partner.id == CasePartner.partner_id)
                    .where(Partner.name == value)
                )
            ]
        if name == "status":
            return {}, [Case.status == parse_status(value)]
        if name == "assignee":
            return {"assignee": value}, []
    raise UsageError(
        _("unknown filter {term}; use {names} or {keys} as KEY:VALUE").format(
            term=term, names=", ".join(n for n, _label in SAVED), keys=", ".join(KEYED)
        )
    )


def parse(spec: str, now: datetime | None = None) -> FilterSpec:
    """Turn ``mine+overdue`` or ``tier:High+status:triage`` into one ``QueueQuery``."""
    now = now or utcnow()
    terms = [t for t in spec.split("+") if t.strip()]
    if not terms:
        raise UsageError(_("an empty filter"))
    fields: dict[str, object] = {}
    extra: list[ColumnElement[bool]] = []
    for t in terms:
        f, conds = _term(t, now)
        fields.update(f)
        extra.extend(conds)
    query = QueueQuery(
        assignee=fields.get("assignee"),  # type: ignore[arg-type]
        sort=str(fields.get("sort", "id")),
        extra=tuple(extra),
    )
    return FilterSpec("+".join(t.strip() for t in terms), query)


def bulk_assign(
    session: Session, actor: Actor, keys: Sequence[str], analyst: str | None
) -> dict[str, str | None]:
    """Assign many cases in one transaction; returns each case's previous assignee (for undo)."""
    actor.require(Permission.ASSIGN_OTHERS)
    if not keys:
        raise UsageError(_("no cases to assign"))
    previous = {k: cases.assign(session, actor, k, analyst) for k in keys}
    audit.record(
        session,
        actor,
        "queue.bulk-assign",
        "case",
        len(keys),
        details={"cases": sorted(previous), "to": analyst},
    )
    return previous


def restore_assignees(session: Session, actor: Actor, previous: dict[str, str | None]) -> None:
    """Undo a bulk assignment: give each case back its previous assignee."""
    actor.require(Permission.ASSIGN_OTHERS)
    for key, name in previous.items():
        cases.assign(session, actor, key, name)
    audit.record(
        session,
        actor,
        "queue.bulk-assign.undo",
        "case",
        len(previous),
        details={"cases": sorted(previous)},
    )


def countdown(due: datetime | None, now: datetime | None = None) -> str:
    """ "in 2 d 3 h", "in 45 min" or "overdue by 5 h": the queue's next-deadline countdown."""
    if due is None:
        return ""
    now = now or utcnow()
    delta = due - now
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _("{d} d {h} h").format(d=days, h=hours)
    elif hours:
        span = _("{h} h {m} min").format(h=hours, m=minutes)
    else:
        span = ngettext("{m} minute", "{m} minutes", minutes).format(m=minutes)
    if delta.total_seconds() < 0:
        return _("overdue by {span}").format(span=span)
    return _("in {span}").format(span=span)


def is_overdue(due: datetime | None, now: datetime | None = None) -> bool:
    return due is not None and due < (now or utcnow())
