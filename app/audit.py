"""The audit hash chain: append, verify, export. Events carry ids and states, never content."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from app import txcache
from app.actor import Actor
from app.errors import VerificationError
from models import AuditEvent, utcnow

GENESIS = "0" * 64
_TAIL = txcache.register("audit_tail")
_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT_EVENT = insert(_EVENTS)  # built once: a statement built per call costs more than its run
_CLOCK = "audit_clock"


def canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def as_dict(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "actor": ev.actor,
        "action": ev.action,
        "entity": ev.entity,
        "entity_id": ev.entity_id,
        "case": ev.case_key,
        "details": ev.details,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def _tail(session: Session) -> tuple[int, str]:
    cached = session.info.get(_TAIL)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders on a team server so the chain never forks.
        session.execute(text("SELECT pg_advisory_xact_lock(7263001)"))
    else:
        conn = session.connection()
        raw: Any = conn.connection.dbapi_connection
        if not raw.in_transaction:
            # pysqlite starts a transaction only at the first write: read the tail inside the
            # write transaction that appends to it, or another writer may append in between.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


@dataclass(frozen=True)
class Event:
    """One state change to append: what happened to which entity (ids, never content)."""

    action: str
    entity: str
    entity_id: object
    case_key: str | None = None
    details: dict[str, Any] | None = None
    at: datetime | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    case_key: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one event to the chain in the caller's transaction."""
    record_all(session, actor, [Event(action, entity, entity_id, case_key, details, at)])


def record_all(session: Session, actor: Actor, events: Iterable[Event]) -> None:
    """Append events to the chain, in order, with one insert.

    A Core insert, written at once: events only ever append and are read back by ``seq``, so
    the unit of work has nothing to track (intake records two for every document)."""
    seq, prev = _tail(session)
    now = session.info.get(_CLOCK) or utcnow()
    rows = []
    for e in events:
        seq += 1
        when = e.at or now
        body = {
            "seq": seq,
            "at": when.isoformat(),
            "actor": actor.name,
            "action": e.action,
            "entity": e.entity,
            "entity_id": str(e.entity_id),
            "case": e.case_key,
            "details": e.details or {},
            "prev_hash": prev,
        }
        prev = event_hash(body)
        rows.append(
            {
                "seq": seq,
                "at": when,
                "actor": actor.name,
                "action": e.action,
                "entity": e.entity,
                "entity_id": body["entity_id"],
                "case_key": e.case_key,
                "details": body["details"],
                "prev_hash": body["prev_hash"],
                "hash": prev,
            }
        )
    if rows:
        session.execute(_INSERT_EVENT, rows)
        session.info[_TAIL] = (seq, prev)


@contextlib.contextmanager
def clock(session: Session, at: datetime) -> Iterator[None]:
    """Date the events recorded inside the block at ``at`` (replaying dated history, e.g. the
    demo); the chain is hashed with that time from the start, nothing is rewritten."""
    previous = session.info.get(_CLOCK)
    session.info[_CLOCK] = at
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_CLOCK, None)
        else:
            session.info[_CLOCK] = previous


def forget_tail(session: Session) -> None:
    """Drop the cached chain tail (after a rollback, the cached tail is no longer true)."""
    session.info.pop(_TAIL, None)


@dataclass(frozen=True)
class VerifyResult:
    events: int
    last_hash: str


def verify_events(
    events: Iterable[dict[str, Any]], *, start_prev: str | None = None
) -> VerifyResult:
    """Check linkage and hashes; raise VerificationError naming the first bad event."""
    prev = start_prev
    expected_seq: int | None = None
    count = 0
    for ev in events:
        seq = ev.get("seq")
        if expected_seq is not None and seq != expected_seq:
            raise VerificationError(
                f"audit chain broken at event {seq}: expected event {expected_seq} "
                "(an event was deleted or reordered)"
            )
        if prev is not None and ev.get("prev_hash") != prev:
            raise VerificationError(
                f"audit chain broken at event {seq}: prev_hash does not match the previous "
                "event (an event was deleted, inserted or reordered)"
            )
        if event_hash(ev) != ev.get("hash"):
            raise VerificationError(
                f"audit chain broken at event {seq}: hash mismatch (the event was edited)"
            )
        prev = ev["hash"]
        expected_seq = int(seq) + 1 if isinstance(seq, int) else None
        count += 1
    return VerifyResult(events=count, last_hash=prev or GENESIS)


def iter_events(session: Session, batch: int = 5000) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for ev in rows:
            yield as_dict(ev)
        last = rows[-1].seq
        session.expunge_all()


def verify_session(session: Session) -> VerifyResult:
    first = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq).limit(1))
    if first is not None and first != 1:
        raise VerificationError(
            f"audit chain broken at event {first}: the chain does not start at event 1"
        )
    return verify_events(iter_events(session), start_prev=GENESIS)


def export_lines(
    session: Session, out: Path, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Write the chain (or a date range of it) as JSON lines that verify without the workspace."""
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for ev in iter_events(session):
            at = datetime.fromisoformat(ev["at"])
            if (since and at < since) or (until and at > until):
                continue
            fh.write(json.dumps(ev, sort_keys=True, ensure_ascii=False) + "\n")
            n += 1
    return n


def verify_file(path: Path) -> VerifyResult:
    def events() -> Iterator[dict[str, Any]]:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise VerificationError(f"{path}: line {lineno} is not JSON: {exc}") from exc

    return verify_events(events())
