"""The audit chain's health as one report a screen can show: ``audit verify`` without the
exit code — counts of signed and unsigned events, the kept checkpoints, and, when the chain
does not verify, the first bad event named by its place, action, actor and time (never its
free text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import VerificationError
from app.identity import checkpoints
from app.identity.actor import Actor
from models import AuditCheckpoint, AuditEvent

_EVENT = re.compile(r"\bevent (\d+)\b")


@dataclass(frozen=True)
class BadEvent:
    """Where the chain first fails: the event's place and what it was, by name and id."""

    seq: int
    action: str | None
    actor: str | None
    at: datetime | None
    case: str | None


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    signed: int
    unsigned: int
    unchecked: int
    checkpoints: int
    last_checkpoint_at: datetime | None
    last_checkpoint_events: int | None
    problem: str | None = None
    bad: BadEvent | None = None


def _bad_event(session: Session, message: str) -> BadEvent | None:
    found = _EVENT.search(message)
    if found is None:
        return None
    seq = int(found.group(1))
    row = session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))
    if row is None:
        return BadEvent(seq, None, None, None, None)
    return BadEvent(seq, row.action, row.actor, row.at, row.case_key)


def check(session: Session) -> ChainReport:
    """Verify the chain and its checkpoints (``checkpoints.verify_workspace``) and report."""
    last = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
    ).first()
    kept = int(session.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0)
    last_at = last.at if last is not None else None
    last_events = last.seq if last is not None else None
    try:
        result, anchors = checkpoints.verify_workspace(session)
    except VerificationError as exc:
        message = str(exc)
        total = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
        # An event signed for its run (``signs_from``) vouches for the run's events too.
        vouched = func.coalesce(AuditEvent.seq - AuditEvent.signs_from + 1, 1)
        signed = int(
            session.scalar(
                select(func.coalesce(func.sum(vouched), 0)).where(AuditEvent.signature.is_not(None))
            )
            or 0
        )
        return ChainReport(
            False, total, signed, total - signed, 0, kept, last_at, last_events,
            problem=message, bad=_bad_event(session, message),
        )  # fmt: skip
    return ChainReport(
        True, result.events, result.signed, result.unsigned, result.unchecked, anchors,
        last_at, last_events,
    )  # fmt: skip


def checkpoint(session: Session, actor: Actor) -> int:
    """Sign the chain's head now (``audit checkpoint``); NotFound without an organisation key."""
    seq = checkpoints.create(session, actor, "on demand")
    assert seq is not None  # required=True raises instead of returning None
    return seq
