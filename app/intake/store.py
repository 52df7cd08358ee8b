"""Store one parsed report in the caller's transaction: idempotence, revisions, the case it
lands in, its vulnerabilities with recomputed scores, and near-duplicate candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, func, select, union
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import cases
from app.identity.actor import Actor
from app.intake import dedup, ids, rows
from app.intake.model import ParsedDoc, Prepared
from app.intake.scores import Scored
from app.queueing import search
from app.workspaces.driver import ListQuery
from i18n import _
from models import (
    Assessment,
    Case,
    Identifier,
    Report,
    ReportRevision,
    StoredRawError,
    Vulnerability,
)


@dataclass(frozen=True)
class StoreOutcome:
    kind: str  # imported | updated | duplicate
    report_id: int | None
    case_key: str | None
    disagreements: tuple[Scored, ...] = ()
    near_duplicates: int = 0


def revision_key(rev: str | None) -> tuple[Any, ...]:
    """Order revisions: numbers and dotted versions numerically, dates as text."""
    if not rev:
        return ()
    parts = re.split(r"[.\-+T:Z ]", rev.strip())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _add_vulns(
    s: Session, report_id: int, case_id: int, doc: ParsedDoc, scores: rows.Scores
) -> None:
    """Vulnerabilities (one multi-row insert returning their ids in order), then their
    affected products and references, often hundreds per CSAF document."""
    vulns = rows.vuln_rows(report_id, case_id, doc, scores)
    if not vulns:
        return
    vuln_ids = rows.INSERT_VULNS.run(s, vulns)
    products = rows.product_rows(vuln_ids, doc)
    if products:
        rows.INSERT_PRODUCTS.run(s, products)
    refs = rows.reference_rows(vuln_ids, doc)
    if refs:
        rows.INSERT_REFERENCES.run(s, refs)


def _same_content(existing: Report, raw: bytes) -> bool:
    """Structured documents equal once parsed (serialisation and key order do not matter)."""
    from app.intake.detect import structured

    try:
        stored = existing.raw
    except StoredRawError:
        return False  # a damaged original equals nothing: the new document is kept beside it
    left, right = structured(stored), structured(raw)
    return left is not None and left == right


# Built once: the hot look-ups skip statement construction. Shared with bulk.py, which asks
# them for a whole run of documents at once (hence lists as one parameter: ``ListQuery``).
_KNOWN_SHAS = ListQuery(
    lambda listed: union(
        select(Report.raw_sha256).where(Report.raw_sha256.in_(listed("shas"))),
        select(ReportRevision.raw_sha256).where(ReportRevision.raw_sha256.in_(listed("shas"))),
    ),
    ["shas"],
)
_BY_DOCUMENT_ID = (
    select(Report)
    .where(Report.document_id == bindparam("document_id"), Report.format == bindparam("format"))
    .order_by(Report.id.desc())
    .limit(1)
)
# For each identifier, its oldest report in a case, then that report's case.
_OLDEST_BY_IDENTIFIER = ListQuery(
    lambda listed: (
        select(Identifier.value, func.min(Report.id))
        .join(Report, Report.id == Identifier.report_id)
        .where(Identifier.value.in_(listed("values")), Report.case_id.is_not(None))
        .group_by(Identifier.value)
    ),
    ["values"],
)
_CASE_OF_REPORTS = ListQuery(
    lambda listed: (
        select(Report.id, Report.case_id, Case.key)
        .join(Case, Case.id == Report.case_id)
        .where(Report.id.in_(listed("ids")))
    ),
    ["ids"],
)


def known_shas(s: Session, shas: list[str]) -> set[str]:
    """Which of these bytes a report or an earlier revision already has."""
    return {sha for (sha,) in _KNOWN_SHAS.all(s, {"shas": shas})}


def cases_by_identifier(s: Session, values: list[str]) -> dict[str, tuple[int, int, str]]:
    """For each identifier (normalised) that a stored report has: the oldest such report,
    its case id and the case key. A report lands in the case of the oldest report sharing
    one of its identifiers."""
    if not values:
        return {}
    oldest = {v: rid for v, rid in _OLDEST_BY_IDENTIFIER.all(s, {"values": values})}
    if not oldest:
        return {}
    cases_of = {
        rid: (case_id, key)
        for rid, case_id, key in _CASE_OF_REPORTS.all(s, {"ids": sorted(set(oldest.values()))})
        if case_id is not None  # joined to its case
    }
    return {v: (rid, *cases_of[rid]) for v, rid in oldest.items() if rid in cases_of}


def _case_by_identifiers(s: Session, prep: Prepared) -> tuple[int, str] | None:
    """The id and key of the case of the oldest report sharing an identifier, if any."""
    found = cases_by_identifier(s, sorted({v for _scheme, v in prep.identifiers}))
    if not found:
        return None
    _rid, case_id, key = min(found.values())
    return case_id, key


def store_document(
    s: Session, actor: Actor, doc: ParsedDoc, path: str, source: str
) -> StoreOutcome:
    """Insert or update one report; the caller commits (or rolls back) the transaction."""
    prep = rows.prepared(doc)
    sha = prep.sha
    if known_shas(s, [sha]):
        return StoreOutcome("duplicate", None, None)
    if doc.document_id:
        existing = s.scalar(_BY_DOCUMENT_ID, {"document_id": doc.document_id, "format": doc.format})
        if existing is not None:
            newer, older = revision_key(doc.revision), revision_key(existing.revision)
            if newer > older:
                return _update(s, actor, existing, doc, sha, path)
            if newer < older:  # an earlier revision arriving late: kept as history only
                stored, codec = prep.stored_raw
                s.add(
                    ReportRevision(
                        report_id=existing.id,
                        revision=doc.revision,
                        stored_raw=stored,
                        raw_codec=codec,
                        raw_sha256=sha,
                    )
                )
                return StoreOutcome("duplicate", existing.id, None)
            if _same_content(existing, doc.raw):  # e.g. the YAML and JSON of one record
                return StoreOutcome("duplicate", existing.id, None)
            # Same id and revision, different content: a publisher error; keep both.
            doc = replace(
                doc,
                prepared=prep,
                warnings=(
                    *doc.warnings,
                    _("same document id and revision as report {id}, but different content").format(
                        id=existing.id
                    ),
                ),
            )
    found = _case_by_identifiers(s, prep)
    new_case = found is None
    if found is None:
        [(case_id, case_key)] = cases.open_cases(
            s,
            actor,
            [
                cases.NewCase(
                    doc.title or _("untitled report"),
                    doc.description[:20000],
                    indexed=rows.case_search_text(doc, [doc]),
                )
            ],
        )
    else:
        case_id, case_key = found
    scores = prep.scores
    all_warnings = [*doc.warnings, *scores.warnings]
    report_id = _new_report(s, doc, sha, path, source, case_id, all_warnings)
    _add_vulns(s, report_id, case_id, doc, scores)
    near = 0
    if new_case:
        candidates = dedup.rows_for(s, report_id, case_id, prep.compared)
        if candidates:
            dedup.INSERT_CANDIDATES.run(s, candidates)
        near = len(candidates)
    if not new_case:  # a new case was indexed with this report's text when it opened
        case = s.get(Case, case_id)
        assert case is not None
        search.reindex(s, case)
    audit.record(
        s,
        actor,
        "report.import",
        "report",
        report_id,
        case_key=case_key,
        details={
            "format": doc.format,
            "source": source,
            "new_case": new_case,
            "warnings": len(all_warnings),
            "near_duplicates": near,
        },
    )
    return StoreOutcome("imported", report_id, case_key, scores.disagreeing, near)


def _new_report(
    s: Session, doc: ParsedDoc, sha: str, path: str, source: str, case_id: int, warnings: list[str]
) -> int:
    """The report row, its identifiers and attachments; returns its id."""
    row = rows.report_row(doc, sha, path, source, case_id, warnings)
    report_id: int = s.execute(rows.INSERT_REPORT, row).scalar_one()
    identifiers = rows.identifier_rows(report_id, doc)
    if identifiers:
        rows.INSERT_IDENTIFIERS.run(s, identifiers)
    attachments = rows.attachment_rows(report_id, case_id, doc)
    if attachments:
        rows.INSERT_ATTACHMENTS.run(s, attachments)
    return report_id


def _update(
    s: Session, actor: Actor, report: Report, doc: ParsedDoc, sha: str, path: str
) -> StoreOutcome:
    """A later revision: keep the old raw as a ReportRevision, refresh the report."""
    old_revision = report.revision
    s.add(
        ReportRevision(
            report_id=report.id,
            revision=report.revision,
            stored_raw=report.stored_raw,  # moved as stored: no inflating and deflating again
            raw_codec=report.raw_codec,
            raw_sha256=report.raw_sha256,
        )
    )
    report.revision = doc.revision
    report.title = doc.title[:500]
    report.description = doc.description
    report.stored_raw, report.raw_codec = rows.prepared(doc).stored_raw
    report.raw_sha256 = sha
    report.filename = path[-500:]
    report.identifiers.clear()
    s.flush()  # old identifiers go before the new ones arrive (unique per report)
    report.identifiers.extend(
        Identifier(scheme=sc[:40], value=ids.normalise(v)) for sc, v in doc.identifiers
    )
    s.flush()
    case_id = report.case_id
    assert case_id is not None
    # Vulnerabilities nobody has assessed are replaced; assessed ones stay, as history.
    for v in s.scalars(select(Vulnerability).where(Vulnerability.report_id == report.id)):
        assessed = s.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.vulnerability_id == v.id)
        )
        if assessed:
            v.report_id = None
        else:
            s.delete(v)
    s.flush()
    scores = rows.prepared(doc).scores
    _add_vulns(s, report.id, case_id, doc, scores)
    report.warnings = [*doc.warnings, *scores.warnings]
    case = s.get(Case, case_id)
    assert case is not None
    search.reindex(s, case)
    audit.record(
        s,
        actor,
        "report.update",
        "report",
        report.id,
        case_key=case.key,
        details={"from_revision": old_revision, "to_revision": doc.revision},
    )
    return StoreOutcome("updated", report.id, case.key, scores.disagreeing)
