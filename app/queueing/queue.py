"""The case queue: filtering, sorting and search in SQL, and paged row fetches by id.

The Qt model holds only the ordered ids (one statement) and asks for visible rows in one
``WHERE id IN (...)`` query, so 200,000 cases stay smooth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, select, text
from sqlalchemy.engine import Dialect

from app import tlp
from app.casework import workflow
from app.identity.actor import Actor
from app.workspaces.sqlite_index import indexed_sql
from i18n import N_
from models import CaseStatus, schema

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    # What the queue reads through: an ORM session (the GUI) or a Core connection (`accord
    # cases list`, which loads no ORM at all: see models/schema.py).
    Reader = Session | Connection

# The queue reads columns of two tables, through Core: an ORM attribute in a statement makes it
# configure the mappers, which declares every model first (models/__init__.py), and needs the
# ORM loaded, a good part of `accord cases list`. So here ``Case`` and ``Analyst`` are the
# tables' columns (Case.id is a Column; join with _ANALYSTS), not the ORM classes; the ORM
# classes map these same tables. Saved filters (QueueQuery.extra) and text search may still
# be ORM expressions.
Case = schema.case.c
_ANALYSTS = schema.analyst  # a join target
Analyst = _ANALYSTS.c

# The key columns come first, so they stay visible on a 1366 px screen.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("Case")),
    ("title", N_("Title")),
    ("status", N_("Status")),
    ("tier", N_("Tier")),
    ("next_deadline", N_("Next deadline")),
    ("assignee", N_("Assignee")),
    ("tlp", N_("TLP")),
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
# TLP (the higher of a case's own label and a received floor) has no index: not sortable.
SORTABLE = tuple(k for k in COLUMN_KEYS if k in _SORT)


@dataclass(frozen=True)
class QueueQuery:
    statuses: tuple[str, ...] = ()
    assignee: str | None = None  # a name, "me" or "unassigned"
    text: str = ""
    sort: str = "id"
    descending: bool = False
    extra: tuple[ColumnElement[bool], ...] = field(default=(), compare=False)
    terms: tuple[str, ...] = ()  # the saved-filter terms ``extra`` stands for (for display)


def default_query() -> QueueQuery:
    """What the queue opens on: the open cases, next binding deadline first (overdue on top)."""
    return QueueQuery(statuses=workflow.open_values(), sort="next_deadline")


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
    tlp: str = "CLEAR"

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
            "tlp": self.tlp,
        }


def _dialect(session: Reader) -> Dialect:
    return session.dialect if isinstance(session, Connection) else session.get_bind().dialect


def _where(session: Reader, q: QueueQuery, actor: Actor | None) -> list[ColumnElement[bool]]:
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
    if q.text:
        from app.queueing import search  # here: its statements declare the report models

        match = search.case_filter(_dialect(session).name, q.text)
        if match is not None:
            conds.append(match)
    return conds


def _ordered(stmt: Select[tuple[int]], q: QueueQuery) -> Select[tuple[int]]:
    if q.sort not in _SORT:
        raise ValueError(f"unknown sort column {q.sort}")
    if q.sort == "assignee":
        stmt = stmt.outerjoin(_ANALYSTS, Analyst.id == Case.assignee_id)
    order: list[Any] = []
    for c in _SORT[q.sort]:
        o = c.desc() if q.descending else c.asc()
        # NULLS LAST only where NULLs exist: on a NOT NULL column it would make SQLite sort
        # instead of walking the index.
        order.append(o.nulls_last() if c.nullable else o)
    order.append(Case.id.desc() if q.descending else Case.id.asc())
    return stmt.order_by(*order)


def _fetch(session: Reader, stmt: Select[Any]) -> list[int]:
    """The ids of ``stmt`` in its order. SQLite hands them over as one string, PostgreSQL as
    one array: 200,000 rows through the driver one at a time cost several times the query."""
    dialect = _dialect(session).name
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


def ids(session: Reader, q: QueueQuery, actor: Actor | None = None) -> list[int]:
    """Every matching case id in display order: one statement gives both count and order."""
    conds = _where(session, q, actor)
    if q.sort == "assignee":
        return _ids_by_assignee(session, q, conds)
    if q.sort == "next_deadline":
        return _ids_by_deadline(session, q, conds)
    stmt = _ordered(select(Case.id), q)
    if conds and _dialect(session).name == "sqlite" and not q.text.strip():
        if _plain(q) and q.sort in _SORT_INDEX:
            # Only states narrow it, and the sort's index carries them: one index-only walk.
            return _sqlite_through(session, stmt.where(and_(*conds)), _SORT_INDEX[q.sort])
        return _walk_and_keep(session, stmt, conds)
    if conds:
        stmt = stmt.where(and_(*conds))
    return _fetch(session, stmt)


def _walk_and_keep(
    session: Reader, ordered: Select[tuple[int]], conds: list[ColumnElement[bool]]
) -> list[int]:
    """Order from one index walk, membership from another. With ``status IN (…)`` SQLite
    would walk the sort column's index and read every wide row to test the state (seconds
    at 200,000 cases); both walks here read indexes only. Few matches sort directly."""
    wanted = set(_fetch(session, select(Case.id).where(and_(*conds))))
    if len(wanted) < SMALL:
        return _fetch(session, ordered.where(and_(*conds))) if wanted else []
    return [i for i in _fetch(session, ordered) if i in wanted]


SMALL = 2000  # below this many matches, one sorted query is cheaper than a full walk


def _ids_by_assignee(session: Reader, q: QueueQuery, conds: list[ColumnElement[bool]]) -> list[int]:
    """By assignee name, unassigned last: one index walk per analyst (they are few) instead
    of sorting every case by a joined name. Same order as ``ORDER BY name, id``."""
    order = list(session.scalars(select(Analyst.id).order_by(Analyst.name, Analyst.id)))
    if q.descending:
        order.reverse()
    by_id = Case.id.desc() if q.descending else Case.id.asc()
    groups = [*(Case.assignee_id == a for a in order), Case.assignee_id.is_(None)]
    out: list[int] = []
    if conds and _dialect(session).name == "sqlite" and _plain(q):
        # Only states narrow it: each analyst's part of ix_case_assignee, which carries them.
        for group in groups:
            part = select(Case.id).where(group, *conds).order_by(by_id)
            out += _sqlite_through(session, part, "ix_case_assignee")
        return out
    if conds and _dialect(session).name == "sqlite" and not q.text.strip():
        # As in _walk_and_keep: index-only walks, the states tested in Python.
        wanted = set(_fetch(session, select(Case.id).where(and_(*conds))))
        for group in groups:
            walk = _fetch(session, select(Case.id).where(group).order_by(by_id))
            out += [i for i in walk if i in wanted]
        return out
    for group in groups:
        out += _fetch(session, select(Case.id).where(group, *conds).order_by(by_id))
    return out


def _ids_by_deadline(session: Reader, q: QueueQuery, conds: list[ColumnElement[bool]]) -> list[int]:
    """By next deadline, cases without one last: two index walks (dated, then undated by id)
    instead of one sort, whose NULLS LAST no index serves. Same order as
    ``ORDER BY next_deadline_utc NULLS LAST, id``."""
    due = Case.next_deadline_utc
    by_id = Case.id.desc() if q.descending else Case.id.asc()
    dated = select(Case.id).where(due.is_not(None), *conds)
    dated = dated.order_by(due.desc() if q.descending else due.asc(), by_id)
    undated = select(Case.id).where(due.is_(None), *conds).order_by(by_id)
    if _dialect(session).name == "sqlite" and _plain(q):
        return _sqlite_by_deadline(session, q, dated=True) + _sqlite_by_deadline(
            session, q, dated=False
        )
    if _dialect(session).name == "sqlite" and not q.text.strip():
        # A saved filter: its condition (states, deadline range, jurisdiction, tier, partner
        # set) is tested on the index entries walked in order. With statistics SQLite walked
        # the undated part through the state index, reading each wide row, then sorted them.
        return _sqlite_through(session, dated) + _sqlite_through(session, undated)
    return _fetch(session, dated) + _fetch(session, undated)


_FILTER_INDEX = "ix_case_next_deadline_status"
# The index each sort walks on SQLite, every one ending in the state (models/cases.py). Named,
# because with a state filter SQLite's planner walks the state index and sorts what it finds
# (or walks the sort's index reading each wide row): twice the time at 200,000 cases.
_SORT_INDEX = {
    "id": "ix_case_key_order",
    "title": "ix_case_title",
    "status": "ix_case_status_key",
    "tier": "ix_case_tier_rank",
    "age": "ix_case_created",
    "partners": "ix_case_partners_label",
}


def _sqlite_through(session: Reader, stmt: Select[Any], index: str = _FILTER_INDEX) -> list[int]:
    """``stmt`` (case ids from "case", in its order) through ``index``; one whose values
    cannot be rendered runs as it is."""
    hinted = indexed_sql(stmt.limit(-1), _dialect(session), "case", index)
    if hinted is None:
        return _fetch(session, stmt)
    joined = session.execute(text(f"SELECT group_concat(id) FROM ({hinted})")).scalar()
    found: list[int] = json.loads(f"[{joined}]") if joined else []
    return found


def _sqlite_by_deadline(session: Reader, q: QueueQuery, *, dated: bool) -> list[int]:
    """One part (dated, or undated by id) through a named index. SQLite's planner walks
    ix_case_next_deadline and reads each wide row to check its state (about 1 s at 200,000
    cases); the covering (status, deadline) index needs no row. SQLAlchemy renders no SQLite
    index hint, hence text."""
    index = "ix_case_status_deadline" if q.statuses else "ix_case_next_deadline_status"
    way = "DESC" if q.descending else "ASC"
    where = "next_deadline_utc IS NOT NULL" if dated else "next_deadline_utc IS NULL"
    order = f"next_deadline_utc {way}, id {way}" if dated else f"id {way}"
    stmt = text(
        f'SELECT group_concat(id) FROM (SELECT id FROM "case" INDEXED BY {index} '
        f"WHERE {where}{' AND status IN :states' if q.statuses else ''} "
        f"ORDER BY {order} LIMIT -1)"
    )
    params: dict[str, object] = {}
    if q.statuses:
        states = Case.status.type
        stmt = stmt.bindparams(bindparam("states", expanding=True, type_=states))
        params["states"] = [CaseStatus(v) for v in q.statuses]
    joined = session.execute(stmt, params).scalar()
    found: list[int] = json.loads(f"[{joined}]") if joined else []
    return found


def _plain(q: QueueQuery) -> bool:
    """No search, assignee or saved-filter condition: only states (if any) narrow the query."""
    return not (q.text.strip() or q.assignee or q.extra)


def rows(session: Reader, case_ids: Sequence[int]) -> dict[int, QueueRow]:
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
            Case.tlp,
            Case.tlp_floor,
        )
        .outerjoin(_ANALYSTS, Analyst.id == Case.assignee_id)
        .where(Case.id.in_(list(case_ids)))
    )
    out = {}
    for r in session.execute(stmt):
        shown = tlp.highest(r[9], r[10])
        out[r[0]] = QueueRow(
            r[0], r[1], r[2], r[3].value, r[4], r[5], r[6], r[7], r[8] or "", shown
        )
    return out


def page(
    session: Reader, q: QueueQuery, actor: Actor | None = None, limit: int = 100
) -> list[QueueRow]:
    """The first ``limit`` rows of a query, for the CLI."""
    first = ids(session, q, actor)[:limit]
    found = rows(session, first)
    return [found[i] for i in first]
