"""CSAF 2.0 and 2.1 (every profile): document, product tree, vulnerabilities, scores.

Sections cited from CSAF 2.0 (OASIS Standard, 2022): 3.2.1.12 document tracking, 3.1.2
product tree branches and full product names, 3.2.3 vulnerabilities (cve 3.2.3.2, cwe
3.2.3.3, ids 3.2.3.6, product_status 3.2.3.9, scores 3.2.3.12). CSAF 2.1 moves scores to
``metrics[].content`` and the CWE to ``cwes[]``.
"""

from __future__ import annotations

from typing import Any

from app.intake import ids
from app.intake.model import ParsedDoc, ParsedVuln, Product, Ref, Rejected, Score
from app.intake.schemas import check_csaf
from app.versions import sources
from i18n import _

MAX_PRODUCTS_PER_VULN = 200
AFFECTED_STATUS = ("known_affected", "first_affected", "last_affected", "under_investigation")
Versions = tuple[str | None, str | None]  # (product_version, product_version_range) as named


def _products(tree: dict[str, Any]) -> dict[str, Product]:
    """Map product id → Product from branches (vendor/name/version or version range) and full
    product names; a ``product_version_range`` becomes the stored ``vers:`` range."""
    found: dict[str, Product] = {}

    def add(fpn: dict[str, Any], vendor: str | None, name: str | None, versions: Versions) -> None:
        pid = fpn.get("product_id")
        if not isinstance(pid, str):
            return
        helper = fpn.get("product_identification_helper") or {}
        purl = str(helper["purl"])[:500] if isinstance(helper.get("purl"), str) else None
        version, version_range = versions
        if version_range:  # vers: or free text ("< V7.2"), in the purl's scheme if any
            version, version_range = sources.from_text(version_range, sources.scheme_of_purl(purl))
        found[pid] = Product(
            name=(name or str(fpn.get("name", pid)))[:300],
            vendor=vendor[:300] if vendor else None,
            version=version[:100] if version else None,
            version_range=version_range,
            purl=purl,
        )

    stack: list[tuple[dict[str, Any], str | None, str | None, Versions]] = [
        (b, None, None, (None, None)) for b in tree.get("branches", []) if isinstance(b, dict)
    ]
    while stack:
        branch, vendor, name, versions = stack.pop()
        cat, value = branch.get("category"), str(branch.get("name", ""))
        if cat == "vendor":
            vendor = value
        elif cat in ("product_name", "product_family"):
            name = value
        elif cat == "product_version":
            versions = (value.strip() or None, None)
        elif cat == "product_version_range":
            versions = (None, value)
        if isinstance(branch.get("product"), dict):
            add(branch["product"], vendor, name, versions)
        stack.extend(
            (b, vendor, name, versions) for b in branch.get("branches", []) if isinstance(b, dict)
        )
    for fpn in tree.get("full_product_names", []):
        if isinstance(fpn, dict):
            add(fpn, None, None, (None, None))
    for rel in tree.get("relationships", []):
        if isinstance(rel, dict) and isinstance(rel.get("full_product_name"), dict):
            add(rel["full_product_name"], None, None, (None, None))
    return found


def _scores(v: dict[str, Any]) -> list[Score]:
    out: list[Score] = []
    blocks: list[dict[str, Any]] = []
    for s in v.get("scores", []) or []:  # CSAF 2.0, 3.2.3.12
        if isinstance(s, dict):
            blocks.append(s)
    for m in v.get("metrics", []) or []:  # CSAF 2.1
        if isinstance(m, dict) and isinstance(m.get("content"), dict):
            blocks.append(m["content"])
    for block in blocks:
        for key in ("cvss_v3", "cvss_v4"):
            c = block.get(key)
            if isinstance(c, dict) and isinstance(c.get("vectorString"), str):
                stated = c.get("baseScore")
                out.append(Score(c["vectorString"], float(stated) if stated is not None else None))
    return out


