"""Plain-text and Markdown reports: the first line is the title, the rest the description.

Identifiers (CVE, GHSA, PYSEC, AVID), CVSS vectors and ``Model:``/``Product:`` lines (with
the version or range they end with, or a ``Versions:`` line) are picked out of the text; the
text itself is kept as written and only ever shown as plain text.
"""

from __future__ import annotations

import dataclasses
import re

from app.intake import ids
from app.intake.model import ParsedAttachment, ParsedDoc, ParsedVuln, Product, Score
from app.versions import ranges, sources
from app.versions import text as ranges_text

PRODUCT_LINE = re.compile(
    r"^\s*[*-]?\s*\**(model|system|product|affected(?: model| product| system)?)\**\s*:\s*(.+)$",
    re.I | re.M,
)
VERSION_LINE = re.compile(r"^\s*[*-]?\s*\**(?:affected\s+)?versions?\**\s*:\s*(.+)$", re.I | re.M)


def product(line: str, kind: str = "product") -> Product:
    """A product named with its version or range ("Portico LLM Gateway 3.2.0 - 3.4.1")."""
    name, rng = ranges_text.split_product(line)
    version, version_range = ranges.stored(rng) if rng else (None, None)
    return Product(
        name=name[:300],
        kind=kind,
        version=version[:100] if version else None,
        version_range=version_range,
    )


def products_in(text: str) -> tuple[Product, ...]:
    found: dict[str, Product] = {}
    for m in PRODUCT_LINE.finditer(text):
        label, name = m.group(1).lower(), m.group(2).strip().strip("*`").strip()
        if name:
            kind = "model" if "model" in label else "system" if "system" in label else "product"
            p = product(name, kind)
            found.setdefault(p.name.lower(), p)
    # A "Versions: 3.2.0 - 3.4.1" line of its own belongs to the one product named without.
    lines = VERSION_LINE.findall(text)
    bare = [k for k, p in found.items() if not (p.version or p.version_range)]
    if len(lines) == 1 and len(bare) == 1:
        version, version_range = sources.from_text(lines[0].strip().strip("*`").strip())
        p = found[bare[0]]
        found[bare[0]] = dataclasses.replace(p, version=version, version_range=version_range)
    return tuple(found.values())


def title_of(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:500]
    return ""


def parse(
    text: str,
    raw: bytes,
    *,
    title: str | None = None,
    fmt: str = "text",
    media_type: str = "text/plain",
    attachments: tuple[ParsedAttachment, ...] = (),
    warnings: tuple[str, ...] = (),
    document_id: str | None = None,
) -> ParsedDoc:
    title = (title or title_of(text) or "untitled report")[:500]
    identifiers = ids.find_in_text(title + "\n" + text)
    cves = [v for s, v in identifiers if s == "CVE"]
    scores = tuple(Score(m.group(0)) for m in ids.CVSS_VECTOR.finditer(text))
    vuln = ParsedVuln(
        title=title,
        description=text,
        cve=cves[0] if cves else None,
        products=products_in(text),
        scores=scores,
    )
    return ParsedDoc(
        format=fmt,
        raw=raw,
        title=title,
        description=text,
        media_type=media_type,
        identifiers=ids.unique(identifiers),
        vulns=(vuln,),
        attachments=attachments,
        warnings=warnings,
        document_id=document_id,
    )
