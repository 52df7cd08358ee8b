"""The import job: walk, parse, and store each document all or nothing.

``import_paths`` is Qt-free: it takes a progress callback ``progress(done, total, message)``
and a cancel flag (any callable returning True once cancelled), and checks the flag between
documents. Runs of new documents are written together inside one SAVEPOINT, anything else
inside a SAVEPOINT of its own (``_Writer``); a run that fails is rolled back and stored one
document at a time, so a bad document rolls back alone. Whole documents are committed in
batches (see ``_Batch``) and on cancel, so a cancel or a crash leaves only whole documents.
With ``workers > 1`` documents are parsed and checked (schema, mandatory tests) in worker
processes while this process stores them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import BusyError
from app.identity.actor import Actor
from app.intake import bulk, dedup, walker
from app.intake import workers as workers_mod
from app.intake.mapping import record_saved
from app.intake.model import Limits, ParsedDoc, Rejected
from app.intake.parse import Parsed, ParseOptions, parse_document
from app.intake.store import StoreOutcome, store_document
from app.workspaces.engines import BUSY_SECONDS, is_busy
from i18n import _
from models import OrgKey, QuarantineItem, SourceMapping, rawcodec

PARALLEL_FROM = 64
# A batch ends at whichever comes first. The time bounds how long other writers wait and what
# a crash loses; the count bounds a fast import's transaction (500 against 200: 0.07 ms less
# of the writer's CPU per document, as fewer commits rewrite the same index pages).
BATCH_DOCUMENTS = 500
BATCH_SECONDS = 1.0
CHUNK_DOCUMENTS = 32  # documents per task sent to a parser process
CHUNK_BYTES = 4 * 2**20  # fewer when they are big
AHEAD_BYTES = 64 * 2**20  # documents read and parsed ahead, at most (big files: fewer)
BUSY_ATTEMPTS = 3  # times a batch waits BUSY_SECONDS for another writer before giving up
ProgressFn = Callable[..., None]
CancelFn = Callable[[], bool]


class SessionSource(Protocol):
    """A workspace: opens sessions (one per user action) and knows the acting analyst."""

    def session(self) -> Any: ...

    def require_actor(self) -> Actor: ...


@dataclass(frozen=True)
class Rejection:
    path: str
    reason: str


@dataclass(frozen=True)
class Disagreement:
    path: str
    vector: str
    stated: float
    computed: float


@dataclass(frozen=True)
class ImportReport:
    """What one import did; ``as_json`` gives the fields of ``accord import --json``."""

    imported: int = 0
    duplicates: int = 0
    updated: int = 0
    rejected: tuple[Rejection, ...] = ()
    score_disagreements: tuple[Disagreement, ...] = ()
    total: int = 0
    done: int = 0
    cancelled: bool = False
    report_ids: tuple[int, ...] = ()
    case_keys: tuple[str, ...] = ()
    near_duplicates: int = 0
    quarantine_ids: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "updated": self.updated,
            "rejected": [{"path": r.path, "reason": r.reason} for r in self.rejected],
            "score_disagreements": [
                {"path": d.path, "vector": d.vector, "stated": d.stated, "computed": d.computed}
                for d in self.score_disagreements
            ],
        }


@dataclass
class _Tally:
    imported: int = 0
    duplicates: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    report_ids: list[int] = field(default_factory=list)
    # Cases touched, in first-touch order (a dict: a list's membership test made a big
    # import quadratic).
    case_keys: dict[str, None] = field(default_factory=dict)
    near: int = 0
    quarantine_ids: list[int] = field(default_factory=list)

    def add(self, path: str, out: StoreOutcome) -> None:
        if out.kind == "imported":
            self.imported += 1
        elif out.kind == "updated":
            self.updated += 1
        else:
            self.duplicates += 1
        if out.report_id is not None and out.kind != "duplicate":
            self.report_ids.append(out.report_id)
        if out.case_key:
            self.case_keys.setdefault(out.case_key)
        self.near += out.near_duplicates
        self.disagreements += [
            Disagreement(path, d.vector, d.stated, d.computed)  # type: ignore[arg-type]
            for d in out.disagreements
        ]


def _read_and_parse(name: str, data: bytes, opts: ParseOptions) -> Parsed | str:
    """Worker entry point: a Parsed result or the one-line reason for refusing."""
    try:
        return parse_document(name, data, opts)
    except Rejected as exc:
        return str(exc)
    except RecursionError:
        return _("nesting deeper than {n} levels").format(n=opts.limits.max_depth)
    except Exception as exc:
        return _("could not be parsed: {error}").format(error=type(exc).__name__)


def _refusal(exc: Exception) -> str:
    """Why a parsed document could not be stored, in words and without its content."""
    if isinstance(exc, Rejected):
        return str(exc)
    if isinstance(exc, UnicodeEncodeError):
        # JSON may escape half of a UTF-16 pair ("\\ud800"): Python reads it, no database
        # stores it.
        return _("could not be stored: it holds text that is not valid Unicode (a lone surrogate)")
    return _("could not be stored: {error}").format(error=type(exc).__name__)


# A document for a parser process: its display name and its bytes, or the file to read them
# from; what comes back: its result and, for a file it read, the bytes.
_Task = tuple[str, bytes | walker.OnDisk]
_Done = tuple[Parsed | str, bytes | None]


def _parse_chunk(items: list[_Task], opts: ParseOptions) -> list[_Done]:
    """Worker entry point for a chunk of documents, each read (a file on disk) and parsed on
    its own, sent back as the writer reads it (``_lean``). Reading a file here spares the
    single writer reading it and sending its bytes over the pipe; the bytes come back with
    the result, in the same pickle as the document's ``raw`` (the same object: pickled once).
    """
    out: list[_Done] = []
    for name, source in items:
        if isinstance(source, bytes):
            out.append((_lean(_read_and_parse(name, source, opts)), None))
            continue
        data, refused = _read(functools.partial(walker.read_file, source, opts.limits))
        if refused is not None:
            out.append((refused, data))
            continue
        out.append(_compressed_only(_lean(_read_and_parse(name, data, opts)), data))
    return out


def _compressed_only(result: Parsed | str, data: bytes) -> _Done:
    """A report read from one file goes back without its bytes: they travel once, as the
    report row stores them (``Prepared.stored_raw``, compressed), and the writer inflates
    them on the paths that read the original (``_restored``). The bytes read and sent back
    whole cost the importing process's pool thread about 30 µs per document of 0.1 ms."""
    if isinstance(result, str) or len(result.docs) != 1 or result.mapping is not None:
        return result, data
    doc = result.docs[0]
    if doc.prepared is None or doc.raw is not data:
        return result, data
    return Parsed((replace(doc, raw=b""),), None), b""


