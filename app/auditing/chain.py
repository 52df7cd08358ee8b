"""The audit hash chain: append, verify, export. Events carry ids and states, never content.

On a team server every appender serialises on one advisory lock while it reads the chain's
tail and appends after it. The lock is taken at commit, not at the first event: events are
kept in the session until then and chained in one insert, so the lock is held for that insert
and the commit only, not for a whole import batch (bench/team.py measures both). An event's
``at`` is when it was recorded, its ``seq`` the order of the commits: across writers ``at``
may step back by as long as a transaction took.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ClauseElement, Table, event, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import util as sql_util

from app.errors import VerificationError
from app.identity import signing
from app.identity.actor import Actor
from app.workspaces import files, txcache
from app.workspaces.driver import RowsInsert
from models import Analyst, AnalystKey, AuditEvent, utcnow

GENESIS = "0" * 64
_TAIL = txcache.register("audit_tail")
_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT_EVENT = RowsInsert(_EVENTS)  # built once: building per call cost more than the run
_CLOCK = "audit_clock"
_PENDING = "audit_pending"  # events recorded, chained at commit (team servers)
_LOCK_KEY = 7263001
# Chain a team server's events at commit (True), or take the lock at the first event (False,
# as before; kept for bench/team.py's before-and-after figures).
CHAIN_AT_COMMIT = True


# Details that hold free text (a transition's reason, a deadline's evidence, a note): the
# hash commits to their SHA-256, so an export can drop the text and still verify.
FREE_TEXT = frozenset({"reason", "evidence", "note", "notes", "justification", "comment", "text"})
EXPORT_FORMAT = "accord-audit-export/1"
# "redacted" is an export's marker, not the event's; the signature is over the hash, so
# neither it nor the key id it names is part of the hash; nor is a team database's db_login,
# which the server fills in after the client made the hash.
_NOT_HASHED = frozenset({"hash", "redacted", "signature", "key_id", "db_login"})


def canonical(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def text_commitment(value: str) -> dict[str, str]:
    """What stands for a free-text value in the hash, and in a redacted export."""
    return {"sha256": hashlib.sha256(value.encode()).hexdigest()}


def _committed(details: Any) -> Any:
    if not isinstance(details, dict):
        return details
    return {
        k: text_commitment(v) if k in FREE_TEXT and isinstance(v, str) else v
        for k, v in details.items()
    }


def event_hash(event: dict[str, Any]) -> str:
    """The hash of an event, free-text details counted by their SHA-256 (see ``redact``)."""
    body = {k: v for k, v in event.items() if k not in _NOT_HASHED}
    body["details"] = _committed(body.get("details"))
    return hashlib.sha256(canonical(body)).hexdigest()


def legacy_event_hash(event: dict[str, Any]) -> str:
    """The hash of events recorded before free text was committed by its SHA-256."""
    body = {k: v for k, v in event.items() if k not in _NOT_HASHED}
    return hashlib.sha256(canonical(body)).hexdigest()


def redact(event: dict[str, Any]) -> dict[str, Any]:
    """The event with each free-text detail replaced by its SHA-256, hash unchanged.

    Events hashed with ``event_hash`` still verify; older ones (``legacy_event_hash``, which
    hashed the text itself) cannot, and are marked ``"redacted": "legacy"``: verification
    checks their place in the chain but not their content, and says how many there were."""
    details = event.get("details")
    if not isinstance(details, dict) or not FREE_TEXT.intersection(details):
        return event
    legacy = event_hash(event) != event.get("hash")
    out = dict(event, details=_committed(details), redacted="legacy" if legacy else "text")
    return out


def as_dict(ev: AuditEvent) -> dict[str, Any]:
    """The event as verified and exported; on a team database with the login that wrote it
    (filled by the server after the hash was made, so outside the hash, like signatures)."""
    extra = {"db_login": ev.db_login} if ev.db_login is not None else {}
    # ``signs_from`` only where it was set: the events hashed without it hash as before.
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
        "signature": ev.signature,
        "key_id": ev.key_id,
        **({"signs_from": ev.signs_from} if ev.signs_from is not None else {}),
        **extra,
    }


def _tail(session: Session) -> tuple[int, str]:
    cached = session.info.get(_TAIL)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders on a team server so the chain never forks.
        session.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
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


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest event, GENESIS for an empty chain (seen by this session),
    counting the events this session has recorded but not yet chained."""
    write_pending(session)
    return _tail(session)


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

    A Core insert: events only ever append and are read back by ``seq``, so the unit of work
    has nothing to track (intake records two for every document). In a workspace file it is
    written at once; on a team server at commit (``write_pending``)."""
    now = session.info.get(_CLOCK) or utcnow()
    dated = [(e, e.at or now) for e in events]
    if CHAIN_AT_COMMIT and session.get_bind().dialect.name == "postgresql":
        pending: list[_Pending] = session.info.setdefault(_PENDING, [])
        where = session.get_nested_transaction()
        # A copy of the details: the caller may change its dict before the commit.
        pending.extend(
            _Pending(actor, replace(e, details=copy.deepcopy(e.details)), when, where)
            for e, when in dated
        )
        return
    write_pending(session)
    _append(session, [(actor, e, when) for e, when in dated])


@dataclass(frozen=True)
class _Pending:
    actor: Actor
    event: Event
    at: datetime
    savepoint: SessionTransaction | None  # recorded inside it: gone if it is rolled back


def write_pending(session: Session) -> None:
    """Chain and insert the events this session recorded and has not written yet (at commit,
    and before anything in the transaction reads the chain)."""
    pending: list[_Pending] | None = session.info.pop(_PENDING, None)
    if pending:
        _append(session, [(p.actor, p.event, p.at) for p in pending])


def _inside(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether an event recorded in ``savepoint`` was in the transaction ``ended``."""
    t = savepoint
    while t is not None:
        if t is ended:
            return True
        t = t.parent
    return False


