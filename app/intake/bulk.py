"""Storing a run of new documents together.

Most documents of a big import are new: bytes never seen, a document id never seen. A run of
them is planned in memory (which case each lands in, which are exact duplicates) from three
look-ups for the whole run, then written with one multi-row insert per table instead of a
dozen statements each. The outcome of every document is the one ``store.store_document``
gives when the same documents are stored one by one, in order.

A document that needs more (a known document id: a revision, a late earlier revision, a
republication) ends the run and is stored by ``store_document`` alone. The caller writes a
run inside one SAVEPOINT and, if it fails, rolls it back and stores its documents one by one,
so that a bad document is still refused alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import cases
from app.identity.actor import Actor
from app.intake import dedup, rows
from app.intake.model import ParsedDoc
from app.intake.store import StoreOutcome, cases_by_identifier, known_shas
from app.queueing import search
from app.workspaces.driver import ListQuery, Untouched
from i18n import _
from models import Case, Report, utcnow

MAX_RUN = 100
MAX_RUN_BYTES = 32 * 2**20  # a run of big files is shorter: its documents stay in memory

_KNOWN_DOCUMENT_IDS = ListQuery(
    lambda listed: select(Report.document_id, Report.format).where(
        Report.document_id.in_(listed("document_ids"))
    ),
    ["document_ids"],
)


class KnownDocuments:
    """The search documents (``search.CaseTexts``) of the stored cases an import's runs add
    reports to, written once per batch (``write``, before it commits) instead of once per
    run: a case that gathers hundreds of reports in a big import had its whole document
    composed and full-text indexed again by every run that added one, at a cost that grew
    with the case (at 10,000 documents, 511 rewrites of 3.6 MB of text became 116 of 1.0 MB).

    What a case's document is made of is read once, when it is first written; after that
    each run appends the texts of the reports it adds, as it inserted them. The texts are
    kept as long as ``dedup.KnownMentions`` keeps its mentions: emptied when the writer
    stores a document on its own or rolls a run back, and when others may have written
    (``Untouched``). The cases owed a document are kept through that: their texts are then
    read again when it is written. Until ``write``, nothing in the import's transaction reads
    these documents (a document stored on its own reindexes its case from the rows)."""

    LIMIT = 2_000  # cases kept; then it starts over

    def __init__(self) -> None:
        self.texts: dict[int, search.CaseTexts] = {}
        self.owed: set[int] = set()  # cases whose document the batch has not written yet
        self.untouched = Untouched()

    def reset(self) -> None:
        self.texts.clear()
        self.untouched.clear()

    def start(self, s: Session) -> None:
        if not self.untouched.holds(s):
            self.texts.clear()

    def finish(self, s: Session) -> None:
        self.untouched.mark(s)

    def added(self, case_id: int, docs: Sequence[ParsedDoc]) -> None:
        """A run inserted the rows of ``docs`` into the stored case ``case_id``."""
        texts = self.texts.get(case_id)
        if texts is not None:
            for doc in docs:  # as rows.py inserted them
                prep = rows.prepared(doc)
                texts.reports += [doc.title[:500], doc.description]
                texts.document_ids.append(doc.document_id)
                texts.report_identifiers += [value for _scheme, value in prep.identifiers]
                texts.cves += [v.cve for v in doc.vulns]
                texts.products += [x for v in prep.products for p in v for x in (p[1], p[2], p[6])]
        self.owed.add(case_id)

    def write(self, s: Session) -> None:
        """Write the documents owed, before the transaction commits."""
        if self.owed:
            owed = sorted(self.owed)
            search.reindex_cases(s, owed, lambda case: self.of(s, case))
            self.owed.clear()

    def of(self, s: Session, case: Case | search.Head) -> search.CaseTexts:
        """The texts of ``case`` as its rows are now."""
        texts = self.texts.get(case.id)
        if texts is None:
            if len(self.texts) >= self.LIMIT:
                self.texts.clear()
            texts = self.texts[case.id] = search.case_texts(s, case)
        return texts


@dataclass(frozen=True)
class Item:
    """One document of one file, in import order."""

    path: str
    doc: ParsedDoc


@dataclass
class _Planned:
    item: Item
    sha: str
    duplicate: bool = False
    existing: tuple[int, str] | None = None  # the stored case it lands in (id, key)
    opens: int | None = None  # else the index of the new case it opens or lands in


def _title(doc: ParsedDoc) -> str:
    return doc.title or _("untitled report")


def _values(doc: ParsedDoc) -> list[str]:
    return [v for _scheme, v in rows.prepared(doc).identifiers]


def _held(doc: ParsedDoc) -> list[str]:
    """The identifier values and CVE ids of ``doc`` as its rows hold them."""
    return [*_values(doc), *(v.cve for v in doc.vulns if v.cve)]


def _lookups(
    s: Session, items: Sequence[Item], shas: list[str]
) -> tuple[set[str], set[tuple[str, str]], dict[str, tuple[int, int, str]]]:
    """Known bytes, known (document id, format) pairs, and for each identifier the oldest
    stored report that has it: (report id, its case id, the case key)."""
    document_ids = sorted({i.doc.document_id for i in items if i.doc.document_id})
    known_ids: set[tuple[str, str]] = set()
    if document_ids:
        found = _KNOWN_DOCUMENT_IDS.all(s, {"document_ids": document_ids})
        known_ids = {(d, f) for d, f in found if d is not None}
    values = sorted({v for i in items for v in _values(i.doc)})
    return known_shas(s, shas), known_ids, cases_by_identifier(s, values)


def plan(s: Session, items: Sequence[Item]) -> list[_Planned]:
    """The longest leading run of ``items`` that can be written together, planned."""
    shas = [rows.prepared(i.doc).sha for i in items]
    known_shas, known_ids, stored = _lookups(s, items, shas)
    planned: list[_Planned] = []
    seen_shas: set[str] = set()
    seen_ids: set[tuple[str, str]] = set()
    # Identifier -> where the first document of the run that has it landed: its position,
    # and the stored case (id, key) or the index of the new case.
    in_run: dict[str, tuple[int, tuple[int, str] | int]] = {}
    opened = 0
    for position, (item, sha) in enumerate(zip(items, shas, strict=True)):
        doc = item.doc
        if sha in known_shas or sha in seen_shas:
            planned.append(_Planned(item, sha, duplicate=True))
            continue
        if doc.document_id and (
            (doc.document_id, doc.format) in known_ids or (doc.document_id, doc.format) in seen_ids
        ):
            break  # a revision or a republication: store_document decides
        if not _title(doc).strip():
            break  # refused by cases.open_case, alone
        values = _values(doc)
        # The case of the oldest report sharing an identifier: a stored report is older than
        # any of this run, and among the run's the first one is the oldest.
        oldest_stored = [stored[v] for v in values if v in stored]
        earlier = [in_run[v] for v in values if v in in_run]
        target: tuple[int, str] | int
        if oldest_stored:
            target = min(oldest_stored)[1:]
        elif earlier:
            target = min(earlier, key=lambda e: e[0])[1]
        else:
            target = opened
            opened += 1
        p = _Planned(item, sha)
        if isinstance(target, int):
            p.opens = target
        else:
            p.existing = target
        for v in values:
            in_run.setdefault(v, (position, target))
        seen_shas.add(sha)
        if doc.document_id:
            seen_ids.add((doc.document_id, doc.format))
        planned.append(p)
    return planned


def write(
    s: Session,
    actor: Actor,
    planned: Sequence[_Planned],
    source: str,
    now: datetime | None = None,
    known: dedup.KnownTexts | None = None,
    mentions: dedup.KnownMentions | None = None,
    documents: KnownDocuments | None = None,
) -> list[StoreOutcome]:
    """Write a planned run; returns each document's outcome, in order. ``known``: compared
    texts of reports stored before, to which the run's are added (pending); ``mentions``:
    product mentions of reports stored before, to which the run's are added; ``documents``:
    the search documents of stored cases, owed the run's reports (written by its ``write``)."""
    at = now or utcnow()
    if mentions is not None:
        mentions.start(s)  # before the run writes anything
    if documents is not None:
        documents.start(s)
    stored = [p for p in planned if not p.duplicate]
    openers: dict[int, _Planned] = {}
    for p in stored:
        if p.opens is not None:
            openers.setdefault(p.opens, p)
    reports: dict[int, list[ParsedDoc]] = {n: [] for n in openers}
    for p in stored:
        if p.opens is not None:
            reports[p.opens].append(p.item.doc)
    order = sorted(openers)
    opened = cases.open_cases(
        s,
        actor,
        [
            cases.NewCase(
                _title(openers[n].item.doc),
                openers[n].item.doc.description[:20000],
                indexed=rows.case_search_text(openers[n].item.doc, reports[n]),
            )
            for n in order
        ],
        created_at=at,
    )
    new_cases = dict(zip(order, opened, strict=True))

    def case_of(p: _Planned) -> tuple[int, str]:
        if p.existing is not None:
            return p.existing
        assert p.opens is not None
        return new_cases[p.opens]

    scores = [rows.prepared(p.item.doc).scores for p in stored]
    warnings = [[*p.item.doc.warnings, *sc.warnings] for p, sc in zip(stored, scores, strict=True)]
    report_rows = [
        rows.report_row(p.item.doc, p.sha, p.item.path, source, case_of(p)[0], w)
        for p, w in zip(stored, warnings, strict=True)
    ]
    report_ids = rows.INSERT_REPORTS.run(s, report_rows)
    _write_children(s, stored, scores, report_ids, case_of)
    joined: dict[int, list[ParsedDoc]] = {}
    for p in stored:
        if p.existing is not None:
            joined.setdefault(p.existing[0], []).append(p.item.doc)
    if documents is None:
        search.reindex_cases(s, sorted(joined))
    else:  # written before the batch commits (``KnownDocuments.write``)
        for case_id, docs in joined.items():
            documents.added(case_id, docs)
    if known is not None:  # later reports of the run are compared with earlier ones
        for p, report_id in zip(stored, report_ids, strict=True):
            known.add(report_id, rows.prepared(p.item.doc).compared.text)
    near: list[int] = []
    candidates: list[dict[str, object]] = []
    opening = [p.opens is not None and openers[p.opens] is p for p in stored]
    sharing = dedup.may_share(
        s,
        [
            (report_id, rows.prepared(p.item.doc).compared, _held(p.item.doc), opens)
            for p, report_id, opens in zip(stored, report_ids, opening, strict=True)
        ],
    )
    for p, report_id, opens in zip(stored, report_ids, opening, strict=True):
        found: list[dict[str, object]] = []
        prep = rows.prepared(p.item.doc)
        if opens:  # it opened its case
            shares = sharing is None or report_id in sharing
            found = dedup.rows_for(
                s, report_id, case_of(p)[0], prep.compared, known, mentions, shares
            )
        if mentions is not None:  # later reports of the run see its products
            mentions.add(report_id, case_of(p)[0], [x for v in prep.products for x in v])
        near.append(len(found))
        candidates += found
    if candidates:
        dedup.INSERT_CANDIDATES.run(s, candidates)
    audit.record_all(
        s,
        actor,
        [
            audit.Event(
                "report.import",
                "report",
                report_id,
                case_key=case_of(p)[1],
                details={
                    "format": p.item.doc.format,
                    "source": source,
                    "new_case": opens,
                    "warnings": len(w),
                    "near_duplicates": n,
                },
            )
            for p, report_id, w, n, opens in zip(
                stored, report_ids, warnings, near, opening, strict=True
            )
        ],
    )
    if mentions is not None:
        mentions.finish(s)
    if documents is not None:
        documents.finish(s)
    outcomes = iter(
        StoreOutcome("imported", report_id, case_of(p)[1], sc.disagreeing, n)
        for p, report_id, sc, n in zip(stored, report_ids, scores, near, strict=True)
    )
    return [
        StoreOutcome("duplicate", None, None) if p.duplicate else next(outcomes) for p in planned
    ]


