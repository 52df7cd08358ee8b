"""A case's identifiers: CVE, CWE, GHSA, PYSEC, AVID, vendor ids and document ids.

What a case is known by comes from three places: its reports (found at intake), its
vulnerabilities (CVE, CWE) and what an analyst added to the case itself. All three are
listed together; an analyst adds to the case and may remove any of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.casework.editing import edit, record, reindex
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor
from app.intake import ids
from i18n import _
from models import Case, Identifier, Report, Vulnerability

# The types an analyst names on the command line, and the scheme each is stored under
# (intake's own spelling, so reports and edits agree).
SCHEMES = {
    "cve": "CVE",
    "cwe": "CWE",
    "ghsa": "GHSA",
    "pysec": "PYSEC",
    "avid": "AVID",
    "vendor": "vendor",
    "document": "document",
}
_SHAPES = {
    "CVE": re.compile(r"CVE-\d{4}-\d{4,}"),
    "CWE": re.compile(r"CWE-\d{1,5}"),
    "GHSA": re.compile(r"GHSA(?:-[23456789CFGHJMPQRVWX]{4}){3}"),
    "PYSEC": re.compile(r"PYSEC-\d{4}-\d+"),
    "AVID": re.compile(r"AVID-\d{4}-[RV]\d+"),
}
_EXAMPLES = {
    "CVE": "CVE-2026-41234",
    "CWE": "CWE-1427",
    "GHSA": "GHSA-xxxx-xxxx-xxxx",
    "PYSEC": "PYSEC-2026-12",
    "AVID": "AVID-2026-V001",
}
_FREE = re.compile(r"^[\w][\w.:/#@+~-]{0,299}$", re.UNICODE)


@dataclass(frozen=True)
class CaseIdentifier:
    """One identifier of a case, with where it comes from (``case``, ``report``,
    ``vulnerability``) and that row's id."""

    scheme: str
    value: str
    source: str
    source_id: int

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.scheme.lower(),
            "value": self.value,
            "source": self.source,
            "source_id": self.source_id,
        }


def parse(kind: str, value: str) -> tuple[str, str]:
    """(scheme, normalised value) for a type and value as typed; a malformed CVE, CWE, GHSA,
    PYSEC or AVID id is a UsageError naming the expected shape."""
    scheme = SCHEMES.get(kind.strip().lower())
    if scheme is None:
        raise UsageError(
            _("unknown identifier type {kind}; types are: {types}").format(
                kind=kind, types=", ".join(SCHEMES)
            )
        )
    text = value.strip()
    if scheme == "CWE" and text.isdigit():
        text = f"CWE-{text}"
    norm = ids.normalise(text)
    shape = _SHAPES.get(scheme)
    if shape is not None and not shape.fullmatch(norm):
        raise UsageError(
            _("{value} is not a {scheme} id (expected e.g. {example})").format(
                value=value, scheme=scheme, example=_EXAMPLES[scheme]
            )
        )
    if shape is None and not _FREE.match(text):
        raise UsageError(
            _("{value} is not an identifier (letters, digits and . : / # @ + ~ - only)").format(
                value=value
            )
        )
    return scheme, norm


def _everywhere(session: Session, case: Case) -> list[CaseIdentifier]:
    """Every identifier of the case as held, repeats included (removal takes them all)."""
    out: list[CaseIdentifier] = []
    for i in session.scalars(
        select(Identifier).where(Identifier.case_id == case.id).order_by(Identifier.id)
    ):
        out.append(CaseIdentifier(i.scheme, i.value, "case", i.id))
    for i in session.scalars(
        select(Identifier)
        .join(Report, Report.id == Identifier.report_id)
        .where(Report.case_id == case.id)
        .order_by(Identifier.id)
    ):
        out.append(CaseIdentifier(i.scheme, i.value, "report", i.report_id or 0))
    for rid, doc in session.execute(
        select(Report.id, Report.document_id)
        .where(Report.case_id == case.id, Report.document_id.is_not(None))
        .where(Report.format != "accord-bundle")  # FINGERPRINT:KEY, shown as the case's ref
        .order_by(Report.id)
    ):
        out.append(CaseIdentifier("document", doc or "", "report", rid))
    for vid, cve, cwe in session.execute(
        select(Vulnerability.id, Vulnerability.cve, Vulnerability.cwe)
        .where(Vulnerability.case_id == case.id)
        .order_by(Vulnerability.id)
    ):
        if cve:
            out.append(CaseIdentifier("CVE", ids.normalise(cve), "vulnerability", vid))
        if cwe:
            out.append(CaseIdentifier("CWE", ids.normalise(cwe), "vulnerability", vid))
    return out