@event.listens_for(Session, "before_commit")
def _chain_at_commit(session: Session) -> None:
    if not session.in_nested_transaction() and session.info.get(_PENDING):
        # The outermost commit: the events are final. The rows go first, so that waiting for
        # another writer's row lock never happens while this one holds the chain.
        session.flush()
        write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, ended: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if not pending:
        return
    if ended.parent is None:
        session.info.pop(_PENDING, None)
    else:  # a savepoint: only the events recorded inside it are gone
        pending[:] = [p for p in pending if not _inside(p.savepoint, ended)]


@event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, ended: SessionTransaction) -> None:
    if ended.parent is None:  # committed (already written) or rolled back
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    """A read of the chain in the transaction sees the events it recorded, chained."""
    if state.session.info.get(_PENDING) and _reads_chain(state):
        write_pending(state.session)


def _reads_chain(state: ORMExecuteState) -> bool:
    """The statement reads events: as entities, or a column of them anywhere (an aggregate,
    a subquery)."""
    if any(m.class_ is AuditEvent for m in state.all_mappers):
        return True
    stmt = state.statement
    if not isinstance(stmt, ClauseElement):
        return False
    return any(getattr(t, "name", None) == _EVENTS.name for t in sql_util.find_tables(stmt))


def _append(session: Session, dated: list[tuple[Actor, Event, datetime]]) -> None:
    """Chain and insert ``dated`` after the tail. Each run of consecutive events by one
    analyst with a signing key is signed once, on its last event, whose hashed body names
    the run's first (``signs_from``): the signature over its hash vouches for the run through
    the chain (``verify_events``). Ed25519 signing cost the single intake writer 40 to 50 µs
    per event, two events per document."""
    if not dated:
        return
    seq, prev = _tail(session)
    rows = []
    key_ids: dict[int, str] = {}
    run_from = seq + 1
    for i, (actor, e, when) in enumerate(dated):
        signer = actor.signing_key
        seq += 1
        if i and not _same_signer(dated[i - 1][0], actor):
            run_from = seq
        ends_run = i + 1 == len(dated) or not _same_signer(dated[i + 1][0], actor)
        body: dict[str, Any] = {
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
        signs = signer is not None and ends_run
        if signs and run_from < seq:
            body["signs_from"] = run_from
        prev = event_hash(body)
        signature = key_id = None
        if signs:
            assert signer is not None
            if id(signer) not in key_ids:
                key_ids[id(signer)] = signing.key_id(signer)
            signature = signer.sign(prev.encode("ascii")).hex()
            key_id = key_ids[id(signer)]
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
                "signature": signature,
                "key_id": key_id,
                "signs_from": body.get("signs_from"),
            }
        )
    _INSERT_EVENT.run(session, rows)
    session.info[_TAIL] = (seq, prev)


def _same_signer(a: Actor, b: Actor) -> bool:
    """Whether consecutive events of ``a`` and ``b`` are one run: one name, one key."""
    return a.name == b.name and a.signing_key is b.signing_key


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


def now(session: Session) -> datetime:
    """The time events are dated at: the replay clock inside ``clock``, else now."""
    at: datetime | None = session.info.get(_CLOCK)
    return at or utcnow()


def forget_tail(session: Session) -> None:
    """Drop the cached chain tail (after a rollback, the cached tail is no longer true)."""
    session.info.pop(_TAIL, None)


@dataclass(frozen=True)
class VerifyResult:
    events: int
    last_hash: str
    unchecked: int = 0  # redacted events of the legacy hash: linked, content not checkable
    signed: int = 0
    unsigned: int = 0
    first_seq: int | None = None
    last_seq: int | None = None