def _restored(path: str, data: bytes, parsed: Parsed) -> tuple[bytes, Parsed]:
    """``data`` and ``parsed`` with the original bytes of a report sent compressed only
    (``_compressed_only``): for storing one alone, and for the quarantine."""
    if data or len(parsed.docs) != 1:
        return data, parsed
    doc = parsed.docs[0]
    if doc.raw or doc.prepared is None:
        return data, parsed
    raw = rawcodec.decode(*doc.prepared.stored_raw, path)
    return raw, Parsed((replace(doc, raw=raw),), parsed.mapping)


def _lean(result: Parsed | str) -> Parsed | str:
    """A worker's result without what the single writer never reads: each vulnerability's
    products and scores as parsed objects. The writer stores them as ``rows.prepare`` made
    them in the worker (``Prepared.products`` and ``Prepared.scores``); unpickling the
    objects as well cost it about 25 µs of a result's 70 µs per document."""
    if isinstance(result, str):
        return result
    return Parsed(tuple(_lean_doc(d) for d in result.docs), result.mapping)


def _lean_doc(doc: ParsedDoc) -> ParsedDoc:
    if doc.prepared is None or not doc.vulns:
        return doc  # ``rows.prepared`` would prepare it again from the vulnerabilities
    vulns = tuple(replace(v, products=(), scores=(), scored=()) for v in doc.vulns)
    return replace(doc, vulns=vulns)


