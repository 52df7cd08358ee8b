"""Saved queue filters for shift leads, as ``QueueQuery`` objects whose SQL stays in the database.

A filter spec is one or more terms joined by ``+``: a name (``mine``, ``unassigned``,
``due-24h``, ``overdue``, ``open``; ``watch``, ``watch-24h``, ``watch-overdue`` for obligations
other parties owe) or ``key:value`` (``jurisdiction:EU``, ``tier:High``,
``partner:NAME``, ``status:triage``, ``status:all``, ``assignee:NAME``). "Open" is
``app.casework.workflow.OPEN_STATES``, the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import cases, workflow
from app.casework.cases import parse_status
from app.errors import UsageError
from app.identity.actor import Actor, Permission
from app.queueing.queue import QueueQuery
from i18n import N_, _, ngettext
from models import Case, CasePartner, Deadline, Partner, utcnow
from models.cases import jurisdiction_pattern

CLOSED = workflow.CLOSED  # where no clock runs any more (the handover's and dashboard's name)
SAVED: tuple[tuple[str, str], ...] = (
    ("open", N_("All open cases")),
    ("mine", N_("My cases")),
    ("unassigned", N_("Unassigned")),
    ("due-24h", N_("Due within 24 hours")),
    ("overdue", N_("Overdue")),
    ("watch", N_("Watch: obligations others owe")),
)
# Obligations of other parties (a manufacturer's CRA report): tracked apart from ours.
WATCH_TERMS = ("watch", "watch-24h", "watch-overdue")
KEYED = ("jurisdiction", "tier", "partner", "status", "assignee")
ALL_STATES = "all"  # status:all — every state, also where a term implies open ones
# Terms that bring the open states with them (a deadline filter is about work still to do).
_IMPLY_OPEN = ("unassigned", "due-24h", "overdue")


@dataclass(frozen=True)
class FilterSpec:
    """A parsed filter: its normalised name and the query it stands for."""

    name: str
    query: QueueQuery


def _open() -> ColumnElement[bool]:
    return workflow.is_open()


def _term(term: str, now: datetime) -> tuple[dict[str, object], list[ColumnElement[bool]]]:
    """One term's query fields (``statuses``, ``assignee``, ``sort``) and extra SQL conditions;
    a condition that no combo box can show is named in ``terms``."""
    name, sep, value = term.partition(":")
    name = name.strip().lower()
    value = value.strip()
    opened = workflow.open_values()
    if not sep:
        if name == "mine":
            return {"assignee": "me"}, []
        if name == "unassigned":
            return {"assignee": "unassigned", "statuses": opened}, []
        if name in ("due-24h", "due"):
            return {"sort": "next_deadline", "statuses": opened, "terms": "due-24h"}, [
                Case.next_deadline_utc >= now,
                Case.next_deadline_utc <= now + timedelta(hours=24),
            ]
        if name == "overdue":
            return {"sort": "next_deadline", "statuses": opened, "terms": "overdue"}, [
                Case.next_deadline_utc < now
            ]
        if name == "open":
            return {"statuses": opened}, []
        if name in WATCH_TERMS:
            return {"statuses": opened, "terms": name}, [Case.id.in_(_watched(name, now))]
    elif value:
        if name == "jurisdiction":
            code = value.upper()
            # The case's own and its deadline rules' codes, kept on the case row (migration
            # 0030): tested inside the index the sort walks, with no join over two tables.
            return {"terms": f"jurisdiction:{code}"}, [
                Case.jurisdictions_label.contains(jurisdiction_pattern(code), autoescape=True)
            ]
        if name == "tier":
            if value.lower() == "none":
                return {"terms": "tier:none"}, [Case.tier.is_(None)]
            return {"terms": f"tier:{value.capitalize()}"}, [Case.tier == value.capitalize()]
        if name == "partner":
            # ``id + 0``: the id tested against the partner's set while the deadline index is
            # walked in order (SQLite otherwise fetches each matching wide row and sorts).
            return {"terms": f"partner:{value}"}, [
                (Case.id + 0).in_(
                    select(CasePartner.case_id)
                    .join(Partner, Partner.id == CasePartner.partner_id)
                    .where(Partner.name == value)
                )
            ]
        if name == "status":
            if value.lower() == ALL_STATES:
                return {"all": True}, []
            return {"statuses": (parse_status(value).value,)}, []
        if name == "assignee":
            return {"assignee": value}, []
    raise UsageError(
        _("unknown filter {term}; use {names} or {keys} as KEY:VALUE").format(
            term=term, names=", ".join(n for n, _label in SAVED), keys=", ".join(KEYED)
        )
    )


def _watched(name: str, now: datetime) -> Select[int]:
    """Cases with an open obligation that another party owes (due in 24 h, or overdue)."""
    conds: list[ColumnElement[bool]] = [
        Deadline.owed_by != "this-cert",
        Deadline.met_at.is_(None),
        Deadline.state.in_(("pending", "due-soon", "overdue")),
    ]
    if name == "watch-24h":
        conds += [Deadline.due_utc >= now, Deadline.due_utc <= now + timedelta(hours=24)]
    elif name == "watch-overdue":
        conds.append(Deadline.due_utc < now)
    return select(Deadline.case_id).where(*conds)


def parse(spec: str, now: datetime | None = None) -> FilterSpec:
    """Turn ``mine+overdue`` or ``tier:High+status:triage`` into one ``QueueQuery``.

    States narrow each other (``open+status:triage`` is triage); ``status:all`` lifts them."""
    now = now or utcnow()
    terms = [t for t in spec.split("+") if t.strip()]
    if not terms:
        raise UsageError(_("an empty filter"))
    fields: dict[str, object] = {}
    extra: list[ColumnElement[bool]] = []
    named: list[str] = []
    statuses: tuple[str, ...] | None = None
    every_state = False
    for t in terms:
        f, conds = _term(t, now)
        if f.pop("all", False):
            every_state = True
        wanted = f.pop("statuses", None)
        if isinstance(wanted, tuple):
            statuses = wanted if statuses is None else tuple(x for x in statuses if x in wanted)
        term_name = f.pop("terms", None)
        if isinstance(term_name, str) and term_name not in named:
            named.append(term_name)
        fields.update(f)
        extra.extend(conds)
    if every_state:
        statuses = ()
    elif statuses == ():
        extra.append(false())  # states that exclude each other: nothing matches
    query = QueueQuery(
        statuses=statuses or (),
        assignee=fields.get("assignee"),  # type: ignore[arg-type]
        # Saved filters show work first, like the queue's default view.
        sort=str(fields.get("sort", "next_deadline")),
        extra=tuple(extra),
        terms=tuple(named),
    )
    return FilterSpec("+".join(t.strip() for t in terms), query)


def spec_of(query: QueueQuery) -> str:
    """The filter spec a query stands for (the inverse of ``parse`` for what it can express):
    ``open``, ``unassigned``, ``overdue+status:triage``, ``tier:High+mine``; "" for everything."""
    parts = list(query.terms)
    states = set(query.statuses)
    opened = set(workflow.open_values())
    implied = any(t in _IMPLY_OPEN or t in WATCH_TERMS for t in parts)
    assignee = query.assignee
    if assignee == "unassigned" and states == opened:
        parts.append("unassigned")
        implied = True
    elif assignee == "unassigned":
        parts.append("assignee:unassigned")
    elif assignee == "me":
        parts.append("mine")
    elif assignee:
        parts.append(f"assignee:{assignee}")
    if states == opened:
        if not implied:
            parts.insert(0, "open")
    elif len(states) == 1:
        parts.insert(0, f"status:{next(iter(states))}")
    elif not states and implied:
        parts.insert(0, f"status:{ALL_STATES}")
    return "+".join(parts)


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
    """ "overdue 3 d", "due in 5 h", "due in 40 min": the queue's readable countdown, in the
    largest unit that still says enough (days from two days on, hours from one hour on)."""
    if due is None:
        return ""
    now = now or utcnow()
    seconds = int((due - now).total_seconds())
    span = abs(seconds)
    if span >= 2 * 86400:
        n = span // 86400
        late = ngettext("overdue {n} d", "overdue {n} d", n)
        soon = ngettext("due in {n} d", "due in {n} d", n)
    elif span >= 3600:
        n = span // 3600
        late = ngettext("overdue {n} h", "overdue {n} h", n)
        soon = ngettext("due in {n} h", "due in {n} h", n)
    else:
        n = max(span // 60, 1)
        late = ngettext("overdue {n} min", "overdue {n} min", n)
        soon = ngettext("due in {n} min", "due in {n} min", n)
    return (late if seconds < 0 else soon).format(n=n)


def urgency(due: datetime | None, now: datetime | None = None) -> str:
    """The queue's colour scale: ``overdue``, ``due-24h`` (within a day), ``later`` or ""."""
    if due is None:
        return ""
    left = (due - (now or utcnow())).total_seconds()
    if left < 0:
        return "overdue"
    return "due-24h" if left <= 86400 else "later"


def is_overdue(due: datetime | None, now: datetime | None = None) -> bool:
    return due is not None and due < (now or utcnow())
