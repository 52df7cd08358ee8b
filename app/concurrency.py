"""Optimistic concurrency: a change is made against the version it read, or refused.

Every mutable aggregate carries ``row_version`` (SQLAlchemy's ``version_id_col``), so each
ORM UPDATE says ``WHERE id = :id AND row_version = :seen`` and a row changed meanwhile
raises ``StaleDataError`` at flush, whichever transaction the read happened in (pysqlite
reads outside the write transaction). Screens that show a version pass it back, and a
stale one is refused before anything is written. Both become a ``ConflictError`` naming
who changed the record and when, from the latest audit event.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.errors import ConflictError
from i18n import _
from models import AuditEvent


def conflict(
    session: Session,
    label: str,
    *,
    case_key: str | None = None,
    entity: str | None = None,
    entity_id: object = None,
) -> ConflictError:
    """The error for ``label`` (a case key, "handover 3"), naming the latest change to it.

    Rolls the session back first: its transaction is void, and a fresh one sees the
    winner's committed audit event."""
    session.rollback()
    q = select(AuditEvent.actor, AuditEvent.at)
    if case_key is not None:
        q = q.where(AuditEvent.case_key == case_key)
    else:
        q = q.where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
    row = session.execute(q.order_by(AuditEvent.seq.desc()).limit(1)).first()
    session.rollback()  # nothing of this read is kept
    if row is None:
        return ConflictError(
            _("{what} was changed by someone else; reload and try again").format(what=label)
        )
    return ConflictError(
        _("{what} was changed by {name} at {time}; reload and try again").format(
            what=label,
            name=row.actor,
            time=row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    )


@contextlib.contextmanager
def guarded(
    session: Session,
    label: str,
    *,
    case_key: str | None = None,
    entity: str | None = None,
    entity_id: object = None,
) -> Iterator[None]:
    """Run a change and flush it; a row someone else changed meanwhile is a ConflictError."""
    try:
        yield
        session.flush()
    except StaleDataError:
        raise conflict(
            session, label, case_key=case_key, entity=entity, entity_id=entity_id
        ) from None


def check_seen(
    session: Session,
    seen: int | None,
    current: int,
    label: str,
    *,
    case_key: str | None = None,
    entity: str | None = None,
    entity_id: object = None,
) -> None:
    """Refuse a change made against version ``seen`` (the one a screen showed) when the row
    is at ``current`` now; ``None``: the caller read it in this transaction."""
    if seen is not None and seen != current:
        raise conflict(session, label, case_key=case_key, entity=entity, entity_id=entity_id)


def hold_writer_lock(session: Session, key: int) -> None:
    """Serialise this transaction with every other one that takes ``key``, until it ends.

    For values read and then written on the strength of that read (the next case number):
    PostgreSQL takes the transaction-scoped advisory lock ``key``; SQLite, which has one
    writer lock, starts the write transaction now, as pysqlite would only at the first
    write, after another writer may have committed the same number."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    conn = session.connection()
    raw: Any = conn.connection.dbapi_connection
    if not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
