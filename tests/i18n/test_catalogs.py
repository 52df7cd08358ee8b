"""Every catalog parses, keeps the source's {placeholders}, and covers the shipped languages."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from i18n import LANGUAGES, gettext_in
from i18n.build import compile_catalogs
from i18n.catalog import LOCALE_DIR, reload_catalogs

PO_FILES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/accord.po"))


def placeholders(text: str) -> set[str]:
    """Named fields of a str.format template ({n}, {key!r}, {score:.1f} → n, key, score)."""
    names = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


def test_every_target_language_has_a_catalog() -> None:
    assert {p.parts[-3] for p in PO_FILES} == set(LANGUAGES) - {"en"}


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_translations_keep_the_placeholders_of_their_source(po_path: Path) -> None:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parts[-3])
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(placeholders(i) for i in ids))
        for translated in strings:
            if not translated:
                continue
            try:
                found = placeholders(translated)
            except ValueError as exc:
                problems.append(f"{ids[0]!r}: unbalanced braces in {translated!r} ({exc})")
                continue
            if found != expected:
                problems.append(f"{ids[0]!r}: {sorted(found)} instead of {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_a_renamed_field() -> None:
    assert placeholders("{n} reports imported") != placeholders("{count} rapports importés")
    with pytest.raises(ValueError):
        placeholders("{n rapports")


@pytest.mark.parametrize("po_path", PO_FILES, ids=lambda p: p.parts[-3])
def test_no_message_is_marked_fuzzy(po_path: Path) -> None:
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=po_path.parts[-3])
    assert [m.id for m in catalog if m.id and m.fuzzy] == []


def test_compiled_catalogs_translate_advisory_boilerplate() -> None:
    compile_catalogs()
    reload_catalogs()
    assert gettext_in("fr", "Severity") == "Gravité"
    assert gettext_in("de", "Severity") == "Schweregrad"
    assert gettext_in("ja", "Severity") == "深刻度"
    assert gettext_in("ar", "Severity") == "الخطورة"
    assert gettext_in("en", "Severity") == "Severity"
    assert re.search(r"\{time\}", gettext_in("zh_CN", "{time} UTC"))