# A document parsed ahead: its result (refused, or parsed in this process), or its chunk's
# future and its place in that chunk.
_Ahead = Parsed | str | tuple[Future[list[_Done]], int]


def _load(entry: walker.Entry) -> tuple[bytes, str | None]:
    """The entry's bytes, and why it is refused (bytes of a refused entry: for the quarantine,
    where they are safe to read)."""
    if entry.error is not None:
        data = b""
        if entry.read is not None:
            with contextlib.suppress(Rejected, OSError):
                data = entry.read()
        return data, entry.error
    assert entry.read is not None
    return _read(entry.read)


def _read(read: Callable[[], bytes]) -> tuple[bytes, str | None]:
    try:
        return read(), None
    except Rejected as exc:
        return b"", str(exc)
    except OSError as exc:
        return b"", walker.cannot_read(exc)


def _stream(
    entries: Sequence[walker.Entry], opts: ParseOptions, workers: int, cancel: CancelFn
) -> Iterator[tuple[walker.Entry, bytes, Parsed | str]]:
    """Parse in order; with ``workers > 1`` a bounded window of documents parses ahead in
    worker processes, which read files on disk themselves (an archive's members and e-mail
    are read here and their bytes go over a pipe, never through a file)."""
    if workers <= 1:
        for entry in entries:
            data, refused = _load(entry)
            if refused is not None:
                yield entry, data, refused
            else:
                yield entry, data, _read_and_parse(entry.path, data, opts)
        return
    # Parsing runs ahead while a run of documents is written (a shorter window left the
    # parser processes idle during every write), within a memory budget for big files.
    # Documents go to the pool in chunks: each task costs the importing process (the single
    # writer) a pickled call, a result and a future, whatever its size (32 documents a task
    # cost it 0.21 ms per document against 0.27 with 8). Two chunks for each process stay
    # ahead, so that none waits while the writer takes a result.
    window = max(workers * CHUNK_DOCUMENTS * 2, 2 * bulk.MAX_RUN)
    pool = workers_mod.pool(workers)  # no secret in their environment; they die with us
    pub = ParseOptions(opts.source, opts.limits, opts.saved_mapping, opts.explicit_mapping, ())
    # Each pending document: its entry, its bytes (None: a parser process reads them), its
    # result or where it will be, and what it counts against ``AHEAD_BYTES``.
    pending: deque[tuple[walker.Entry, bytes | None, _Ahead, int]] = deque()
    chunk: list[tuple[walker.Entry, bytes | None, int]] = []
    chunk_bytes = 0  # of the documents in ``chunk``
    ahead = 0  # bytes of the pending documents
    it = iter(entries)
    read_all = False

    def submit() -> None:
        nonlocal chunk_bytes
        if chunk:
            tasks: list[_Task] = []
            for e, d, _n in chunk:
                source = d if d is not None else e.file
                assert source is not None  # None only for a file on disk
                tasks.append((e.path, source))
            fut = pool.submit(_parse_chunk, tasks, pub)
            pending.extend((e, d, (fut, i), n) for i, (e, d, n) in enumerate(chunk))
            chunk.clear()
            chunk_bytes = 0

    try:
        while True:
            while len(pending) + len(chunk) < window and (
                (not pending and not chunk) or ahead < AHEAD_BYTES
            ):
                nxt = next(it, None)
                if nxt is None:
                    read_all = True
                    break
                entry = nxt
                eml = entry.path.lower().endswith(".eml")  # the org key stays in this process
                if entry.error is None and entry.file is not None and not eml:
                    # A file on disk: the parser process reads it (``_parse_chunk``).
                    chunk.append((entry, None, entry.size))
                    ahead += entry.size
                    chunk_bytes += entry.size
                    if len(chunk) >= CHUNK_DOCUMENTS or chunk_bytes >= CHUNK_BYTES:
                        submit()
                    continue
                data, refused = _load(entry)
                ahead += len(data)
                if refused is not None:
                    submit()  # in order
                    pending.append((entry, data, refused, len(data)))
                elif eml:
                    submit()
                    pending.append(
                        (entry, data, _read_and_parse(entry.path, data, opts), len(data))
                    )
                else:
                    chunk.append((entry, data, len(data)))
                    chunk_bytes += len(data)
                    if len(chunk) >= CHUNK_DOCUMENTS or chunk_bytes >= CHUNK_BYTES:
                        submit()
            # A chunk goes out part-filled only when nothing sent earlier is left to wait for
            # (or nothing more will come): sent as soon as one document freed its place, it
            # was a task of one document, and each task costs this process (the single
            # writer) a result to poll for and unpickle in the pool's thread.
            if not pending or read_all:
                submit()
            if not pending or cancel():
                return
            entry, held, got, counted = pending.popleft()
            ahead -= counted
            if isinstance(got, tuple):
                result, read = got[0].result()[got[1]]
                yield entry, read if read is not None else (held or b""), result
            else:
                yield entry, held or b"", got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Batch:
    """Commits whole documents in batches: the transaction commits every ``BATCH_DOCUMENTS``
    documents or ``BATCH_SECONDS`` (after writing the run queued so far), and at the end or
    on cancel. A crash loses at most the
    uncommitted tail of the batch, and only whole documents: the database never holds part
    of one. Committing one document at a time costs a WAL write of every touched page."""

    def __init__(self, s: Session, before_commit: Callable[[], None]) -> None:
        self.s = s
        self.before_commit = before_commit
        self.pending = 0
        self.started = 0.0

    def begin(self) -> None:
        if self.pending:
            return
        self.started = time.monotonic()
        conn = self.s.connection()
        if conn.dialect.name == "sqlite":
            # The sqlite3 driver opens a transaction only before a write; without an open one
            # a SAVEPOINT would start (and its RELEASE commit) a transaction of its own.
            raw: Any = conn.connection.dbapi_connection
            if not raw.in_transaction:
                self._begin_writing(conn)

    def _begin_writing(self, conn: Connection) -> None:
        """Take the write lock before the batch reads anything (BEGIN IMMEDIATE): SQLite waits
        its busy timeout for another writer only then; a transaction that read first fails at
        once. Waited for a bounded number of times: nothing of the batch is written yet."""
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                self.s.rollback()
                if attempt == BUSY_ATTEMPTS:
                    raise BusyError(
                        _(
                            "the workspace stayed busy: another program kept writing to it for "
                            "{n} seconds; what was imported so far is kept, run the import "
                            "again for the rest"
                        ).format(n=int(BUSY_SECONDS * BUSY_ATTEMPTS))
                    ) from None
                conn = self.s.connection()

    def done_one(self) -> None:
        self.pending += 1
        if self.pending >= BATCH_DOCUMENTS or time.monotonic() - self.started >= BATCH_SECONDS:
            self.before_commit()
            self.s.commit()
            self.pending = 0