def _write_children(
    s: Session,
    stored: Sequence[_Planned],
    scores: Sequence[rows.Scores],
    report_ids: Sequence[int],
    case_of: Callable[[_Planned], tuple[int, str]],
) -> None:
    """Identifiers, attachments, vulnerabilities, affected products and references of the
    run's reports, one multi-row insert per table."""
    identifiers: list[tuple[Any, ...]] = []
    attachments: list[rows.Row] = []
    vulns: list[rows.Row] = []
    for p, sc, report_id in zip(stored, scores, report_ids, strict=True):
        case_id = case_of(p)[0]
        identifiers += rows.identifier_rows(report_id, p.item.doc)
        attachments += rows.attachment_rows(report_id, case_id, p.item.doc)
        vulns += rows.vuln_rows(report_id, case_id, p.item.doc, sc)
    if identifiers:
        rows.INSERT_IDENTIFIERS.run(s, identifiers)
    if attachments:
        rows.INSERT_ATTACHMENTS.run(s, attachments)
    if not vulns:
        return
    vuln_ids = iter(rows.INSERT_VULNS.run(s, vulns))
    products: list[tuple[Any, ...]] = []
    refs: list[tuple[Any, ...]] = []
    for p in stored:
        mine = [next(vuln_ids) for _v in p.item.doc.vulns]
        products += rows.product_rows(mine, p.item.doc)
        refs += rows.reference_rows(mine, p.item.doc)
    if products:
        rows.INSERT_PRODUCTS.run(s, products)
    if refs:
        rows.INSERT_REFERENCES.run(s, refs)
