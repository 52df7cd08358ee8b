"""Near-duplicates: a new case whose report names the same affected model or product as an
existing case (names compared without case, punctuation or a vendor prefix) and reads alike
(rapidfuzz), or that shares a CVE or document id with it, becomes a DuplicateCandidate for
an analyst to confirm, dismiss or merge. A merge moves every report, with its source and raw
original, into the surviving case; nothing is deleted."""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, utils
from sqlalchemy import (
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import workflow
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor
from app.intake import ids
from app.queueing import search
from app.workspaces import memos
from app.workspaces.driver import DriverQuery, ListQuery, RowsInsert, Untouched
from i18n import _
from models import (
    AffectedProduct,
    Attachment,
    Case,
    CaseStatus,
    DuplicateCandidate,
    Identifier,
    Report,
    Vulnerability,
    utcnow,
)
from models.vulnerabilities import product_key

if TYPE_CHECKING:
    from app.intake.model import ParsedDoc

THRESHOLD = 80.0
MAX_COMPARED = 50
MAX_CANDIDATES = 3
TEXT_CHARS = 1500


MENTIONS_PER_PRODUCT = MAX_COMPARED
MAX_PRODUCTS = 50


_NAME_BUCKETS = (1, 2, 4, 8, 16, 32, MAX_PRODUCTS)


@functools.lru_cache(maxsize=MAX_PRODUCTS)
def _same_product(n: int) -> DriverQuery:
    """The newest mentions (up to ``MENTIONS_PER_PRODUCT``) of each of ``n`` product names in
    other cases, by reports older than ``before``: (report id, its case, the name). One bounded
    walk of the (name, id) index per name, so the cost does not grow with the workspace (a
    single query over all mentions read and sorted every one of them)."""
    parts = []
    for i in range(n):
        newest = (
            select(Vulnerability.report_id, Vulnerability.case_id, AffectedProduct.name)
            .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
            .where(
                AffectedProduct.name_key == bindparam(f"name{i}"),
                Vulnerability.case_id != bindparam("case_id"),
                Vulnerability.report_id < bindparam("before"),
            )
            .order_by(AffectedProduct.name_key.desc(), AffectedProduct.id.desc())
            .limit(MENTIONS_PER_PRODUCT)
            .subquery()
        )
        parts.append(select(newest.c.report_id, newest.c.case_id, newest.c.name))
    return DriverQuery(union_all(*parts))


def _stored_mentions() -> DriverQuery:
    """The newest mentions (up to ``MENTIONS_PER_PRODUCT``) of the product name ``name``
    among the rows below ``bound``: (report id, its case, the name as written). What
    ``_same_product`` finds there, for ``KnownMentions``; a detached vulnerability (no
    report) is no mention, as there. One name per statement: a statement for several names
    (a union of bounded walks) took longer to build and prepare, once per import, than
    running this one for each name an import reads."""
    return DriverQuery(
        select(Vulnerability.report_id, Vulnerability.case_id, AffectedProduct.name)
        .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
        .where(
            AffectedProduct.name_key == bindparam("name"),
            AffectedProduct.id < bindparam("bound"),
            Vulnerability.report_id.is_not(None),
        )
        .order_by(AffectedProduct.name_key.desc(), AffectedProduct.id.desc())
        .limit(MENTIONS_PER_PRODUCT)
    )


_STORED_MENTIONS = _stored_mentions()

_MAX_PRODUCT_ID = DriverQuery(select(func.max(AffectedProduct.id)))

INSERT_CANDIDATES = RowsInsert(DuplicateCandidate.__table__)
# What is compared of each (the description's first TEXT_CHARS characters).
_TEXTS = ListQuery(
    lambda listed: select(
        Report.id, Report.title, func.substr(Report.description, 1, TEXT_CHARS)
    ).where(Report.id.in_(listed("ids"))),
    ["ids"],
)


def _shared(listed: Callable[[str], Any]) -> Any:
    """The look-ups for shared identifiers, in one statement built once (four statements
    built per document cost more than running them): reports and vulnerabilities older than
    the new report, and cases' own identifiers, that share a value; then reports with the
    same document id. Each part is bounded on its own and numbered: its rows are read in
    that order."""
    parts = (
        select(Report.case_id, Identifier.value)
        .join(Identifier, Identifier.report_id == Report.id)
        .where(Identifier.value.in_(listed("values")), Report.id < bindparam("before")),
        # Cases' own identifiers only: a report's (no case) would count against the bound.
        select(Identifier.case_id, Identifier.value).where(
            Identifier.value.in_(listed("values")), Identifier.case_id.is_not(None)
        ),
        select(Vulnerability.case_id, Vulnerability.cve).where(
            Vulnerability.cve.in_(listed("values")), Vulnerability.report_id < bindparam("before")
        ),
        select(Report.case_id, Report.document_id).where(
            Report.document_id == bindparam("document_id"), Report.id < bindparam("before")
        ),
    )
    return union_all(
        *(
            select(literal_column(str(n)).label("part"), *q.limit(MAX_COMPARED).subquery().c)
            for n, q in enumerate(parts)
        )
    )


_SHARED = ListQuery(_shared, ["values"])


def _stored_strings() -> DriverQuery:
    """Which of the identifier values ``values`` (part 0) and document ids ``document_ids``
    (part 1), both JSON arrays, any row below ``bound`` has, where ``_shared`` looks for
    them, or any case has as its own identifier: one bounded look-up per value (SQLite)."""
    values = func.json_each(bindparam("values")).table_valued("value").alias("v")
    documents = func.json_each(bindparam("document_ids")).table_valued("value").alias("d")
    bound: Any = bindparam("bound")
    return DriverQuery(
        union_all(
            select(literal_column("0"), values.c.value).where(
                or_(
                    exists().where(
                        Identifier.value == values.c.value,
                        or_(Identifier.report_id < bound, Identifier.case_id.is_not(None)),
                    ),
                    exists().where(
                        Vulnerability.cve == values.c.value, Vulnerability.report_id < bound
                    ),
                )
            ),
            select(literal_column("1"), documents.c.value).where(
                exists().where(Report.document_id == documents.c.value, Report.id < bound)
            ),
        )
    )


_STORED_STRINGS = _stored_strings()


def may_share(
    s: Session, run: Sequence[tuple[int, Compared, Sequence[str], bool]]
) -> set[int] | None:
    """The reports of a run, stored with increasing ids by its single writer (SQLite), whose
    shared-identifier look-up (``_shared_identifiers``) may find anything: (report id, what
    it is compared by, the identifier values and CVE ids as its rows hold them, whether it is
    looked up) for each, in order. A report none of whose values or document id is held by
    a row stored before the run (one look-up for the whole run) or by an earlier report of
    the run finds nothing: the look-up of each (a fifth of the writer's time per new case,
    for most finding nothing) is left out for it. None on a team server, where other writers
    commit at any time: every report is looked up."""
    if s.get_bind().dialect.name != "sqlite" or not run:
        return None
    looked_up = [(rid, c) for rid, c, _held, wanted in run if wanted]
    values = sorted({v for _rid, c in looked_up for v in c.values})
    document_ids = sorted({c.document_id for _rid, c in looked_up if c.document_id is not None})
    stored: tuple[set[str], set[str]] = (set(), set())
    if values or document_ids:
        params = {
            "values": json.dumps(values),
            "document_ids": json.dumps(document_ids),
            "bound": min(rid for rid, *_rest in run),
        }
        for part, value in _STORED_STRINGS.all(s, params):
            stored[int(part)].add(value)
    held, documents = stored
    found: set[int] = set()
    for rid, c, strings, wanted in sorted(run, key=lambda r: r[0]):
        if wanted and (
            not held.isdisjoint(c.values)
            or (c.document_id is not None and c.document_id in documents)
        ):
            found.add(rid)
        held.update(strings)
        if c.document_id is not None:
            documents.add(c.document_id)
    return found


def _text(title: str, description: str) -> str:
    return utils.default_process(f"{title} {description[:TEXT_CHARS]}")


@dataclass(frozen=True)
class Compared:
    """What a new report is compared by, computed without a session (in the process that
    parsed it): its product names' compared forms, its processed text, its identifier
    values and document id."""

    names: tuple[str, ...]
    text: str
    values: tuple[str, ...]
    document_id: str | None


def compared(title: str, description: str, doc: ParsedDoc) -> Compared:
    names = sorted({k for v in doc.vulns for p in v.products for k in _keys(p.name, p.vendor)})
    values = {ids.normalise(v) for _scheme, v in doc.identifiers}
    values |= {ids.normalise(v.cve) for v in doc.vulns if v.cve}
    values.discard("")
    return Compared(
        tuple(names[:MAX_PRODUCTS]),
        _text(title, description),
        tuple(sorted(values)[:MAX_PRODUCTS]),
        doc.document_id,
    )


def find_near_duplicates(
    s: Session, report_id: int, case_id: int, title: str, description: str, doc: ParsedDoc
) -> int:
    """Record candidates for report ``report_id`` (in the new case ``case_id``, with that
    title and description); returns how many were recorded."""
    rows = candidate_rows(s, report_id, case_id, title, description, doc)
    if rows:
        INSERT_CANDIDATES.run(s, rows)
    return len(rows)


def candidate_rows(
    s: Session, report_id: int, case_id: int, title: str, description: str, doc: ParsedDoc
) -> list[dict[str, object]]:
    """The duplicate candidates of report ``report_id``, compared with the reports stored
    before it, as rows to insert (``INSERT_CANDIDATES``)."""
    return rows_for(s, report_id, case_id, compared(title, description, doc))


class KnownTexts:
    """The compared texts (``_text``) of reports an import stored, by report id. A new report
    is compared with up to ``MAX_COMPARED`` older ones, in a big import mostly stored moments
    before by the same import: their text is in memory, processed, and need not be read back.
    Texts of a run are pending until the caller knows its savepoint held (``keep``); a
    rolled-back run's ids may be given to other reports (``drop``). One dictionary holds
    them all, kept and pending, so that a look-up is one dictionary hit (``get``: fifty for
    every new case)."""

    LIMIT = 20_000  # reports remembered (about 30 MB at most); older ones are read

    def __init__(self) -> None:
        self.texts: dict[int, str] = {}
        self.pending: list[int] = []  # ids added since the last ``keep`` or ``drop``
        self.get = self.texts.get  # the text of a report id, or None

    def add(self, report_id: int, text: str) -> None:
        # A kept id is never given again (its run held), so a pending one is a new key.
        if len(self.texts) < self.LIMIT:
            self.texts[report_id] = text
            self.pending.append(report_id)

    def keep(self) -> None:
        self.pending.clear()

    def drop(self) -> None:
        for report_id in self.pending:
            self.texts.pop(report_id, None)
        self.pending.clear()

    def forget(self, report_id: int) -> None:
        """A report whose title or description changed (a later revision)."""
        self.texts.pop(report_id, None)


# A mention of a product name: (report id, its case, the name as written).
Mention = tuple[int, int, str]
_REPORT_OF = itemgetter(0)


class KnownMentions:
    """The newest mentions of product names for the near-duplicate look-ups of one import's
    single writer, so that each name is read from the workspace once per import instead of
    once per document that names it (a feed names the same products over and over).

    When a run starts (``start``), the rows already stored are those below ``bound``; a
    name's newest mentions among them are read once (``_read``), and the mentions the
    writer adds after are kept here as it adds them (``add``), in order. A report's look-up
    then needs no read: its newest mentions are the kept ones, newest first, then the
    stored ones. That is what ``_same_product`` reads as long as nothing of these is
    filtered out (a mention of the report's own case, or of a later report); if anything is,
    the caller reads instead (``newest`` gives None), so the candidates are always those
    the read gives.

    Anything the writer cannot follow empties it until the next ``start``: a document stored
    on its own (a revision may remove vulnerabilities), a rolled-back run, and anything that
    may have been written by others since the last run (``Untouched``). Only for SQLite
    workspaces: on a team server other writers commit at any time."""

    LIMIT = 200_000  # mentions kept (a few tens of MB at most); then it starts over

    def __init__(self) -> None:
        self.bound: int | None = None  # None: not usable until ``start``
        self.stored: dict[str, list[Mention]] = {}
        self.added: dict[str, deque[Mention]] = {}
        # Of each name's mentions, kept or ever added: the newest report and every case. What
        # ``newest`` would filter out is then told without looking at each mention.
        self.top: dict[str, int] = {}
        self.cases: dict[str, set[int]] = {}
        self.count = 0
        self.untouched = Untouched()  # since the last run

    def reset(self) -> None:
        self.bound = None
        self.stored.clear()
        self.added.clear()
        self.top.clear()
        self.cases.clear()
        self.count = 0
        self.untouched.clear()

    def start(self, s: Session) -> None:
        """Before a run writes anything: forget everything if anything may have been written
        since the last run, and fix ``bound`` if it is not."""
        if not self.untouched.holds(s):
            self.reset()
        if self.bound is None and s.get_bind().dialect.name == "sqlite":
            [(top,)] = _MAX_PRODUCT_ID.all(s, {})
            self.bound = (top or 0) + 1

    def finish(self, s: Session) -> None:
        """After a run wrote everything."""
        if self.bound is not None:
            self.untouched.mark(s)

    def add(self, report_id: int, case_id: int, products: Sequence[Sequence[Any]]) -> None:
        """A report's affected products as inserted, in order (``rows.prepared(doc).products``
        of one vulnerability after another: name second, name key last)."""
        if self.bound is None:
            return
        for p in products:
            key = p[-1]
            if key:
                kept = self.added.get(key)
                if kept is None:
                    kept = self.added[key] = deque(maxlen=MENTIONS_PER_PRODUCT)
                kept.append((report_id, case_id, p[1]))
                self._note(key, report_id, case_id)
                self.count += 1
        if self.count > self.LIMIT:
            self.reset()

    def _note(self, name: str, report_id: int, case_id: int) -> None:
        if report_id > self.top.get(name, -1):
            self.top[name] = report_id
        cases = self.cases.get(name)
        if cases is None:
            self.cases[name] = {case_id}
        else:
            cases.add(case_id)

    def newest(
        self, s: Session, names: Sequence[str], case_id: int, before: int
    ) -> list[Mention] | None:
        """What ``_same_product`` reads for these names, in its order; None if it must be
        read: when it would leave out a mention (of the report's own case, or by a report
        not older than it), which ``top`` and ``cases`` tell at once. They may still count
        a mention that fell out of ``added``, which makes it read when it need not: never
        the other way round."""
        if self.bound is None:
            return None
        missing = [n for n in names if n not in self.stored]
        if missing:
            self._read(s, missing)
        found: list[Mention] = []
        top, cases, added = self.top, self.cases, self.added
        for name in names:
            if top.get(name, -1) >= before or case_id in cases.get(name, ()):
                return None
            mine = added.get(name)
            if mine:
                newest = [*reversed(mine), *self.stored[name]]
                found += newest[:MENTIONS_PER_PRODUCT]
            else:
                found += self.stored[name]  # read with MENTIONS_PER_PRODUCT at most
        return found

    def _read(self, s: Session, names: list[str]) -> None:
        for name in names:
            self.stored[name] = read = _STORED_MENTIONS.all(s, {"name": name, "bound": self.bound})
            for report_id, case_id, _name in read:
                self._note(name, report_id, case_id)


def rows_for(
    s: Session,
    report_id: int,
    case_id: int,
    c: Compared,
    known: KnownTexts | None = None,
    mentions: KnownMentions | None = None,
    shares: bool = True,
) -> list[dict[str, object]]:
    """``candidate_rows`` for what the report is compared by (``compared``); ``known``: texts
    of reports already in memory; ``mentions``: product mentions in memory; ``shares``:
    False when it is known to share no identifier or document id (``may_share``)."""
    shared = _shared_identifiers(s, report_id, case_id, c) if shares else []
    if not c.names:
        return shared
    found = None if mentions is None else mentions.newest(s, c.names, case_id, report_id)
    if found is None:
        # Statements for a few sizes only (compiling one for each count of names cost the
        # writer more than the look-ups of a thousand documents); the spare names are NULL,
        # which no name equals.
        size = next(b for b in _NAME_BUCKETS if b >= len(c.names))
        params: dict[str, object] = {f"name{i}": None for i in range(size)}
        params.update((f"name{i}", name) for i, name in enumerate(c.names))
        found = _same_product(size).all(s, {**params, "case_id": case_id, "before": report_id})
    # Report id -> its first mention, for the newest reports, newest first. Made in C
    # (mentions reversed, so that the first of a report's is the one a dictionary keeps):
    # a new case's look-up goes through a hundred mentions or more.
    first = dict(zip(map(_REPORT_OF, reversed(found)), reversed(found), strict=True))
    newest = sorted(first, reverse=True)[:MAX_COMPARED]
    if not newest:
        return []
    texts: dict[int, str] = {}
    if known is not None:
        get = known.get
        texts = {rid: t for rid in newest if (t := get(rid)) is not None}
    missing = [rid for rid in newest if rid not in texts] if len(texts) < len(newest) else []
    if missing:
        texts.update((rid, _text(t, d)) for rid, t, d in _TEXTS.all(s, {"ids": missing}))
    best: dict[int, tuple[float, str]] = {}
    for rid in newest:
        _rid, other_id, product = first[rid]
        score = _alike(c.text, texts[rid])
        if score >= THRESHOLD and score > best.get(other_id, (0.0, ""))[0]:
            best[other_id] = (score, product)
    taken = {int(str(r["other_case_id"])) for r in shared}
    ranked = [kv for kv in sorted(best.items(), key=lambda kv: -kv[1][0]) if kv[0] not in taken][
        : max(0, MAX_CANDIDATES - len(shared))
    ]
    return shared + [
        {
            "report_id": report_id,
            "other_case_id": other_case_id,
            "score": round(score, 1),
            "reason": _("same product {product}; text {score}% alike").format(
                product=product[:200], score=round(score)
            ),
        }
        for other_case_id, (score, product) in ranked
    ]


@functools.lru_cache(maxsize=1024)
def _alike(mine: str, other: str) -> float:
    """How alike two compared texts read. Each pair is compared once: republished and
    reworded advisories often read the same, and a feed's new cases are compared with the
    same few texts again and again (a few MB of texts at most, forgotten on lock)."""
    return fuzz.token_set_ratio(mine, other, processor=None)


memos.register(_alike.cache_clear)


def _keys(name: str, vendor: str | None) -> list[str]:
    """The compared forms of a product name: without its vendor, and without one or two
    leading words (a vendor named in the name but not given as the vendor)."""
    key = product_key(name, vendor)
    words = key.split()
    out = [key] if key else []
    for drop in (1, 2):
        if len(words) - drop >= 2:
            out.append(" ".join(words[drop:]))
    return out


def _shared_identifiers(
    s: Session, report_id: int, case_id: int, c: Compared
) -> list[dict[str, object]]:
    """Candidates that share a CVE, GHSA or other identifier, or the document id, with the
    report: the strongest sign of one issue reported twice, proposed whatever the text."""
    found: dict[int, str] = {}
    if c.values or c.document_id:
        params: dict[str, Any] = {"document_id": c.document_id, "before": report_id}
        rows = _SHARED.all(s, {**params, "values": c.values})
        for _part, other, value in sorted(rows, key=lambda r: r[0]):
            if other is not None and other != case_id and len(found) < MAX_CANDIDATES:
                found.setdefault(other, str(value))
    return [
        {
            "report_id": report_id,
            "other_case_id": other,
            "score": 100.0,
            "reason": _("shares {identifier}").format(identifier=value[:200]),
        }
        for other, value in found.items()
    ]


@dataclass(frozen=True)
class Side:
    case_key: str
    title: str
    description: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CandidateInfo:
    id: int
    state: str
    score: float
    reason: str
    report_id: int
    created_at: datetime
    new: Side
    existing: Side

    def as_json(self) -> dict[str, object]:
        def side(x: Side) -> dict[str, object]:
            return {"case": x.case_key, "title": x.title, "sources": list(x.sources)}

        return {
            "id": self.id,
            "state": self.state,
            "score": self.score,
            "reason": self.reason,
            "report_id": self.report_id,
            "created_at": self.created_at.isoformat(),
            "new": side(self.new),
            "existing": side(self.existing),
        }


def _side(s: Session, case: Case) -> Side:
    reports = s.execute(
        select(Report.source, Report.format, Report.document_id, Report.title)
        .where(Report.case_id == case.id)
        .order_by(Report.id)
    ).all()
    sources = tuple(f"{src}/{fmt}: {doc or title}" for src, fmt, doc, title in reports)
    return Side(case.key, case.title, case.description, sources)


def _info(s: Session, c: DuplicateCandidate) -> CandidateInfo:
    report = s.get(Report, c.report_id)
    other = s.get(Case, c.other_case_id)
    assert report is not None and other is not None
    own = s.get(Case, report.case_id) if report.case_id is not None else None
    new = (
        _side(s, own)
        if own is not None
        else Side("-", report.title, report.description, (report.source,))
    )
    if own is not None:  # show the report itself, which is what was compared
        new = Side(new.case_key, report.title, report.description, new.sources)
    return CandidateInfo(
        c.id, c.state, c.score, c.reason, c.report_id, c.created_at, new, _side(s, other)
    )


def list_candidates(s: Session, state: str | None = "open") -> list[CandidateInfo]:
    q = select(DuplicateCandidate).order_by(DuplicateCandidate.id)
    if state:
        q = q.where(DuplicateCandidate.state == state)
    return [_info(s, c) for c in s.scalars(q)]


def get_candidate(s: Session, candidate_id: int) -> CandidateInfo:
    return _info(s, _candidate(s, candidate_id))


def _candidate(s: Session, candidate_id: int) -> DuplicateCandidate:
    c = s.get(DuplicateCandidate, candidate_id)
    if c is None:
        raise NotFound(_("no duplicate candidate {id}").format(id=candidate_id))
    return c


def _decide(s: Session, actor: Actor, candidate_id: int, state: str) -> DuplicateCandidate:
    c = _candidate(s, candidate_id)
    if c.state != "open":
        raise AccordError(
            _("duplicate candidate {id} is already {state}").format(id=candidate_id, state=c.state)
        )
    c.state = state
    c.decided_by_id = actor.id or None
    c.decided_at = utcnow()
    return c


def _mark_duplicate(s: Session, actor: Actor, case: Case, other: Case, reason: str) -> None:
    if case.status == CaseStatus.DUPLICATE:
        return
    if not workflow.is_allowed(case.status, CaseStatus.DUPLICATE):
        raise AccordError(
            _("cannot mark {key} as a duplicate from state {state}").format(
                key=case.key, state=case.status.value
            )
        )
    src = case.status
    case.status = CaseStatus.DUPLICATE
    case.updated_at = utcnow()
    audit.record(
        s,
        actor,
        "case.transition",
        "case",
        case.id,
        case_key=case.key,
        details={"from": src.value, "to": "duplicate", "reason": reason, "duplicate_of": other.key},
    )


def dismiss(s: Session, actor: Actor, candidate_id: int) -> CandidateInfo:
    """Not a duplicate: the candidate is closed, both cases stay as they are."""
    c = _decide(s, actor, candidate_id, "dismissed")
    audit.record(
        s,
        actor,
        "duplicate.dismiss",
        "duplicate_candidate",
        c.id,
        details={"report_id": c.report_id, "other_case_id": c.other_case_id},
    )
    return _info(s, c)


def _cases(s: Session, c: DuplicateCandidate) -> tuple[Case, Case]:
    report = s.get(Report, c.report_id)
    other = s.get(Case, c.other_case_id)
    if report is None or report.case_id is None or other is None:
        raise NotFound(_("duplicate candidate {id} no longer has both sides").format(id=c.id))
    own = s.get(Case, report.case_id)
    assert own is not None
    if own.id == other.id:
        raise UsageError(_("both sides are already the same case {key}").format(key=own.key))
    return own, other


def confirm(s: Session, actor: Actor, candidate_id: int) -> CandidateInfo:
    """A duplicate: the newer case is marked duplicate of the other; reports stay where they are."""
    c = _decide(s, actor, candidate_id, "confirmed")
    own, other = _cases(s, c)
    _mark_duplicate(s, actor, own, other, _("duplicate of {key}").format(key=other.key))
    audit.record(
        s,
        actor,
        "duplicate.confirm",
        "duplicate_candidate",
        c.id,
        case_key=own.key,
        details={"report_id": c.report_id, "duplicate_of": other.key},
    )
    return _info(s, c)


def merge(s: Session, actor: Actor, candidate_id: int) -> CandidateInfo:
    """Move every report, vulnerability and attachment of the newer case into the other one,
    keeping each report's source, raw original and revisions; the emptied case is marked
    duplicate and points at the survivor in its audit trail."""
    c = _decide(s, actor, candidate_id, "merged")
    own, other = _cases(s, c)
    moved = [r.id for r in s.scalars(select(Report).where(Report.case_id == own.id))]
    for r in s.scalars(select(Report).where(Report.case_id == own.id)):
        r.case_id = other.id
    for v in s.scalars(select(Vulnerability).where(Vulnerability.case_id == own.id)):
        v.case_id = other.id
    for a in s.scalars(select(Attachment).where(Attachment.case_id == own.id)):
        a.case_id = other.id
    s.flush()
    _mark_duplicate(s, actor, own, other, _("merged into {key}").format(key=other.key))
    other.updated_at = utcnow()
    search.reindex(s, own)
    search.reindex(s, other)
    audit.record(
        s,
        actor,
        "case.merge",
        "case",
        other.id,
        case_key=other.key,
        details={"from": own.key, "reports": moved, "candidate": c.id},
    )
    return _info(s, c)
