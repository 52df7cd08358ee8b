"""Extraction finds the marked strings of every package, including N_ constants and plurals."""

from __future__ import annotations

from i18n.extract import extract


def test_extract_collects_messages_from_all_packages() -> None:
    template = extract()
    ids = {m.id for m in template if m.id}
    assert "Mitigation and workaround" in ids  # N_ constant in app/advisories/fields.py
    assert "Translate into" in ids  # views/advisories/editor.py
    assert "&Language" in ids  # views/shell/language.py
    assert "{time} UTC" in ids  # gettext_in in i18n/formatting.py
    locations = {loc[0].split("/")[0] for m in template for loc in m.locations}
    assert {"app", "views", "i18n"} <= locations
