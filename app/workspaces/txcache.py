"""Values a session caches for one transaction: the audit chain's tail, the next case number
of a year, the deadline offset overrides.

They are true only while the transaction that read them holds the database: once it ends
(commit or rollback) another writer may move them on, and a rolled-back savepoint takes back
what was drawn from them. Both events drop every registered key from ``session.info``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_KEYS: set[str] = set()


def register(key: str) -> str:
    """Declare a ``session.info`` key as transaction-scoped; returns the key."""
    _KEYS.add(key)
    return key


def drop(session: Session) -> None:
    for key in _KEYS:
        session.info.pop(key, None)


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction, committed or rolled back
        drop(session)


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, _transaction: Any) -> None:
    drop(session)  # a savepoint too: what it drew from the cache was rolled back