def quarantine(
    session: Session, actor: Actor, path: str, reason: str, data: bytes, size: int = 0
) -> int:
    """Keep a refused document with its reason; ``size``: its real size when its bytes were
    not read (too big, a zip bomb)."""
    item = QuarantineItem(
        kind="document",
        path=path[:1000],
        reason=reason,
        content=data,
        size=max(len(data), size),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(item)
    session.flush()
    audit.record(
        session, actor, "intake.quarantine", "quarantine_item", item.id, details={"size": len(data)}
    )
    return item.id


def _org_keys(session: Session) -> tuple[tuple[str, str | None], ...]:
    """Every organisation key (current first): mail may be encrypted to an older one."""
    keys = session.scalars(select(OrgKey).order_by(OrgKey.current.desc(), OrgKey.id.desc()))
    return tuple((k.secret_key, k.key_passphrase) for k in keys)


def import_paths(
    ws: SessionSource,
    paths: Sequence[str | Path],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    *,
    actor: Actor | None = None,
    source: str = "manual",
    limits: Limits | None = None,
    mapping: dict[str, str] | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import files, folders and ``.zip`` archives; one document, one transaction."""
    limits = limits or Limits()
    # A cancel token may be falsy until cancelled: test for None, never for truth.
    cancelled_fn: CancelFn = (lambda: False) if cancel is None else cancel
    report: ProgressFn = (lambda *a, **k: None) if progress is None else progress
    who = actor or ws.require_actor()
    entries = walker.walk([Path(p) for p in paths], limits)
    total = len(entries)
    if total < PARALLEL_FROM:
        workers = 1  # starting worker processes costs more than a small batch takes
    tally = _Tally()
    done = 0
    cancelled = False
    with _fewer_collections(), ws.session() as s:
        saved = s.get(SourceMapping, source)
        opts = ParseOptions(
            source=source,
            limits=limits,
            saved_mapping=dict(saved.columns) if saved else {},
            explicit_mapping=dict(mapping or {}),
            org_keys=_org_keys(s),
        )
        report(0, total, "")
        writer = _Writer(s, who, source, tally)
        batch = _Batch(s, writer.settle)
        for entry, data, parsed in _stream(entries, opts, workers, cancelled_fn):
            if cancelled_fn():
                cancelled = True
                break
            report(done, total, entry.path)
            batch.begin()
            if isinstance(parsed, str):
                writer.refuse(entry.path, parsed, data, entry.size)
            else:
                writer.add(entry.path, data, parsed)
            done += 1
            batch.done_one()
        else:
            cancelled = cancelled_fn()
        writer.settle()
        s.commit()  # the documents stored since the last batch commit
        report(done, total, "")
    return ImportReport(
        imported=tally.imported,
        duplicates=tally.duplicates,
        updated=tally.updated,
        rejected=tuple(tally.rejected),
        score_disagreements=tuple(tally.disagreements),
        total=total,
        done=done,
        cancelled=cancelled,
        report_ids=tuple(tally.report_ids),
        case_keys=tuple(tally.case_keys),
        near_duplicates=tally.near,
        quarantine_ids=tuple(tally.quarantine_ids),
    )


_COLLECTING = threading.Lock()
_RUNNING = [0]  # imports running now
_BEFORE = [gc.get_threshold()]  # the thresholds before the first of them


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector runs less often while an import stores documents.

    Storing allocates many short-lived objects, so the collector ran hundreds of times in an
    import of thousands of documents and its older generations walked every object the
    process holds (the ORM's mappers, compiled statements, caches) each time: about a fifth
    of the single writer's CPU. Nothing of an import needs cycles freed early. The previous
    thresholds come back when the last running import ends (on error too): imports on two
    threads of the app must not leave the raised ones behind."""
    with _COLLECTING:
        if not _RUNNING[0]:
            before = _BEFORE[0] = gc.get_threshold()
            gc.set_threshold(max(before[0], 20_000), max(before[1], 20), max(before[2], 20))
        _RUNNING[0] += 1
    try:
        yield
    finally:
        with _COLLECTING:
            _RUNNING[0] -= 1
            if not _RUNNING[0]:
                gc.set_threshold(*_BEFORE[0])


class _Writer:
    """Stores the parsed files of an import in its transaction, each file all or nothing.

    Files of one new document queue up and are written as a run (``bulk.py``: a few
    multi-row inserts for the run instead of a dozen statements per document); anything else
    is stored on its own by ``store_document``, after the run queued before it. A run that
    fails is rolled back and its files stored one by one, so a bad one is refused alone."""

    def __init__(self, s: Session, who: Actor, source: str, tally: _Tally) -> None:
        self.s = s
        self.who = who
        self.source = source
        self.tally = tally
        self.run: list[tuple[bytes, bulk.Item]] = []
        self.run_bytes = 0
        self.known = dedup.KnownTexts()  # compared texts of the reports this import stored
        self.mentions = dedup.KnownMentions()  # product mentions for the same checks
        self.documents = bulk.KnownDocuments()  # what cases' search documents are made of

    def add(self, path: str, data: bytes, parsed: Parsed) -> None:
        if len(parsed.docs) == 1 and parsed.mapping is None:
            doc = parsed.docs[0]
            self.run.append((data, bulk.Item(path, doc)))
            held = data or doc.raw or (doc.prepared.stored_raw[0] if doc.prepared else b"")
            self.run_bytes += len(held)
            if len(self.run) >= bulk.MAX_RUN or self.run_bytes >= bulk.MAX_RUN_BYTES:
                self.flush()
        else:
            self.flush()
            self._one(path, data, parsed)

    def settle(self) -> None:
        """Before the batch commits: the run queued so far, then the search documents of the
        stored cases the batch's runs added reports to."""
        self.flush()
        self.documents.write(self.s)

    def flush(self) -> None:
        pending, self.run, self.run_bytes = self.run, [], 0
        while pending:
            savepoint = self.s.begin_nested()
            try:
                planned = bulk.plan(self.s, [item for _data, item in pending])
                outcomes = (
                    bulk.write(
                        self.s,
                        self.who,
                        planned,
                        self.source,
                        known=self.known,
                        mentions=self.mentions,
                        documents=self.documents,
                    )
                    if planned
                    else []
                )
                self.s.flush()
                savepoint.commit()
            except Exception:
                savepoint.rollback()
                self.known.drop()
                self.mentions.reset()
                self.documents.reset()
                audit.forget_tail(self.s)
                for data, item in pending:  # one by one: the bad one is refused alone
                    self._one(item.path, data, Parsed((item.doc,)))
                return
            self.known.keep()
            for (_data, item), out in zip(pending, outcomes, strict=False):
                self.tally.add(item.path, out)
            rest = pending[len(outcomes) :]
            if rest:  # it ended the run: a known document id, or a title to refuse
                data, item = rest[0]
                self._one(item.path, data, Parsed((item.doc,)))
                rest = rest[1:]
            pending = rest

    def _one(self, path: str, data: bytes, parsed: Parsed) -> None:
        data, parsed = _restored(path, data, parsed)
        self.mentions.reset()  # a revision may remove vulnerabilities it had read
        self.documents.reset()
        savepoint = self.s.begin_nested()  # this file alone, all or nothing
        try:
            outcomes = [store_document(self.s, self.who, d, path, self.source) for d in parsed.docs]
            if parsed.mapping is not None:
                _save_mapping(self.s, self.who, self.source, parsed.mapping)
            self.s.flush()
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            audit.forget_tail(self.s)
            self.refuse(path, _refusal(exc), data)
        else:
            for out in outcomes:
                if out.kind == "updated" and out.report_id is not None:
                    self.known.forget(out.report_id)  # its text is the new revision's now
                self.tally.add(path, out)

    def refuse(self, path: str, reason: str, data: bytes, size: int = 0) -> None:
        self.tally.rejected.append(Rejection(path, reason))
        self.tally.quarantine_ids.append(quarantine(self.s, self.who, path, reason, data, size))


def _save_mapping(s: Session, who: Actor, source: str, mapping: dict[str, str]) -> None:
    """Keep the spreadsheet mapping an import used for its source (audited when it changes)."""
    row = s.get(SourceMapping, source)
    before = dict(row.columns) if row is not None else {}
    if row is not None and before == mapping:
        return
    if row is None:
        s.add(SourceMapping(source=source, columns=dict(mapping)))
    else:
        row.columns = dict(mapping)
    record_saved(s, who, source, before, mapping)
