"""The Markdown advisory escapes what partners and reporters wrote (issue 12, item 10): their
``<script>``/``onerror`` text appeared verbatim in ``advisory export --format md``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app import advisories
from app.advisories import exporting, markdown
from app.advisories.fields import FIELDS
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Reference, Setting, Vulnerability
from models.advisories import AdvisoryRevision
from tests.app.advisories.conftest import SOURCE

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> "
    "[click](javascript:alert(3)) ![i](javascript:alert(4)) <https://evil.example/x>\n"
    "# Forged heading\n"
    "Forged setext heading\n"
    "===\n"
    "[ref]: javascript:alert(5)\n"
    "<!-- hidden --> | cell | `code` **bold** &lt;b&gt;"
)
LANGUAGES = ("en", "de", "ar", "ja")


def _poison(ws: Workspace, key: str) -> None:
    """Hostile text in every field, in every language, and in every value the case gives."""
    with ws.session() as s:
        actor = ws.require_actor()
        advisories.create(s, actor, key, "en")
        for lang in LANGUAGES:
            for name in FIELDS:
                text = f"{lang} {name} {HOSTILE}" if lang != "en" else f"{SOURCE[name]} {HOSTILE}"
                advisories.set_text(s, actor, key, name, lang, text)
        for v in s.scalars(select(Vulnerability)):
            v.title, v.cve, v.cwe = HOSTILE, f"CVE-2026-1 {HOSTILE}", f"CWE-77 {HOSTILE}"
            v.references.append(Reference(url="javascript:alert(6)", summary=HOSTILE))
            v.references.append(Reference(url=" JaVa\tScRiPt:alert(7)", summary="x"))
            v.references.append(Reference(url="data:text/html,<script>alert(8)</script>"))
            v.references.append(
                Reference(url="https://example.org/a b)<script>", summary="Vendor (fix)")
            )
        for p in s.scalars(select(AffectedProduct)):
            p.name, p.vendor, p.version = HOSTILE, HOSTILE, "1<script>"
            p.hash, p.purl = f"sha256:`{HOSTILE}", "pkg:generic/x@1`<img onerror=alert(9)>"
        org = s.get(Setting, "org.name")
        if org is not None:
            org.value = f"CERT {HOSTILE}"
        adv = advisories.drafting.get_advisory(s, key)
        adv.revisions.append(
            AdvisoryRevision(number=1, summary=HOSTILE, date=datetime(2026, 11, 2, tzinfo=UTC))
        )


def _render_html(md: str) -> str:
    """The page a CommonMark renderer with raw HTML on (as many are) makes of it."""
    mdit = pytest.importorskip("markdown_it")
    return str(mdit.MarkdownIt("commonmark", {"html": True}).enable("table").render(md))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_text_is_escaped_in_every_field(
    ws: Workspace, drafted_case: str, tmp_path: Path, lang: str
) -> None:
    key = drafted_case
    _poison(ws, key)
    out = tmp_path / f"{lang}.md"
    with ws.session() as s:
        exporting.export(s, ws.require_actor(), key, "md", out, language=lang)
    md = out.read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md  # the text is there...
    assert "<" not in md and ">" not in md  # ...but not one tag, comment or autolink
    assert not re.search(r"(?<!\\)\]\((javascript|data):", md, re.I)  # no link to code
    assert not re.search(r"^\s*# Forged", md, re.M) and not re.search(r"^\[ref\]:", md, re.M)
    assert not re.search(r"^\s*===", md, re.M)
    html = _render_html(md)
    assert "<script" not in html and "<img" not in html and "<!--" not in html
    assert not re.search(r"<h\d>Forged", html)  # no heading of its own
    assert not re.findall(r'href="(?!https?://|mailto:)', html)
    # Every link left is the ones the case legitimately has, percent-encoded where needed.
    assert 'href="https://example.org/report/1"' in html
    assert 'href="https://example.org/a%20b%29%3Cscript%3E"' in html
    # The hostile text is shown, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click](javascript:alert(3))" in html


def test_legitimate_text_stays_readable(ws: Workspace, drafted_case: str) -> None:
    with ws.session() as s:
        actor = ws.require_actor()
        advisories.create(s, actor, drafted_case, "en")
        for name, text in SOURCE.items():
            advisories.set_text(s, actor, drafted_case, name, "en", text)
        advisories.set_text(
            s, actor, drafted_case, "mitigation", "en",
            "Steps:\n1. Disable the browsing tool.\n2. Rotate keys (R&D first).\n- Score 9.3",
        )  # fmt: skip
        from app.advisories import content, render

        md = render.render(content.load(s, drafted_case, "en"), "md")
    assert SOURCE["impact"] in md and SOURCE["remediation"] in md
    assert "[Report](https://example.org/report/1)" in md
    assert "`sha256:" + "ab" * 32 + "`" in md  # identifiers keep their code span
    html = _render_html(md)
    # Lists stay lists; nothing else of the text changes.
    assert "<li>Disable the browsing tool.</li>" in html
    assert "<li>Rotate keys (R&amp;D first).</li>" in html and "<li>Score 9.3</li>" in html


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/x", True),
        ("mailto:cert@example.org", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("vbscript:msgbox", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x", False),
    ],
)
def test_only_web_and_mail_addresses_become_links(url: str, linked: bool) -> None:
    out = str(markdown.link("label", url))
    assert out.startswith("[label](") == linked
    assert "<" not in out


@pytest.fixture
def drafted_case(ws: Workspace) -> str:
    from tests.app.advisories.conftest import seed_case

    return seed_case(ws)
