"""From bytes to parsed reports: detection, hostile-input checks, then the format's parser.

Pure and Qt-free; safe to run in a worker process (nothing here touches the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.intake import avid, csaf, cve5, detect, mail, osv, rows, scores, spreadsheet, text
from app.intake.model import Limits, ParsedDoc, Rejected
from i18n import _


@dataclass(frozen=True)
class ParseOptions:
    source: str = "manual"
    limits: Limits = field(default_factory=Limits)
    saved_mapping: dict[str, str] = field(default_factory=dict)
    explicit_mapping: dict[str, str] = field(default_factory=dict)
    org_keys: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Parsed:
    docs: tuple[ParsedDoc, ...]
    mapping: dict[str, str] | None = None  # the spreadsheet mapping used, to save per source


def parse_document(name: str, data: bytes, opts: ParseOptions) -> Parsed:
    """Parse one file's bytes, scores recomputed and the pure part of storing done
    (``rows.prepare``: in a worker process, not in the single writer); raise Rejected with a
    one-line reason."""
    parsed = _parse(name, data, opts)
    docs = (scores.recompute_doc(d) for d in parsed.docs)
    return Parsed(tuple(replace(d, prepared=rows.prepare(d)) for d in docs), parsed.mapping)


def _parse(name: str, data: bytes, opts: ParseOptions) -> Parsed:
    detect.check_bytes(data, opts.limits)
    kind = detect.sniff(name, data)
    if kind in ("xlsx", "csv"):
        headers, rows = spreadsheet.read_table(name, data, opts.limits)
        mapping = {
            **spreadsheet.auto_mapping(headers),
            **opts.saved_mapping,
            **opts.explicit_mapping,
        }
        return Parsed(tuple(spreadsheet.parse_rows(headers, rows, mapping, opts.source)), mapping)
    if kind == "email":
        return Parsed((mail.parse(data, opts.org_keys, opts.limits),))
    source_text = detect.decode_text(data)
    if kind == "text":
        media = "text/markdown" if name.lower().endswith((".md", ".markdown")) else "text/plain"
        fmt = "markdown" if media == "text/markdown" else "text"
        return Parsed((text.parse(source_text, data, fmt=fmt, media_type=media),))
    if kind == "yaml":
        obj: Any = detect.load_yaml(source_text, opts.limits)
        media = "application/yaml"
    else:
        obj = detect.load_json(source_text, opts.limits)
        media = "application/json"
    family = detect.json_kind(obj)
    if family == "csaf":
        return Parsed((csaf.parse(obj, data),))
    if family == "cve5":
        return Parsed((cve5.parse(obj, data),))
    if family == "osv":
        return Parsed((osv.parse(obj, data, media),))
    if family == "avid":
        return Parsed((avid.parse(obj, data),))
    raise Rejected(_("not a recognised report format (CSAF, CVE 5, OSV or AVID)"))