def verify_events(
    events: Iterable[dict[str, Any]],
    *,
    start_prev: str | None = None,
    keys: signing.Keyring | None = None,
) -> VerifyResult:
    """Check linkage, hashes and (with ``keys``) signatures; raise VerificationError naming
    the first bad event and why."""
    prev = start_prev
    expected_seq: int | None = None
    count = unchecked = signed = 0
    first_seq: int | None = None
    runs = _Runs(keys) if keys is not None else None
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
        if ev.get("hash") not in (event_hash(ev), legacy_event_hash(ev)):
            if ev.get("redacted") != "legacy":
                raise VerificationError(
                    f"audit chain broken at event {seq}: hash mismatch (the event was edited)"
                )
            unchecked += 1
        if runs is not None:
            runs.see(ev)
        first_seq = seq if first_seq is None and isinstance(seq, int) else first_seq
        signed += _vouched(ev, first_seq)
        prev = ev["hash"]
        expected_seq = int(seq) + 1 if isinstance(seq, int) else None
        count += 1
    if runs is not None:
        runs.settle()
    return VerifyResult(
        events=count,
        last_hash=prev or GENESIS,
        unchecked=unchecked,
        signed=signed,
        unsigned=count - signed,
        first_seq=first_seq,
        last_seq=expected_seq - 1 if expected_seq is not None else None,
    )


def _vouched(ev: dict[str, Any], first_seq: int | None) -> int:
    """How many of the events read so far ``ev``'s signature vouches for (itself, and the run
    it ends from ``signs_from`` on, counted from ``first_seq``, the first one read)."""
    if not ev.get("signature"):
        return 0
    seq, run_from = ev.get("seq"), ev.get("signs_from")
    if not isinstance(seq, int) or not isinstance(run_from, int) or first_seq is None:
        return 1
    return max(seq - max(run_from, first_seq) + 1, 1)


class _Runs:
    """Checks, event by event, that a signature of its analyst vouches for every event that
    needs one (``signing.Keyring.owes``): its own, or the one ending its run, whose hashed
    ``signs_from`` names the run's first event. A run is one analyst's: every event from its
    first to its signed end is by the same actor. A signature that claims more than that
    streak, or that leaves an owing event of it before its first, is refused, as is an owing
    event whose streak ends (or whose input ends) unsigned."""

    def __init__(self, keys: signing.Keyring) -> None:
        self.keys = keys
        self.streak: dict[str, Any] | None = None  # the newest event of the current streak
        self.start: int | None = None  # its first event; None: it began before the input
        self.owed: list[dict[str, Any]] = []

    def see(self, ev: dict[str, Any]) -> None:
        seq = ev.get("seq")
        if self.streak is None or ev.get("actor") != self.streak.get("actor"):
            self.settle()
            self.start = seq if self.streak is not None and isinstance(seq, int) else None
        self.streak = ev
        problem = self.keys.problem(ev)
        if problem is not None:
            raise VerificationError(f"audit event {seq} is not trustworthy: {problem}")
        if ev.get("signature"):
            run_from = ev.get("signs_from", seq)
            if not isinstance(run_from, int):
                raise VerificationError(f"audit event {seq!r} is not trustworthy: no event number")
            if self.start is not None and run_from < self.start:
                raise VerificationError(
                    f"audit event {seq} is not trustworthy: it signs the run from event "
                    f"{run_from}, but event {self.start - 1} is not {ev.get('actor')}'s"
                )
            for owed in self.owed:
                if owed["seq"] < run_from:
                    raise self._unsigned(owed)
            self.owed.clear()
        elif self.keys.owes(ev):
            self.owed.append(ev)

    def settle(self) -> None:
        """The streak ended (or the input did): nothing later can vouch for its events."""
        if self.owed:
            raise self._unsigned(self.owed[0])

    def _unsigned(self, ev: dict[str, Any]) -> VerificationError:
        return VerificationError(
            f"audit event {ev.get('seq')} is not trustworthy: {self.keys.unsigned(ev)}"
        )


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


def vouched_by(session: Session, events: list[dict[str, Any]]) -> None:
    """Add to each event (``as_dict``) ``vouched_by``: the seq of the event whose signature
    vouches for it, itself or its run's signed end (``signs_from``); None when unsigned. It
    says where to look, not that the signature verifies (``verify_session`` does)."""
    seqs = [int(e["seq"]) for e in events if not e.get("signature")]
    runs: list[tuple[int, int]] = []
    if seqs:
        runs = sorted(
            (first, last)
            for last, first in session.execute(
                select(AuditEvent.seq, AuditEvent.signs_from).where(
                    AuditEvent.signature.is_not(None),
                    AuditEvent.signs_from <= max(seqs),
                    AuditEvent.seq > min(seqs),
                )
            )
            if first is not None
        )
    firsts = [first for first, _last in runs]  # runs never overlap
    for e in events:
        if e.get("signature"):
            e["vouched_by"] = e["seq"]
            continue
        at = bisect.bisect_right(firsts, e["seq"]) - 1
        e["vouched_by"] = runs[at][1] if at >= 0 and e["seq"] < runs[at][1] else None


