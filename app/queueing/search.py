"""Full-text search over cases and their reports, in SQL on both backends.

A case's search document holds its key, title and description, each report's title and
description, and the identifiers a coordinator searches by: CVE, GHSA and vendor ids,
document ids (CSAF tracking ids), product names, vendors and purls.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    column,
    func,
    select,
    table,
    union,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.workspaces import memos
from app.workspaces.driver import DriverQuery, ListQuery, RowsInsert
from models import AffectedProduct, Case, CaseSearch, Identifier, Report, Vulnerability

_TOKEN = re.compile(r"\w+", re.UNICODE)
_WORD = re.compile(r"[^\W_]", re.UNICODE)
# Punctuation becomes a space in documents and queries alike: PostgreSQL's parser reads
# "CVE-2026-41234" as 'cve', '-2026', '-41234' and a purl as a file path, so the words of an
# identifier only match as the same words when neither side keeps the punctuation.
_PUNCT = re.compile(r"[^\w\s]+|_+", re.UNICODE)
# This workspace's case keys (app.casework.cases.next_key): matched by key prefix, not as text.
_KEY = re.compile(r"^\s*(ACC-\d{4}(?:-\d{0,6})?)\s*$", re.IGNORECASE)
# One word joined by punctuation (CVE-2026-41234, HLX-SA-2026-017, pkg:pypi/x@1.0): an
# identifier, looked up exactly as well as found as a phrase in the search documents.
_IDENTIFIER = re.compile(r"^[\w.:/@+#~-]*\w[-.:/@+#~][\w.:/@+#~-]*$", re.UNICODE)
_MAX_TERMS = 12
# The FTS5 shadow of case_search (created by the first migration, SQLite only).
_FTS = table("case_fts", column("rowid"), column("case_fts"))
_INSERT = RowsInsert(CaseSearch.__table__)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)[:_MAX_TERMS]


def terms(text: str) -> list[str]:
    """The whitespace-separated terms of a query that hold a word character."""
    return [t for t in text.split() if _WORD.search(t)][:_MAX_TERMS]


def is_identifier(text: str) -> bool:
    """True for a single punctuated word such as ``CVE-2026-41234`` or a purl."""
    text = text.strip()
    return 0 < len(text) <= 300 and bool(_IDENTIFIER.match(text))


def case_filter(dialect: str, text: str) -> ColumnElement[bool] | None:
    """A predicate on ``Case.id`` matching every term of ``text``; a term is a phrase of its
    words (``CVE-2026-41234`` is "CVE 2026 41234"), its last word matched by prefix.

    Text shaped like a case key (``ACC-2026-01``) matches case keys by prefix instead: the
    words of a key occur in every document, so as full text it would match nearly all. An
    identifier (``CVE-2026-41234``, ``HLX-SA-2026-017``) also matches the reports that carry
    it exactly (indexed), so cases indexed before identifiers were added are found too.
    """
    key = _KEY.match(text)
    if key:
        prefix = key.group(1).upper()
        if dialect == "sqlite":  # a range walks the unique index on the key
            return and_(Case.key >= prefix, Case.key < prefix + "\U0010ffff")
        by_key: ColumnElement[bool] = Case.key.startswith(prefix, autoescape=True)
        return by_key
    words = terms(text)
    if not words:
        return None
    if dialect == "sqlite":
        query = " ".join('"' + " ".join(tokens(w)) + '"*' for w in words)
        fts = select(_FTS.c.rowid.label("case_id")).where(_FTS.c.case_fts.op("MATCH")(query))
    else:
        tsquery = _pg_phrase(words[0])
        for word in words[1:]:
            tsquery = tsquery.op("&&")(_pg_phrase(word))
        vector = func.to_tsvector("simple", CaseSearch.document)
        # As a scalar subquery the server parses the query once (an InitPlan); inline, a
        # sequential scan (the planner's choice on a small table) re-parsed it for every row.
        once = select(tsquery).scalar_subquery()
        fts = select(CaseSearch.case_id).where(vector.op("@@")(once))
    if not is_identifier(text):
        return Case.id.in_(fts)
    return Case.id.in_(union(fts, *_exact(text.strip())))


def plain(text: str) -> str:
    """``text`` with punctuation replaced by spaces, as search documents are stored."""
    return _PUNCT.sub(" ", text)


def _pg_phrase(word: str) -> ColumnElement[object]:
    """One term as a PostgreSQL phrase with a prefix on its last lexeme, parsed by the
    server as the documents are (its lexemes are not quite Python's words)."""
    phrase = cast(func.phraseto_tsquery("simple", plain(word)), Text)
    return cast(phrase.concat(":*"), TSQUERY)


def _exact(value: str) -> list[Select[Any]]:
    """Cases with a report, vulnerability or own identifier ``value`` (indexed)."""
    norm = value.upper()
    return [
        select(Report.case_id)
        .join(Identifier, Identifier.report_id == Report.id)
        .where(Identifier.value == norm, Report.case_id.is_not(None)),
        select(Report.case_id).where(Report.document_id == value, Report.case_id.is_not(None)),
        select(Vulnerability.case_id).where(Vulnerability.cve == norm),
        # Identifiers an analyst set on the case itself (no report).
        select(Identifier.case_id).where(Identifier.value == norm, Identifier.case_id.is_not(None)),
    ]


# A case is reindexed whenever a report lands in it: during an import the same report texts
# go through ``plain`` again and again (a case of many reports costs more each time).
_plain_again = functools.lru_cache(maxsize=4096)(plain)
memos.register(_plain_again.cache_clear)


def _compose(parts: Iterable[str | None], plained: Iterable[str] = ()) -> str:
    """The parts as one document, each ``plain``; ``plained``: more parts already ``plain``.

    A part that repeats an earlier one is left out: a case opened for a report has the
    report's title and description as its own, and full-text indexing (in the single intake
    writer) cost twice as much for words that find nothing more. Search is a filter with no
    ranking, so a repeated part never changed what a query finds."""
    return "\n".join(dict.fromkeys([*(_plain_again(p) for p in parts if p), *plained]))


# What a case's search document is made of, read with statements built once (a case is
# reindexed whenever a report lands in it, thousands of times in a big import).
_CASE: BindParameter[int] = bindparam("case_id", type_=Integer)
_REPORT_TEXTS = (
    select(Report.title, Report.description, Report.document_id)
    .where(Report.case_id == _CASE)
    .order_by(Report.id)
)
_REPORT_IDENTIFIERS = (
    select(Identifier.value)
    .join(Report, Report.id == Identifier.report_id)
    .where(Report.case_id == _CASE)
    .order_by(Identifier.id)
)
_CVES = select(Vulnerability.cve).where(Vulnerability.case_id == _CASE).order_by(Vulnerability.id)
# What analysts set on the case itself (app/casework): its own identifiers.
_CASE_IDENTIFIERS = (
    select(Identifier.value).where(Identifier.case_id == _CASE).order_by(Identifier.id)
)
_PRODUCTS = (
    select(AffectedProduct.name, AffectedProduct.vendor, AffectedProduct.purl)
    .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
    .where(Vulnerability.case_id == _CASE)
    .order_by(AffectedProduct.id)
)


# Text only: read on the driver's cursor, without SQLAlchemy's per-row work (a case of many
# reports has thousands of product rows, read again whenever a report lands in it).
_READ_REPORT_TEXTS = DriverQuery(_REPORT_TEXTS)
_READ_REPORT_IDENTIFIERS = DriverQuery(_REPORT_IDENTIFIERS)
_READ_CVES = DriverQuery(_CVES)
_READ_CASE_IDENTIFIERS = DriverQuery(_CASE_IDENTIFIERS)
_READ_PRODUCTS = DriverQuery(_PRODUCTS)


@dataclass(frozen=True)
class Head:
    """What a case's search document takes from the case itself (a ``Case`` has the same)."""

    id: int
    key: str
    title: str
    description: str


_HEADS = ListQuery(
    lambda listed: (
        select(Case.id, Case.key, Case.title, Case.description, CaseSearch.document)
        .outerjoin(CaseSearch, CaseSearch.case_id == Case.id)
        .where(Case.id.in_(listed("ids")))
        .order_by(Case.id)
    ),
    ["ids"],
)
_SEARCH: Table = CaseSearch.__table__  # type: ignore[assignment]
_SET_DOCUMENT = (
    update(_SEARCH).where(_SEARCH.c.case_id == bindparam("cid")).values(document=bindparam("doc"))
)


@dataclass
class CaseTexts:
    """What a case's search document is made of besides the case's own key, title and
    description, in the order ``document_for`` reads them: each report's title and
    description, then the document ids, the reports' identifiers, the CVE ids, the case's own
    identifiers and the name, vendor and purl of each affected product. A writer that adds
    reports to a case may append theirs (each list is in the order rows were inserted) instead
    of reading them all again."""

    reports: list[str | None] = field(default_factory=list)
    document_ids: list[str | None] = field(default_factory=list)
    report_identifiers: list[str | None] = field(default_factory=list)
    cves: list[str | None] = field(default_factory=list)
    case_identifiers: list[str | None] = field(default_factory=list)
    products: list[str | None] = field(default_factory=list)

    def document(self, case: Case | Head) -> str:
        found = [
            *self.document_ids,
            *self.report_identifiers,
            *self.cves,
            *self.case_identifiers,
            *self.products,
        ]
        return _compose(
            [case.key, case.title, case.description, *self.reports, *unique_texts(found)]
        )


def case_texts(session: Session, case: Case | Head) -> CaseTexts:
    """A case's ``CaseTexts``, read."""
    params = {"case_id": case.id}
    texts = CaseTexts()
    for title, desc, document_id in _READ_REPORT_TEXTS.all(session, params):
        texts.document_ids.append(document_id)
        texts.reports += [title, desc]
    texts.report_identifiers += [v for (v,) in _READ_REPORT_IDENTIFIERS.all(session, params)]
    texts.cves += [v for (v,) in _READ_CVES.all(session, params)]
    texts.case_identifiers += [v for (v,) in _READ_CASE_IDENTIFIERS.all(session, params)]
    for name, vendor, purl in _READ_PRODUCTS.all(session, params):
        texts.products += [name, vendor, purl]
    return texts


def document_for(session: Session, case: Case) -> str:
    """The case's key, title and description, each report's title and description, then
    the identifiers and products of its reports and vulnerabilities."""
    return case_texts(session, case).document(case)


def unique_texts(texts: Iterable[str | None]) -> list[str]:
    """Non-empty texts, each once (case-insensitively), in order of first appearance."""
    seen: set[str] = set()
    out: list[str] = []
    # The same product names come back once per mention: drop exact repeats first (the
    # first of each stays first).
    for text in dict.fromkeys(texts):
        key = (text or "").strip().casefold()
        if key and key not in seen:
            seen.add(key)
            out.append((text or "").strip())
    return out


def index_new(
    session: Session, documents: list[tuple[int, tuple[str, ...], tuple[str, ...]]]
) -> None:
    """The search documents of cases opened in this transaction, in one insert: for each
    case id, its key, title and description, then the title and description of each report
    it is opened for and their identifiers and products, as ``reindex`` would compose them,
    without reading anything back. The third part of each holds texts already ``plain`` and
    not empty (intake's parser processes prepare a report's)."""
    _write_documents(
        session, [(case_id, _compose(texts, plained)) for case_id, texts, plained in documents], []
    )


# FTS5 writes the terms it has gathered to disk as a new segment whenever a statement opens
# a savepoint (its xSavepoint), and SQLite opens one for each row an executemany inserts
# into a table with a trigger: one segment per case, merged again and again (two thirds of
# indexing a run of new cases). In SQLite all the rows go in one statement, one JSON array
# read by json_each: one segment per run, one statement prepared once for any number.
_INSERT_ALL = sql_text(
    "INSERT INTO case_search (case_id, document) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:rows)"
)
_UPDATE_ALL = sql_text(
    "UPDATE case_search SET document = given.document FROM "
    "(SELECT json_extract(value, '$[0]') AS case_id, json_extract(value, '$[1]') AS document "
    "FROM json_each(:rows)) AS given "
    "WHERE case_search.case_id = given.case_id"
)


def _write_documents(
    session: Session, missing: list[tuple[int, str]], changed: list[tuple[int, str]]
) -> None:
    """Insert the ``missing`` search documents and replace the ``changed`` ones, (case id,
    document) each."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        for statement, rows in ((_INSERT_ALL, missing), (_UPDATE_ALL, changed)):
            if rows:
                conn.execute(statement, {"rows": json.dumps(rows)})
        return
    _INSERT.run(session, [{"case_id": c, "document": d} for c, d in missing])
    if changed:
        conn.execute(_SET_DOCUMENT, [{"cid": c, "doc": d} for c, d in changed])


def reindex_cases(
    session: Session, case_ids: Sequence[int], texts_of: Callable[[Head], CaseTexts] | None = None
) -> None:
    """``reindex`` for many cases at once, read and written in a few statements: the intake
    writer refreshes every case its reports joined, and reading each case (and its search
    row) through the ORM cost it more than composing the documents. ``texts_of``: a case's
    ``CaseTexts`` as they are now, if the caller has them (else read)."""
    if not case_ids:
        return
    session.flush()  # pending ORM changes to these cases are part of what is read
    changed: list[tuple[int, str]] = []
    missing: list[tuple[int, str]] = []
    for case_id, key, title, description, stored in _HEADS.all(session, {"ids": case_ids}):
        head = Head(case_id, key, title, description)
        doc = (texts_of(head) if texts_of else case_texts(session, head)).document(head)
        if stored is None:
            missing.append((case_id, doc))
        elif stored != doc:
            changed.append((case_id, doc))
    _write_documents(session, missing, changed)
    for case_id, _doc in (*changed, *missing):  # what this session holds of them is stale now
        held = session.identity_map.get(identity_key(CaseSearch, case_id))
        if held is not None:
            session.expire(held)


def reindex(session: Session, case: Case, texts: CaseTexts | None = None) -> None:
    """Refresh a case's search document (triggers keep FTS5 in step in SQLite). Call it
    whenever a case's reports, identifiers, vulnerabilities or products change; ``texts``:
    its ``CaseTexts`` as they are now, if the caller has them."""
    doc = (texts or case_texts(session, case)).document(case)
    row = session.get(CaseSearch, case.id)
    if row is None:
        session.add(CaseSearch(case_id=case.id, document=doc))
    elif row.document != doc:
        row.document = doc
