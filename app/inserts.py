"""Multi-row inserts that return the new rows' ids in row order, batched on every backend.

SQLAlchemy batches an ``INSERT … RETURNING`` of many rows ("insertmanyvalues"), but when the
ids must come back in row order (``sort_by_parameter_order``) it has no way to tell on SQLite
and falls back to one statement per row: about six statements per imported document. SQLite
gives a new row of a rowid table without AUTOINCREMENT the largest rowid plus one (the
documented algorithm, "ROWIDs and the INTEGER PRIMARY KEY"), so one statement's rows get
increasing ids in the order they are inserted: sorting the returned ids puts them in row order.
Other backends keep SQLAlchemy's ordered batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import Session


class IdsInOrder:
    """``run(session, rows)`` inserts ``rows`` (dicts) into ``table``, returning their ids in
    row order."""

    def __init__(self, table: Any) -> None:
        t: Table = table
        self.ordered: Insert = insert(t).returning(t.c.id, sort_by_parameter_order=True)
        self.batched: Insert = insert(t).returning(t.c.id)

    def run(self, session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        if session.get_bind().dialect.name != "sqlite":
            return list(session.scalars(self.ordered, rows))
        ids = sorted(session.scalars(self.batched, rows))
        if len(ids) != len(rows) or ids[-1] - ids[0] != len(ids) - 1:
            # Not one consecutive block (the rowid space is exhausted): no order to rely on.
            raise RuntimeError("inserted rows did not receive consecutive ids")
        return ids
