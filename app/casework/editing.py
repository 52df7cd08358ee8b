"""The one way a case is changed here: read at a version, changed, flushed, audited."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import cases
from app.concurrency import check_seen, guarded
from app.identity.actor import Actor
from app.queueing import search
from models import Case, utcnow


@contextlib.contextmanager
def edit(session: Session, key: str, expected_version: int | None = None) -> Iterator[Case]:
    """The case ``key`` to change. Its version moves on (so a screen showing the old one is
    refused), and a concurrent change is a ConflictError, never a lost update."""
    case = cases.get_case(session, key)
    check_seen(session, expected_version, case.row_version, case.key, case_key=case.key)
    with guarded(session, case.key, case_key=case.key):
        yield case
        case.updated_at = utcnow()


def record(
    session: Session, actor: Actor, case: Case, action: str, details: dict[str, Any]
) -> None:
    """An audit event on the case (ids and states; free text under FREE_TEXT keys)."""
    audit.record(session, actor, action, "case", case.id, case_key=case.key, details=details)


def reindex(session: Session, case: Case) -> None:
    """Identifiers and products are searched: keep the case's search document current."""
    session.flush()
    search.reindex(session, case)
