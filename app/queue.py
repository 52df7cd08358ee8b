"""The case queue: filtering, sorting and search in SQL, and paged row fetches by id.

The Qt model holds only the ordered ids (one statement) and asks for visible rows in one
``WHERE id IN (...)`` query, so 200,000 cases stay smooth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from app import search
from app.actor import Actor
from i18n import N_
from models import Analyst, Case, CaseStatus

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("Case")),
    ("title", N_("Title")),
    ("status", N_("Status")),
    ("tier", N_("Tier")),
    ("assignee", N_("Assignee")),
    ("next_deadline", N_("Next deadline")),
    ("age", N_("Age")),
    ("partners", N_("Partners")),
)
COLUMN_KEYS = tuple(k for k, _label in COLUMNS)

# Each sort walks one index in order (models/cases.py); ties fall back to the case id.
_SORT = {
    "id": (Case.year, Case.number),
    "title": (Case.title,),
    "status": (Case.status, Case.year, Case.number),
    "tier": (Case.tier_rank,),
    "assignee": (Analyst.name,),
    "next_deadline": (Case.next_deadline_utc,),
    "age": (Case.created_at,),
    "partners": (Case.partners_label,),
}


@dataclass(frozen=True)
class QueueQuery:
    statuses: tuple[str, ...] = ()
    assignee: str | None = None  # a name, "me" or "unassigned"
    text: str = ""
    sort: str = "id"
    descending: bool = False
    extra: tuple[ColumnElement[bool], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class QueueRow:
    id: int
    key: str
    title: str
    status: str
    tier: str | None
    assignee: str | None
    next_deadline_utc: datetime | None
    created_at: datetime
    partners: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.key,
            "title": self.title,
            "status": self.status,
            "tier": self.tier,
            "assignee": self.assignee,
            "next_deadline_utc": (
                self.next_deadline_utc.isoformat() if self.next_deadline_utc else None
            ),
            "created_at": self.created_at.isoformat(),
            "partners": [p for p in self.partners.split(", ") if p],
        }


def _where(session: Session, q: QueueQuery, actor: Actor | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = list(q.extra)
    if q.statuses:
        conds.append(Case.status.in_([CaseStatus(s) for s in q.statuses]))
    if q.assignee == "unassigned":
        conds.append(Case.assignee_id.is_(None))
    elif q.assignee == "me" and actor is not None:
        conds.append(Case.assignee_id == actor.id)
    elif q.assignee:
        aid = session.scalar(select(Analyst.id).where(Analyst.name == q.assignee))
        conds.append(Case.assignee_id == (aid if aid is not None else -1))
    match = search.case_filter(session.get_bind().dialect.name, q.text)
    if match is not None:
        conds.append(match)
    return conds


def _ordered(stmt: Select[tuple[int]], q: QueueQuery) -> Select[tuple[int]]:
    if q.sort not in _SORT:
        raise ValueError(f"unknown sort column {q.sort}")
    if q.sort == "assignee":
        stmt = stmt.outerjoin(Analyst, Analyst.id == Case.assignee_id)
    order: list[Any] = []
    for c in _SORT[q.sort]:
        o = c.desc() if q.descending else c.asc()
        # NULLS LAST only where NULLs exist: on a NOT NULL column it would make SQLite sort
        # instead of walking the index.
        order.append(o.nulls_last() if c.nullable else o)
    order.append(Case.id.desc() if q.descending else Case.id.asc())
    return stmt.order_by(*order)


def _fetch(session: Session, stmt: Select[Any]) -> list[int]:
    """The ids of ``stmt`` in its order. SQLite hands them over as one string, PostgreSQL as
    one array: 200,000 rows through the driver one at a time cost several times the query."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The aggregate keeps the order of its input (an ordered subquery, no join above it).
        inner_pg = stmt.subquery()
        found_pg = session.execute(select(func.array_agg(inner_pg.c.id))).scalar()
        return list(found_pg or [])
    if dialect != "sqlite":
        return list(session.scalars(stmt))
    # The LIMIT keeps SQLite from dropping the subquery's ORDER BY.
    inner = stmt.limit(-1).subquery()
    joined = session.execute(select(func.group_concat(inner.c.id))).scalar()
    found: list[int] = json.loads(f"[{joined}]") if joined else []
    return found


def ids(session: Session, q: QueueQuery, actor: Actor | None = None) -> list[int]:
    """Every matching case id in display order: one statement gives both count and order."""
    conds = _where(session, q, actor)
    if q.sort == "assignee":
        return _ids_by_assignee(session, q, conds)
    stmt = _ordered(select(Case.id), q)
    if conds:
        stmt = stmt.where(and_(*conds))
    return _fetch(session, stmt)


def _ids_by_assignee(
    session: Session, q: QueueQuery, conds: list[ColumnElement[bool]]
) -> list[int]:
    """By assignee name, unassigned last: one index walk per analyst (they are few) instead
    of sorting every case by a joined name. Same order as ``ORDER BY name, id``."""
    order = list(session.scalars(select(Analyst.id).order_by(Analyst.name, Analyst.id)))
    if q.descending:
        order.reverse()
    by_id = Case.id.desc() if q.descending else Case.id.asc()
    out: list[int] = []
    for group in [*(Case.assignee_id == a for a in order), Case.assignee_id.is_(None)]:
        out += _fetch(session, select(Case.id).where(group, *conds).order_by(by_id))
    return out


def rows(session: Session, case_ids: Sequence[int]) -> dict[int, QueueRow]:
    """The rows for a window of ids, in one query."""
    if not case_ids:
        return {}
    stmt = (
        select(
            Case.id,
            Case.key,
            Case.title,
            Case.status,
            Case.tier,
            Analyst.name,
            Case.next_deadline_utc,
            Case.created_at,
            Case.partners_label,
        )
        .outerjoin(Analyst, Analyst.id == Case.assignee_id)
        .where(Case.id.in_(list(case_ids)))
    )
    out = {}
    for r in session.execute(stmt):
        out[r[0]] = QueueRow(r[0], r[1], r[2], r[3].value, r[4], r[5], r[6], r[7], r[8] or "")
    return out


def page(
    session: Session, q: QueueQuery, actor: Actor | None = None, limit: int = 100
) -> list[QueueRow]:
    """The first ``limit`` rows of a query, for the CLI."""
    first = ids(session, q, actor)[:limit]
    found = rows(session, first)
    return [found[i] for i in first]