def keyring(session: Session) -> signing.Keyring:
    """Every analyst's registered signing keys, as this workspace knows them."""
    rows = session.execute(
        select(AnalystKey.key_id, Analyst.name, AnalystKey.public_key, AnalystKey.since_seq).join(
            Analyst, Analyst.id == AnalystKey.analyst_id
        )
    ).all()
    return signing.Keyring(signing.KnownKey(k, n, p, q) for k, n, p, q in rows)


def verify_session(session: Session) -> VerifyResult:
    """The whole chain: starts at event 1, linked, unedited, and signed where it must be."""
    first = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq).limit(1))
    if first is not None and first != 1:
        raise VerificationError(
            f"audit chain broken at event {first}: the chain does not start at event 1"
        )
    return verify_events(iter_events(session), start_prev=GENESIS, keys=keyring(session))


def export_header(*, redacted: bool) -> dict[str, Any]:
    """The first line of an export: what it is, and whether free text is in it."""
    if redacted:
        notice = (
            "Free-text details (" + ", ".join(sorted(FREE_TEXT)) + ") are replaced by "
            '{"sha256": ...} of their text; the event hashes are the original ones and verify.'
        )
    else:
        notice = (
            "Free-text details (" + ", ".join(sorted(FREE_TEXT)) + ") are included as "
            "written, e.g. the reasons given for transitions; export with --redact to leave "
            "them out."
        )
    return {
        "accord_audit_export": EXPORT_FORMAT,
        "free_text": "redacted" if redacted else "included",
        "free_text_fields": sorted(FREE_TEXT),
        "notice": notice,
    }


def export_lines(
    session: Session,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    redacted: bool = False,
    header: Iterable[dict[str, Any]] = (),
) -> int:
    """Write the chain (or a date range of it) as JSON lines that verify without the workspace:
    a header line saying whether free text is in it, the ``header`` records (checkpoints) and
    the signing keys, then one event per line; the file is private (0600) and appears whole."""
    n = 0
    with files.atomic_private(out, "w") as fh:
        fh.write(json.dumps(export_header(redacted=redacted), sort_keys=True) + "\n")
        records = [*header, *(k.as_json() for k in keyring(session).by_id.values())]
        for record in records:
            fh.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
        for ev in _selected(session, since, until):
            line = redact(ev) if redacted else ev
            fh.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
            n += 1
    return n


def selected_events(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> VerifyResult:
    """What ``export_lines`` would write: count, first and last seq, last hash."""
    return verify_events(_selected(session, since, until))


def _selected(
    session: Session, since: datetime | None, until: datetime | None
) -> Iterator[dict[str, Any]]:
    """The events dated in the range, and after it the rest of a run begun in it, to its
    signed end: without that signature its events in the range would not verify."""
    opened: dict[str, Any] | None = None  # the last event chosen, when unsigned
    held: list[dict[str, Any]] = []  # events after the range by its actor, to the run's end
    for ev in iter_events(session):
        at = datetime.fromisoformat(ev["at"])
        if not ((since and at < since) or (until and at > until)):
            held.clear()
            yield ev
            opened = None if ev.get("signature") else ev
            continue
        if opened is None:
            continue
        if ev.get("actor") != opened.get("actor"):
            opened = None
            held.clear()
            continue
        held.append(ev)
        if ev.get("signature"):
            if ev.get("signs_from", ev["seq"]) <= opened["seq"]:
                yield from held
            opened = None
            held.clear()


def read_export(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records with a ``kind``: checkpoints and keys; the events) of an exported chain."""
    records: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise VerificationError(f"{path}: line {lineno} is not JSON: {exc}") from exc
            if not isinstance(item, dict):
                raise VerificationError(f"{path}: line {lineno} is not an audit record")
            if lineno == 1 and "accord_audit_export" in item:
                continue  # the header: what the export is, whether free text is in it
            (records if "kind" in item else events).append(item)
    return records, events


def verify_file(path: Path) -> VerifyResult:
    """Check an exported chain, with the signing keys it carries (checkpoints: see
    ``app.identity.checkpoints.verify_export``)."""
    records, events = read_export(path)
    keys = [
        signing.KnownKey(r["key_id"], r["analyst"], r["public_key"], int(r["since_seq"]))
        for r in records
        if r.get("kind") == "key"
    ]
    return verify_events(events, keys=signing.Keyring(keys))
