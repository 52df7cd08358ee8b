"""OSV records (JSON or YAML), checked against the OSV schema we ship."""

from __future__ import annotations

from typing import Any

from app.intake import ids
from app.intake.model import ParsedDoc, ParsedVuln, Product, Ref, Score
from app.intake.schemas import check_osv
from app.versions import sources


def parse(obj: dict[str, Any], raw: bytes, media_type: str) -> ParsedDoc:
    check_osv(obj)
    osv_id = str(obj["id"])
    aliases = [str(a) for a in obj.get("aliases", []) or []]
    related = [str(a) for a in obj.get("related", []) or []]
    products = []
    for a in obj.get("affected", []) or []:
        pkg = a.get("package") or {}
        if not pkg.get("name"):
            continue
        version, version_range = sources.from_osv(a)
        # The ecosystem (PyPI, npm) is where the package is published, not who makes it: it
        # becomes the purl's type, and the vendor stays unknown until someone records it.
        purl = pkg.get("purl") or sources.purl_for_osv(
            str(pkg.get("ecosystem") or ""), str(pkg["name"])
        )
        products.append(
            Product(
                name=str(pkg["name"])[:300],
                vendor=None,
                version=version[:100] if version else None,
                version_range=version_range,
                purl=str(purl)[:500] if purl else None,
            )
        )
    scores = [
        Score(str(s["score"]))
        for s in obj.get("severity", []) or []
        if s.get("type") in ("CVSS_V3", "CVSS_V4") and s.get("score")
    ]
    cves = [a for a in aliases if ids.scheme_of(a) == "CVE"]
    cwe_ids = (obj.get("database_specific") or {}).get("cwe_ids") or []
    summary = str(obj.get("summary") or "")
    details = str(obj.get("details") or "")
    title = (summary or details.split("\n")[0] or osv_id)[:500]
    vuln = ParsedVuln(
        title=title,
        description=details,
        cve=cves[0] if cves else None,
        cwe=str(cwe_ids[0])[:30] if cwe_ids else None,
        products=tuple(products),
        references=tuple(
            Ref(str(r["url"])[:2000], None, str(r.get("type", "external")).lower()[:20])
            for r in obj.get("references", []) or []
            if r.get("url")
        ),
        scores=tuple(scores),
    )
    identifiers = [(ids.scheme_of(osv_id, "OSV"), osv_id)]
    identifiers += [(ids.scheme_of(a, "OSV"), a) for a in aliases]
    return ParsedDoc(
        format="osv",
        raw=raw,
        title=title,
        description=details,
        document_id=osv_id,
        revision=str(obj.get("modified"))[:60],
        media_type=media_type,
        identifiers=ids.unique(identifiers),
        vulns=(vuln,),
        extra={"related": ", ".join(related)} if related else {},
    )
