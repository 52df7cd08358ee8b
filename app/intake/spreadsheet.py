"""CSV and XLSX exports from bug-bounty platforms: one report per row.

Columns are mapped to report fields by a mapping saved per source (``SourceMapping``); a
first import guesses it from common headers (HackerOne- and Bugcrowd-style exports).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from app.intake import ids
from app.intake import text as text_parser
from app.intake.model import Limits, ParsedDoc, ParsedVuln, Ref, Rejected, Score
from i18n import _

FIELDS = (
    "identifier",
    "title",
    "description",
    "severity",
    "weakness",
    "cvss_vector",
    "product",
    "url",
    "reporter",
    "created",
    "ignore",
)
AUTO: dict[str, str] = {
    "id": "identifier",
    "report_id": "identifier",
    "reference_number": "identifier",
    "submission_id": "identifier",
    "reference": "identifier",
    "title": "title",
    "summary": "title",
    "name": "title",
    "vulnerability_information": "description",
    "description": "description",
    "details": "description",
    "body": "description",
    "report": "description",
    "severity": "severity",
    "severity_rating": "severity",
    "priority": "severity",
    "weakness": "weakness",
    "cwe": "weakness",
    "vrt": "weakness",
    "vulnerability_type": "weakness",
    "cvss_vector": "cvss_vector",
    "cvss": "cvss_vector",
    "vector": "cvss_vector",
    "asset": "product",
    "asset_identifier": "product",
    "structured_scope": "product",
    "target": "product",
    "target_name": "product",
    "product": "product",
    "model": "product",
    "url": "url",
    "link": "url",
    "vulnerability_url": "url",
    "reporter": "reporter",
    "researcher": "reporter",
    "researcher_username": "reporter",
    "created_at": "created",
    "submitted_at": "created",
    "submitted": "created",
}


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Guess column → field for the headers a platform export usually has."""
    return {h: AUTO[_key(h)] for h in headers if _key(h) in AUTO}


def read_table(name: str, data: bytes, limits: Limits) -> tuple[list[str], list[dict[str, str]]]:
    """Headers and rows of a CSV (UTF-8) or XLSX sheet, every cell as text."""
    import pandas as pd

    try:
        if name.lower().endswith(".xlsx") or data.startswith(b"PK"):
            _check_xlsx(data, limits)
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        else:
            data.decode("utf-8-sig")
            frame = pd.read_csv(
                io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
    except UnicodeDecodeError as exc:
        raise Rejected(_("invalid UTF-8 at byte {pos}").format(pos=exc.start)) from None
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(
            _("unreadable spreadsheet: {error}").format(
                error=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            )
        ) from None
    if len(frame) > limits.max_rows:
        raise Rejected(_("more than {n} rows").format(n=limits.max_rows))
    frame = frame.fillna("")
    headers = [str(c) for c in frame.columns]
    rows = [
        {h: str(v) for h, v in zip(headers, rec, strict=True)}
        for rec in frame.itertuples(index=False, name=None)
    ]
    return headers, rows


def _check_xlsx(data: bytes, limits: Limits) -> None:
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise Rejected(_("not a readable XLSX file: {error}").format(error=exc)) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.zip_max_total or total / packed > limits.zip_max_ratio:
        raise Rejected(_("XLSX expands too much (zip bomb)"))


def parse_rows(
    headers: list[str], rows: list[dict[str, str]], mapping: dict[str, str], source: str
) -> list[ParsedDoc]:
    unknown = sorted({f for f in mapping.values() if f not in FIELDS})
    if unknown:
        raise Rejected(
            _("unknown field(s) in the column mapping: {fields}").format(fields=", ".join(unknown))
        )
    by_field: dict[str, list[str]] = {}
    for column, fld in mapping.items():
        if column in headers:
            by_field.setdefault(fld, []).append(column)
    if "title" not in by_field and "description" not in by_field:
        raise Rejected(
            _("no column is mapped to title or description; map one with --map COLUMN=title")
        )
    docs = []
    for row in rows:

        def get(fld: str, r: dict[str, str] = row) -> str:
            return " ".join(r[c].strip() for c in by_field.get(fld, []) if r.get(c, "").strip())

        title, description = get("title"), get("description")
        if not title and not description:
            continue
        ident = get("identifier")
        text = "\n".join(filter(None, [title, description]))
        identifiers = [("vendor", f"{source}:{ident}")] if ident else []
        identifiers += ids.find_in_text(text)
        cves = [v for s, v in identifiers if s == "CVE"]
        vector = get("cvss_vector")
        product = get("product")
        url = get("url")
        vuln = ParsedVuln(
            title=(title or description.split("\n")[0])[:500],
            description=description,
            cve=cves[0] if cves else None,
            cwe=get("weakness")[:30] or None,
            products=(text_parser.product(product),) if product else (),
            references=(Ref(url[:2000]),) if url.startswith(("http://", "https://")) else (),
            scores=(Score(vector),) if vector.startswith("CVSS:") else (),
        )
        raw = json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")
        sev = get("severity")
        docs.append(
            ParsedDoc(
                format="spreadsheet",
                raw=raw,
                title=vuln.title,
                description=description,
                document_id=f"{source}:{ident}"[:300] if ident else None,
                media_type="application/json",
                identifiers=ids.unique(identifiers),
                vulns=(vuln,),
                warnings=(_("stated severity: {severity}").format(severity=sev),) if sev else (),
            )
        )
    return docs


def mapping_json(mapping: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping.items()}
