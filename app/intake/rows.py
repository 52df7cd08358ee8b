"""The rows a parsed report becomes: report, identifiers, attachments, vulnerabilities with
their recomputed scores, affected products and references.

Built here, without a session, so that ``store.py`` (one document) and ``bulk.py`` (a run
of new documents) write the same rows. Inserts are Core statements built once and run with
parameters: the ORM's unit of work, or a statement built per call, cost several times what
running it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert

from app import search
from app.intake import hazard, ids
from app.intake.model import ParsedDoc
from app.intake.scores import Scored, recompute
from i18n import _
from models import AffectedProduct, Attachment, Identifier, Reference, Report, Vulnerability
from models.vulnerabilities import product_key

Row = dict[str, Any]

_REPORT: Table = Report.__table__  # type: ignore[assignment]
_VULN: Table = Vulnerability.__table__  # type: ignore[assignment]
INSERT_REPORT = insert(_REPORT).returning(_REPORT.c.id, sort_by_parameter_order=True)
INSERT_IDENTIFIERS = insert(Identifier.__table__)  # type: ignore[arg-type]
INSERT_ATTACHMENTS = insert(Attachment.__table__)  # type: ignore[arg-type]
INSERT_VULNS = insert(_VULN).returning(_VULN.c.id, sort_by_parameter_order=True)
INSERT_PRODUCTS = insert(AffectedProduct.__table__)  # type: ignore[arg-type]
INSERT_REFERENCES = insert(Reference.__table__)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Scores:
    """A document's recomputed scores: as stored per vulnerability, the disagreeing ones,
    and the warnings they give the report."""

    stored: tuple[list[dict[str, Any]], ...]
    disagreeing: tuple[Scored, ...]
    warnings: tuple[str, ...]


def scores_of(doc: ParsedDoc) -> Scores:
    stored: list[list[dict[str, Any]]] = []
    disagreeing: list[Scored] = []
    warnings: list[str] = []
    for vuln in doc.vulns:
        stored.append([])
        for scored in vuln.scored or tuple(recompute(score) for score in vuln.scores):
            stored[-1].append(scored.as_json())
            if scored.error:
                warnings.append(_("CVSS vector not scored: {error}").format(error=scored.error))
            elif scored.disagrees:
                disagreeing.append(scored)
                warnings.append(
                    _(
                        "stated score {stated} for {vector} disagrees with the computed {computed}"
                    ).format(stated=scored.stated, vector=scored.vector, computed=scored.computed)
                )
    return Scores(tuple(stored), tuple(disagreeing), tuple(warnings))


def report_row(
    doc: ParsedDoc, sha: str, path: str, source: str, case_id: int, warnings: list[str]
) -> Row:
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
        "raw": doc.raw,
        "raw_sha256": sha,
        "warnings": warnings,
    }


def identifier_rows(report_id: int, doc: ParsedDoc) -> list[Row]:
    return [
        {"report_id": report_id, "scheme": scheme[:40], "value": ids.normalise(value)}
        for scheme, value in doc.identifiers
    ]


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


def product_rows(vuln_ids: Sequence[int], doc: ParsedDoc) -> list[Row]:
    """The affected products of each vulnerability (``vuln_ids`` in ``doc.vulns`` order)."""
    return [
        {
            "vulnerability_id": vuln_id,
            "kind": p.kind,
            "name": p.name,
            "vendor": p.vendor,
            "version": p.version,
            "version_range": p.version_range,
            "hash": p.hash,
            "purl": p.purl,
            "name_key": product_key(p.name, p.vendor),
        }
        for vuln_id, v in zip(vuln_ids, doc.vulns, strict=True)
        for p in v.products
    ]


def reference_rows(vuln_ids: Sequence[int], doc: ParsedDoc) -> list[Row]:
    return [
        {"vulnerability_id": vuln_id, "url": r.url, "summary": r.summary, "category": r.category}
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
