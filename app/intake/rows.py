"""The rows a parsed report becomes: report, identifiers, attachments, vulnerabilities with
their recomputed scores, affected products and references.

Built here, without a session, so that ``store.py`` (one document) and ``bulk.py`` (a run
of new documents) write the same rows. Inserts are Core statements built once and run with
parameters: the ORM's unit of work, or a statement built per call, cost several times what
running it does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert

from app.intake import dedup, hazard, ids
from app.intake.model import ParsedDoc, Prepared
from app.intake.model import Scores as Scores  # re-exported: where storing code finds it
from app.intake.scores import Scored, recompute
from app.queueing import search
from app.workspaces.driver import IdsInOrder, JSONText, PlainInsert, RowsInsert
from i18n import _
from models import AffectedProduct, Attachment, Identifier, Reference, Report, Vulnerability
from models.rawcodec import encode
from models.vulnerabilities import product_key

Row = dict[str, Any]

_REPORT: Table = Report.__table__  # type: ignore[assignment]
_VULN: Table = Vulnerability.__table__  # type: ignore[assignment]
INSERT_REPORT = insert(_REPORT).returning(_REPORT.c.id, sort_by_parameter_order=True)
INSERT_ATTACHMENTS = RowsInsert(Attachment.__table__)
INSERT_REPORTS = IdsInOrder(_REPORT)  # many rows, their ids in row order
INSERT_VULNS = IdsInOrder(_VULN)


_PRODUCT_COLUMNS = (
    "kind", "name", "vendor", "version", "version_range", "hash", "purl", "name_key",
)  # fmt: skip
INSERT_IDENTIFIERS = PlainInsert(Identifier.__table__, ("report_id", "scheme", "value"))
INSERT_PRODUCTS = PlainInsert(AffectedProduct.__table__, ("vulnerability_id", *_PRODUCT_COLUMNS))
INSERT_REFERENCES = PlainInsert(
    Reference.__table__, ("vulnerability_id", "url", "summary", "category")
)


def prepare(doc: ParsedDoc) -> Prepared:
    """Everything about storing ``doc`` that needs no database, for the parser processes to
    compute (``parse_document``) while the single writer stores earlier documents."""
    return Prepared(
        sha=hashlib.sha256(doc.raw).hexdigest(),
        identifiers=tuple((scheme[:40], ids.normalise(value)) for scheme, value in doc.identifiers),
        scores=scores_of(doc),
        case_text=tuple(search.plain(t) for t in (doc.title.strip(), doc.description[:20000]) if t),
        search_text=tuple(
            search.plain(t) for t in (doc.title[:500], doc.description, *search_texts(doc)) if t
        ),
        compared=dedup.compared(doc.title[:500], doc.description, doc),
        products=_products(doc),
        stored_raw=encode(doc.raw),
    )


def _products(doc: ParsedDoc) -> tuple[tuple[tuple[Any, ...], ...], ...]:
    """Each vulnerability's affected-product rows (``_PRODUCT_COLUMNS``). Only the report's
    first row of a product name carries its key (``name_key``): a report mentions a name
    once for near-duplicate detection, and the index of mentions holds one entry per report
    and name (6 for a CSAF advisory's 32 rows on average) instead of one per row, which cost
    the single writer an index insert and a page written for each."""
    seen: set[str] = set()
    out = []
    for v in doc.vulns:
        rows = []
        for p in v.products:
            key = product_key(p.name, p.vendor)
            mention = key if key and key not in seen else None
            seen.add(key)
            rows.append(
                (p.kind, p.name, p.vendor, p.version, p.version_range, p.hash, p.purl, mention)
            )
        out.append(tuple(rows))
    return tuple(out)


def case_search_text(doc: ParsedDoc, reports: Sequence[ParsedDoc]) -> tuple[str, ...]:
    """The search document (after its key) of the case ``doc`` opens for ``reports``, ``doc``
    first: what ``NewCase.indexed`` takes."""
    own = prepared(doc).case_text
    if not doc.title:  # the case is titled "untitled report"
        own = (search.plain(_("untitled report")), *own)
    return (*own, *(t for r in reports for t in prepared(r).search_text))


def prepared(doc: ParsedDoc) -> Prepared:
    """``doc.prepared``, or computed here for a document that was not parsed by
    ``parse_document`` (e.g. built by a test)."""
    return doc.prepared if doc.prepared is not None else prepare(doc)


def scores_of(doc: ParsedDoc) -> Scores:
    stored: list[JSONText] = []
    disagreeing: list[Scored] = []
    warnings: list[str] = []
    for vuln in doc.vulns:
        scores = []
        for scored in vuln.scored or tuple(recompute(score) for score in vuln.scores):
            scores.append(scored.as_json())
            if scored.error:
                warnings.append(_("CVSS vector not scored: {error}").format(error=scored.error))
            elif scored.disagrees:
                disagreeing.append(scored)
                warnings.append(
                    _(
                        "stated score {stated} for {vector} disagrees with the computed {computed}"
                    ).format(stated=scored.stated, vector=scored.vector, computed=scored.computed)
                )
        stored.append(JSONText(json.dumps(scores)))  # as the column's type would serialise it
    return Scores(tuple(stored), tuple(disagreeing), tuple(warnings))


def report_row(
    doc: ParsedDoc, sha: str, path: str, source: str, case_id: int, warnings: list[str]
) -> Row:
    stored, codec = prepared(doc).stored_raw  # compressed by the parser process, not here
    return {
        "case_id": case_id,
        "source": source[:200],
        "format": doc.format,
        "document_id": doc.document_id,
        "revision": doc.revision,
        "title": doc.title[:500],
        "description": doc.description,
        "filename": path[-500:],
        "media_type": doc.media_type,
        "raw": stored,
        "raw_codec": codec,
        "raw_sha256": sha,
        "warnings": warnings,
    }


def identifier_rows(report_id: int, doc: ParsedDoc) -> list[tuple[Any, ...]]:
    """``INSERT_IDENTIFIERS`` rows."""
    return [(report_id, scheme, value) for scheme, value in prepared(doc).identifiers]


def attachment_rows(report_id: int, case_id: int, doc: ParsedDoc) -> list[Row]:
    """Each attachment with its hazard classification: every intake path stores them here."""
    out: list[Row] = []
    for a in doc.attachments:
        found = hazard.classify(a.filename, a.content)
        out.append(
            {
                "case_id": case_id,
                "report_id": report_id,
                "filename": a.filename,
                "media_type": a.media_type,
                "content": a.content,
                "sha256": hashlib.sha256(a.content).hexdigest(),
                "size": len(a.content),
                "hazardous": found.hazardous,
                "hazard_kind": found.kind,
                "hazard_reasons": list(found.reasons),
            }
        )
    return out


def vuln_rows(report_id: int, case_id: int, doc: ParsedDoc, scores: Scores) -> list[Row]:
    return [
        {
            "case_id": case_id,
            "report_id": report_id,
            "cve": v.cve,
            "cwe": v.cwe,
            "title": v.title or doc.title,
            "description": v.description,
            "ai_class": v.ai_class,
            "scores": stored,
        }
        for v, stored in zip(doc.vulns, scores.stored, strict=True)
    ]


def product_rows(vuln_ids: Sequence[int], doc: ParsedDoc) -> list[tuple[Any, ...]]:
    """``INSERT_PRODUCTS`` rows: the affected products of each vulnerability (``vuln_ids`` in
    ``doc.vulns`` order)."""
    return [
        (vuln_id, *p)
        for vuln_id, products in zip(vuln_ids, prepared(doc).products, strict=True)
        for p in products
    ]


def reference_rows(vuln_ids: Sequence[int], doc: ParsedDoc) -> list[tuple[Any, ...]]:
    """``INSERT_REFERENCES`` rows."""
    return [
        (vuln_id, r.url, r.summary, r.category)
        for vuln_id, v in zip(vuln_ids, doc.vulns, strict=True)
        for r in v.references
    ]


def search_texts(doc: ParsedDoc) -> tuple[str, ...]:
    """What a report adds to its case's search document besides its title and description:
    its document id, identifiers, CVE ids, product names, vendors and purls (as
    ``search.document_for`` reads them back from the rows)."""
    found: list[str | None] = [doc.document_id]
    found += [ids.normalise(value) for _scheme, value in doc.identifiers]
    found += [v.cve for v in doc.vulns]
    for v in doc.vulns:
        for p in v.products:
            found += [p.name, p.vendor, p.purl]
    return tuple(search.unique_texts(found))
