"""Full-text search over cases and their reports, in SQL on both backends."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, and_, column, func, insert, select, table
from sqlalchemy.orm import Session

from models import AffectedProduct, Case, CaseSearch, Identifier, Report, Vulnerability

_TOKEN = re.compile(r"\w+", re.UNICODE)
_KEY = re.compile(r"^\s*([A-Za-z]{2,10}-\d{4}(?:-\d{0,6})?)\s*$")
# The FTS5 shadow of case_search (created by the first migration, SQLite only).
_FTS = table("case_fts", column("rowid"), column("case_fts"))
_INSERT = insert(CaseSearch)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)[:12]


def case_filter(dialect: str, text: str) -> ColumnElement[bool] | None:
    """A predicate on ``Case.id`` matching every word of ``text`` (prefix match on the last).

    Text shaped like a case key (``ACC-2026-01``) matches case keys by prefix instead: the
    words of a key occur in every document, so as full text it would match nearly all.
    """
    key = _KEY.match(text)
    if key:
        prefix = key.group(1).upper()
        if dialect == "sqlite":  # a range walks the unique index on the key
            return and_(Case.key >= prefix, Case.key < prefix + "\U0010ffff")
        by_key: ColumnElement[bool] = Case.key.startswith(prefix, autoescape=True)
        return by_key
    words = tokens(text)
    if not words:
        return None
    if dialect == "sqlite":
        query = " ".join(f'"{w}"*' for w in words)
        fts = _FTS.c.rowid
        return Case.id.in_(select(fts).where(_FTS.c.case_fts.op("MATCH")(query)))
    query = " & ".join(f"{w}:*" for w in words)
    match = select(CaseSearch.case_id).where(
        func.to_tsvector("simple", CaseSearch.document).op("@@")(func.to_tsquery("simple", query))
    )
    return Case.id.in_(match)


def _compose(parts: list[str]) -> str:
    return "\n".join(p for p in parts if p)


def document_for(session: Session, case: Case) -> str:
    """The case's key, title and description, then each report's title and description."""
    parts = [case.key, case.title, case.description]
    for title, desc in session.execute(
        select(Report.title, Report.description)
        .where(Report.case_id == case.id)
        .order_by(Report.id)
    ):
        parts += [title, desc]
    return _compose(parts + _edited_terms(session, case))


def _edited_terms(session: Session, case: Case) -> list[str]:
    """What analysts set on the case itself (app/casework): its own identifiers, and the
    names, vendors and purls of its affected products."""
    out = list(
        session.scalars(
            select(Identifier.value).where(Identifier.case_id == case.id).order_by(Identifier.id)
        )
    )
    for name, vendor, purl in session.execute(
        select(AffectedProduct.name, AffectedProduct.vendor, AffectedProduct.purl)
        .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
        .where(Vulnerability.case_id == case.id)
        .order_by(AffectedProduct.id)
    ):
        out += [name, vendor or "", purl or ""]
    return out


def index_new(session: Session, documents: list[tuple[int, tuple[str, ...]]]) -> None:
    """The search documents of cases opened in this transaction, in one insert: for each
    case id, its key, title and description, then the title and description of each report
    it is opened for, as ``reindex`` would compose them, without reading anything back."""
    session.execute(
        _INSERT,
        [{"case_id": case_id, "document": _compose(list(texts))} for case_id, texts in documents],
    )


def reindex(session: Session, case: Case) -> None:
    """Refresh a case's search document (triggers keep FTS5 in step in SQLite)."""
    doc = document_for(session, case)
    row = session.get(CaseSearch, case.id)
    if row is None:
        session.add(CaseSearch(case_id=case.id, document=doc))
    elif row.document != doc:
        row.document = doc
