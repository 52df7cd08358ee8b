"""The case workflow: which transitions are allowed. Every transition carries a reason."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from models import CaseStatus as S
from models import schema

ALLOWED: dict[S, tuple[S, ...]] = {
    S.NEW: (S.TRIAGE, S.NEEDS_INFO, S.DUPLICATE, S.REJECTED),
    S.TRIAGE: (S.ACCEPTED, S.NEEDS_INFO, S.DUPLICATE, S.REJECTED),
    S.ACCEPTED: (S.COORDINATING, S.DUPLICATE, S.REJECTED),
    S.COORDINATING: (S.REMEDIATION, S.NEEDS_INFO, S.DUPLICATE),
    S.REMEDIATION: (S.DISCLOSED, S.COORDINATING),
    S.DISCLOSED: (S.CLOSED,),
    S.CLOSED: (S.TRIAGE,),
    S.NEEDS_INFO: (S.TRIAGE, S.REJECTED),
    S.DUPLICATE: (S.TRIAGE, S.CLOSED),
    S.REJECTED: (S.TRIAGE, S.CLOSED),
}

# The one definition of an open case: work still to do before disclosure. The queue's
# default view and status filter, the saved filter "open", the dashboard and the CLI use it.
OPEN_STATES = frozenset({S.NEW, S.TRIAGE, S.ACCEPTED, S.COORDINATING, S.REMEDIATION, S.NEEDS_INFO})
# Where no clock runs any more; a disclosed case is not open, but may still owe a report.
ENDED_STATES = frozenset({S.CLOSED, S.DUPLICATE, S.REJECTED})
# The same, in workflow order: for SQL ``IN`` lists (the deadline engine, queue, dashboard).
CLOSED = tuple(s for s in S if s in ENDED_STATES)


def open_values() -> tuple[str, ...]:
    """The open states' values in workflow order (for ``QueueQuery.statuses``)."""
    return tuple(s.value for s in S if s in OPEN_STATES)


def is_open() -> ColumnElement[bool]:
    """SQL: the case is open (see ``OPEN_STATES``)."""
    # The table's column, which the ORM class maps: importing this module loads no ORM.
    return schema.case.c.status.in_([s for s in S if s in OPEN_STATES])


def allowed_from(state: S) -> tuple[S, ...]:
    return ALLOWED[state]


def is_allowed(src: S, dst: S) -> bool:
    return dst in ALLOWED[src]
