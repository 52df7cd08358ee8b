"""CVE JSON 5.x records (CVE Record Format 5.1): the CNA container and ADP containers
(for example CISA's vulnrichment, which adds CVSS and SSVC)."""

from __future__ import annotations

from typing import Any

from app.intake import ids
from app.intake.model import ParsedDoc, ParsedVuln, Product, Ref, Score
from app.intake.schemas import check_cve
from app.versions import sources
from i18n import _

METRIC_KEYS = ("cvssV4_0", "cvssV3_1", "cvssV3_0")


def _english(items: Any) -> str:
    texts = [d for d in items or [] if isinstance(d, dict)]
    for d in texts:
        if str(d.get("lang", "")).lower().startswith("en"):
            return str(d.get("value", ""))
    return str(texts[0].get("value", "")) if texts else ""


def _products(cna: dict[str, Any]) -> list[Product]:
    out: list[Product] = []
    for a in cna.get("affected", []) or []:
        if not isinstance(a, dict):
            continue
        name = a.get("product") or a.get("packageName") or a.get("collectionURL")
        if not name:
            continue
        version, version_range = sources.from_cve5(a)
        out.append(
            Product(
                name=str(name)[:300],
                vendor=str(a["vendor"])[:300] if a.get("vendor") else None,
                version=version[:100] if version else None,
                version_range=version_range,
            )
        )
    return out


def _scores(containers: list[dict[str, Any]]) -> list[Score]:
    out: list[Score] = []
    for c in containers:
        for m in c.get("metrics", []) or []:
            for key in METRIC_KEYS:
                block = m.get(key) if isinstance(m, dict) else None
                if isinstance(block, dict) and isinstance(block.get("vectorString"), str):
                    stated = block.get("baseScore")
                    out.append(
                        Score(block["vectorString"], float(stated) if stated is not None else None)
                    )
    return out


def parse(obj: dict[str, Any], raw: bytes) -> ParsedDoc:
    check_cve(obj)
    meta = obj["cveMetadata"]
    cve_id = str(meta["cveId"])
    cna = obj["containers"].get("cna", {})
    adps = [a for a in obj["containers"].get("adp", []) or [] if isinstance(a, dict)]
    description = _english(cna.get("descriptions"))
    title = str(cna.get("title") or description.split(".")[0] or cve_id)[:500]
    cwe = None
    for pt in cna.get("problemTypes", []) or []:
        for d in pt.get("descriptions", []) or []:
            if d.get("cweId"):
                cwe = str(d["cweId"])[:30]
                break
    refs = tuple(
        Ref(str(r["url"])[:2000], str(r.get("name", ""))[:500] or None)
        for r in cna.get("references", []) or []
        if isinstance(r, dict) and r.get("url")
    )
    warnings = []
    if meta.get("state") == "REJECTED":
        warnings.append(_("CVE record is REJECTED by its CNA"))
    vuln = ParsedVuln(
        title=title,
        description=description,
        cve=cve_id,
        cwe=cwe,
        products=tuple(_products(cna)),
        references=refs,
        scores=tuple(_scores([cna, *adps])),
    )
    return ParsedDoc(
        format="cve5",
        raw=raw,
        title=title,
        description=description,
        document_id=cve_id,
        revision=str(meta.get("dateUpdated") or meta.get("datePublished") or "")[:60] or None,
        media_type="application/json",
        identifiers=ids.unique([("CVE", cve_id)]),
        vulns=(vuln,),
        warnings=tuple(warnings),
    )
