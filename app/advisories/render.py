"""Render an advisory as one self-contained printable HTML page, Markdown or plain text.

Templates live in resources/templates/advisory/; all boilerplate is translated here, in the
advisory's language, so templates carry no gettext calls. Arabic pages are laid out
right to left (``dir="rtl"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.advisories import markdown
from app.advisories.content import AdvisoryContent
from app.advisories.fields import (
    FIELD_LABELS,
    FIELDS,
    KIND_LABELS,
    REVIEW_LABELS,
    TIER_LABELS,
    TLP_LABELS,
)
from app.errors import UsageError
from app.workspaces import files
from i18n import _, bcp47, gettext_in, is_rtl
from i18n.formatting import format_date, format_instant, format_list, format_score
from taxonomy.data import resource_path

FORMATS: dict[str, str] = {
    "html": "advisory.html.j2",
    "md": "advisory.md.j2",
    "txt": "advisory.txt.j2",
}


def _environment(fmt: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(resource_path("templates", "advisory"))),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False)
        if fmt == "html"
        else False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Markdown passes HTML and links through: every value is escaped unless a filter
        # below built it as markup on purpose.
        finalize=markdown.inline if fmt == "md" else None,
    )
    env.filters.update(md_block=markdown.block, md_link=markdown.link, md_code=markdown.code)
    return env


def context(c: AdvisoryContent, reader_tz: str | None = None) -> dict[str, Any]:
    """The template variables: translated labels, texts, formatted dates and scores."""
    lang = c.language

    def tx(message: str) -> str:
        return gettext_in(lang, message)

    severity = None
    if c.severity is not None:
        s = c.severity
        severity = {
            "tier": tx(TIER_LABELS.get(s.tier, s.tier)),
            "cvss": (
                tx("CVSS {version} base score {score} ({vector})").format(
                    version=s.cvss_version,
                    score=format_score(s.cvss_score, lang),
                    vector=s.cvss_vector,
                )
                if s.cvss_score is not None and s.cvss_vector
                else ""
            ),
            "ssvc": tx("SSVC decision: {decision}").format(decision=s.ssvc_decision)
            if s.ssvc_decision
            else "",
        }
    sections = [
        {"key": name, "label": tx(FIELD_LABELS[name]), "text": c.texts[name]}
        for name in FIELDS
        if name != "title" and c.texts[name].strip()
    ]
    products = [
        {
            "kind": tx(KIND_LABELS.get(p.kind, KIND_LABELS["product"])),
            "label": p.label,
            "hash": p.hash or "",
            "purl": p.purl or "",
        }
        for p in c.products
    ]
    vulns = [
        {"title": v.title, "cve": v.cve or "", "cwe": v.cwe or "", "refs": v.references}
        for v in c.vulnerabilities
    ]
    revisions = [
        {
            "number": r.number,
            "date": format_instant(r.date, lang, reader_tz),
            "summary": r.summary
            or (tx("Initial publication.") if r.number == 1 else tx("Updated publication.")),
        }
        for r in c.revisions
    ]
    return {
        "lang": bcp47(lang),
        "dir": "rtl" if is_rtl(lang) else "ltr",
        "title": c.texts["title"] or c.case_key,
        "case_key": c.case_key,
        "organisation": c.organisation,
        "status": tx(REVIEW_LABELS.get(c.status, c.status)),
        "tlp": c.tlp,
        "tlp_text": tx(TLP_LABELS.get(c.tlp, c.tlp)),
        "severity": severity,
        "sections": sections,
        "products": products,
        "vulnerabilities": vulns,
        "revisions": revisions,
        "embargo": format_instant(c.embargo_until, lang, reader_tz) if c.embargo_until else "",
        "generated": format_instant(c.generated_at, lang, reader_tz),
        "generated_date": format_date(c.generated_at, lang),
        "fallback": format_list([tx(FIELD_LABELS[f]) for f in c.fallback_fields], lang),
        "label": {
            "advisory": tx("Security advisory"),
            "severity": tx(FIELD_LABELS["severity"]),
            "status": tx("Status"),
            "products": tx("Affected products"),
            "vulnerabilities": tx("Vulnerabilities"),
            "revisions": tx("Revision history"),
            "revision": tx("Revision"),
            "date": tx("Date"),
            "embargo": tx("Embargo until"),
            "generated": tx("Generated"),
            "hash": tx("Hash"),
            "not_translated": tx("Not yet translated; shown in the source language:"),
            "no_severity": tx("No assessment yet."),
            "publisher": tx("Publisher"),
        },
    }


def render(c: AdvisoryContent, fmt: str, reader_tz: str | None = None) -> str:
    """The advisory as ``html``, ``md`` or ``txt``."""
    if fmt not in FORMATS:
        raise UsageError(
            _("unknown format {fmt}; formats are: {formats}").format(
                fmt=fmt, formats=", ".join([*FORMATS, "csaf"])
            )
        )
    return _environment(fmt).get_template(FORMATS[fmt]).render(**context(c, reader_tz))


def write(c: AdvisoryContent, fmt: str, out: Path, reader_tz: str | None = None) -> None:
    files.write_private(out, render(c, fmt, reader_tz).encode("utf-8"))