def _same(i: CaseIdentifier, scheme: str, norm: str) -> bool:
    return i.scheme.lower() == scheme.lower() and ids.normalise(i.value) == norm


def of_case(session: Session, case: Case) -> list[CaseIdentifier]:
    """Every identifier of the case, each (type, value) once, case-level ones first."""
    seen: set[tuple[str, str]] = set()
    unique: list[CaseIdentifier] = []
    for i in _everywhere(session, case):
        k = (i.scheme.lower(), ids.normalise(i.value))
        if k not in seen:
            seen.add(k)
            unique.append(i)
    return unique


def add(
    session: Session,
    actor: Actor,
    key: str,
    kind: str,
    value: str,
    *,
    expected_version: int | None = None,
) -> CaseIdentifier:
    """Add an identifier to the case. A CVE or CWE also fills the case's vulnerability when
    it has exactly one and that one has none (CSAF and search read it there)."""
    scheme, norm = parse(kind, value)
    with edit(session, key, expected_version) as case:
        if any(
            i.scheme.lower() == scheme.lower() and ids.normalise(i.value) == norm
            for i in of_case(session, case)
        ):
            raise AccordError(
                _("{key} already has {scheme} {value}").format(
                    key=case.key, scheme=scheme, value=norm
                )
            )
        row = Identifier(case_id=case.id, report_id=None, scheme=scheme, value=norm)
        session.add(row)
        details: dict[str, object] = {"type": scheme.lower(), "value": norm}
        if scheme in ("CVE", "CWE"):
            vulns = list(
                session.scalars(select(Vulnerability).where(Vulnerability.case_id == case.id))
            )
            if len(vulns) == 1 and getattr(vulns[0], scheme.lower()) is None:
                setattr(vulns[0], scheme.lower(), norm)
                details["vulnerability"] = vulns[0].id
        session.flush()
        details["identifier_id"] = row.id
        record(session, actor, case, "case.identifier.add", details)
        reindex(session, case)
    return CaseIdentifier(scheme, norm, "case", row.id)


def remove(
    session: Session,
    actor: Actor,
    key: str,
    kind: str,
    value: str,
    *,
    expected_version: int | None = None,
) -> list[CaseIdentifier]:
    """Remove an identifier wherever the case holds it (the case, its reports' identifiers,
    its vulnerabilities); returns what was removed. A report's own document id stays: it
    names the report (split the report out of the case instead)."""
    scheme, norm = parse(kind, value)
    removed: list[CaseIdentifier] = []
    with edit(session, key, expected_version) as case:
        found = [i for i in _everywhere(session, case) if _same(i, scheme, norm)]
        if not found:
            raise NotFound(
                _("{key} has no {scheme} {value}").format(key=case.key, scheme=scheme, value=norm)
            )
        report_ids = select(Report.id).where(Report.case_id == case.id)
        for row in session.scalars(
            select(Identifier).where(
                (Identifier.case_id == case.id) | Identifier.report_id.in_(report_ids)
            )
        ):
            if row.scheme.lower() == scheme.lower() and ids.normalise(row.value) == norm:
                session.delete(row)
                source = "case" if row.case_id is not None else "report"
                removed.append(CaseIdentifier(scheme, norm, source, row.id))
        col = scheme.lower()
        if col in ("cve", "cwe"):
            for v in session.scalars(select(Vulnerability).where(Vulnerability.case_id == case.id)):
                if ids.normalise(getattr(v, col) or "") == norm:
                    setattr(v, col, None)
                    removed.append(CaseIdentifier(scheme, norm, "vulnerability", v.id))
        if not removed:
            raise AccordError(
                _("{value} is the document id of a report of {key}; split that report out "
                  "instead").format(value=norm, key=case.key)
            )  # fmt: skip
        record(
            session,
            actor,
            case,
            "case.identifier.remove",
            {
                "type": col,
                "value": norm,
                "from": [{"source": r.source, "id": r.source_id} for r in removed],
            },
        )
        reindex(session, case)
    return removed