def _text(notes: Any, categories: tuple[str, ...]) -> str:
    parts = [
        str(n.get("text", ""))
        for n in notes or []
        if isinstance(n, dict) and n.get("category") in categories
    ]
    return "\n\n".join(p for p in parts if p)


def _refs(refs: Any) -> tuple[Ref, ...]:
    return tuple(
        Ref(
            str(r["url"])[:2000],
            str(r.get("summary", ""))[:500] or None,
            str(r.get("category", "external"))[:20],
        )
        for r in refs or []
        if isinstance(r, dict) and isinstance(r.get("url"), str)
    )


def _vulnerability_id(vid: dict[str, Any]) -> tuple[str, str]:
    """A vulnerability id (3.2.3.6): a well-known scheme (GHSA, PYSEC ...) stands alone; a
    vendor's own id is only unique within its tracking system, so it carries the system's
    name (two vendors' bug 12345 are not one vulnerability)."""
    text = str(vid["text"]).strip()
    scheme = ids.scheme_of(text)
    system = str(vid.get("system_name", "")).strip()
    if scheme == "vendor" and system:
        return scheme, f"{system}:{text}"
    return scheme, text


def parse(obj: dict[str, Any], raw: bytes) -> ParsedDoc:
    warnings = check_csaf(obj)
    document = obj["document"]
    tracking = document.get("tracking", {})
    tracking_id = str(tracking.get("id", "")).strip()
    if not tracking_id:
        raise Rejected(_("CSAF document without /document/tracking/id"))
    products = _products(obj.get("product_tree", {}) or {})
    identifiers: list[tuple[str, str]] = [("CSAF", tracking_id)]
    identifiers += [(ids.scheme_of(a), a) for a in tracking.get("aliases", []) or []]
    vulns: list[ParsedVuln] = []
    for v in obj.get("vulnerabilities", []) or []:
        if not isinstance(v, dict):
            continue
        cve = v.get("cve")
        if isinstance(cve, str):
            identifiers.append(("CVE", cve))
        for vid in v.get("ids", []) or []:
            if isinstance(vid, dict) and isinstance(vid.get("text"), str):
                identifiers.append(_vulnerability_id(vid))
        cwe = v.get("cwe") if isinstance(v.get("cwe"), dict) else None
        if cwe is None and v.get("cwes"):
            cwe = v["cwes"][0] if isinstance(v["cwes"][0], dict) else None
        status = v.get("product_status") or {}
        affected_ids: list[str] = []
        for key in AFFECTED_STATUS:
            affected_ids += [p for p in status.get(key, []) or [] if isinstance(p, str)]
        affected = [products[p] for p in dict.fromkeys(affected_ids) if p in products]
        vulns.append(
            ParsedVuln(
                title=str(v.get("title", ""))[:500],
                description=_text(v.get("notes"), ("description", "summary", "details")),
                cve=cve if isinstance(cve, str) else None,
                cwe=str(cwe["id"])[:30] if cwe and isinstance(cwe.get("id"), str) else None,
                products=tuple(affected[:MAX_PRODUCTS_PER_VULN]),
                references=_refs(v.get("references")),
                scores=tuple(_scores(v)),
            )
        )
    if not vulns:
        vulns.append(
            ParsedVuln(
                title=str(document.get("title", "")),
                products=tuple(list(products.values())[:MAX_PRODUCTS_PER_VULN]),
                references=_refs(document.get("references")),
            )
        )
    description = _text(document.get("notes"), ("summary", "description", "general", "details"))
    return ParsedDoc(
        format="csaf",
        raw=raw,
        title=str(document.get("title", tracking_id))[:500],
        description=description,
        document_id=tracking_id[:300],
        revision=str(tracking.get("version", ""))[:60] or None,
        media_type="application/csaf+json",
        identifiers=ids.unique(identifiers),
        vulns=tuple(vulns),
        warnings=tuple(warnings),
        extra={
            "category": str(document.get("category", "")),
            "csaf_version": str(document.get("csaf_version", "")),
        },
    )
