"""AVID (AI Vulnerability Database) reports and vulnerabilities, data_version 0.x.

AVID publishes no JSON schema; the fields used here follow avidml/avid-db's ``Report`` and
``Vulnerability`` data models, and a record without its id or affected artifacts is refused.
"""

from __future__ import annotations

from typing import Any

from app.intake import ids
from app.intake.model import ParsedDoc, ParsedVuln, Product, Ref, Rejected
from i18n import _

KINDS = {"model": "model", "system": "system", "dataset": "dataset"}


def _value(block: Any) -> str:
    return str(block.get("value", "")) if isinstance(block, dict) else ""


def parse(obj: dict[str, Any], raw: bytes) -> ParsedDoc:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise Rejected(_("AVID record without metadata"))
    avid_id = meta.get("report_id") or meta.get("vuln_id")
    if not isinstance(avid_id, str) or not avid_id.strip():
        raise Rejected(_("AVID record without metadata.report_id or metadata.vuln_id"))
    affects = obj.get("affects")
    if not isinstance(affects, dict) or not isinstance(affects.get("artifacts"), list):
        raise Rejected(_("AVID record without affects.artifacts"))
    vendors = [str(v) for v in (affects.get("developer") or []) + (affects.get("deployer") or [])]
    products = tuple(
        Product(
            name=str(a.get("name"))[:300],
            kind=KINDS.get(str(a.get("type", "")).lower(), "system"),
            vendor=vendors[0][:300] if vendors else None,
        )
        for a in affects["artifacts"]
        if isinstance(a, dict) and a.get("name")
    )
    problem = obj.get("problemtype") or {}
    title = (_value(problem.get("description")) or avid_id)[:500]
    description = _value(obj.get("description"))
    impact = (obj.get("impact") or {}).get("avid") or {}
    identifiers = [("AVID", avid_id)]
    if isinstance(impact.get("vuln_id"), str):
        identifiers.append(("AVID", impact["vuln_id"]))
    identifiers += ids.find_in_text(description)
    refs = tuple(
        Ref(
            str(r["url"])[:2000],
            str(r.get("label", ""))[:500] or None,
            str(r.get("type", "external"))[:20],
        )
        for r in obj.get("references", []) or []
        if isinstance(r, dict) and r.get("url")
    )
    vuln = ParsedVuln(
        title=title,
        description=description,
        ai_class=str(problem.get("classof", ""))[:60] or None,
        products=products,
        references=refs,
    )
    return ParsedDoc(
        format="avid",
        raw=raw,
        title=title,
        description=description,
        document_id=avid_id,
        media_type="application/json",
        identifiers=ids.unique(identifiers),
        vulns=(vuln,),
    )
