"""HTML (self-contained, right to left in Arabic), Markdown and plain text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app import advisories
from app.advisories import content, exporting, render
from app.casework.cases import get_case
from app.workspaces.lifecycle import Workspace
from i18n import gettext_in
from tests.app.advisories.conftest import SOURCE, TITLES


def test_arabic_html_is_right_to_left_and_self_contained(
    ws: Workspace, drafted: str, tmp_path: Path
) -> None:
    with ws.session() as s:
        advisories.set_text(s, ws.require_actor(), drafted, "title", "ar", TITLES["ar"])
        out = tmp_path / "ar.html"
        exporting.export(s, ws.require_actor(), drafted, "html", out, language="ar")
    html = out.read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in html
    assert TITLES["ar"] in html
    assert "<script" not in html and "<link" not in html and "http-equiv" not in html
    assert gettext_in("ar", "Severity") in html and gettext_in("ar", "Severity") != "Severity"
    # A field not yet translated appears in the source language, and the page says so.
    assert SOURCE["impact"].replace("'", "&#39;") in html
    assert gettext_in("ar", "Not yet translated; shown in the source language:") in html


def test_left_to_right_html_and_escaping(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        advisories.set_text(s, ws.require_actor(), drafted, "impact", "en", "<script>x</script>")
        html = render.render(content.load(s, drafted, "fr"), "html")
    assert '<html lang="fr" dir="ltr">' in html
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_markdown_and_text_use_the_language(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        advisories.set_text(s, ws.require_actor(), drafted, "title", "de", TITLES["de"])
        get_case(s, drafted).embargo_until = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with ws.session() as s:
        data = content.load(s, drafted, "de")
        md = render.render(data, "md", "Europe/Berlin")
        txt = render.render(data, "txt", "Europe/Berlin")
    assert md.startswith(f"# {TITLES['de']}")
    assert f"## {gettext_in('de', 'Severity')}" in md
    assert "8,2" in md or "9,3" in md  # German decimal comma in the CVSS score
    # The embargo end in UTC and in the reader's zone.
    assert "01.12.2026, 09:00:00 UTC" in txt and "10:00:00 Europe/Berlin" in txt
    assert txt.splitlines()[1] == "=" * len(TITLES["de"])
