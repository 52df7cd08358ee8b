"""Extract every message into ``i18n/locale/accord.pot`` and update each language's ``.po``.

Run ``python -m i18n.extract`` (or ``make i18n-extract``) after adding strings, translate the
empty ``msgstr`` entries, then ``python -m i18n.build`` compiles them. Existing translations
are kept; messages no longer in the code are dropped; nothing is fuzzy-matched, so a new
message is never shipped with a guessed translation.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import yaml
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from i18n.catalog import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE
from i18n.data import DATA_FIELDS

ROOT = LOCALE_DIR.parents[1]
SOURCE_DIRS = ("app", "views", "i18n", "taxonomy")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "gettext_in": (2,),
    "tx": None,
}
POT = LOCALE_DIR / f"{DOMAIN}.pot"


def _method_map() -> list[tuple[str, str]]:
    cfg = ROOT / "babel.cfg"
    if not cfg.exists():
        return [("**.py", "python")]
    with cfg.open(encoding="utf-8") as fh:
        mapping, _options = parse_mapping_cfg(fh)  # type: ignore[no-untyped-call]
    return [(str(pattern), str(method)) for pattern, method in mapping]


def extract() -> Catalog:
    """Every message of the source folders, with the file and line where it is used."""
    template = Catalog(
        project="Accord", domain=DOMAIN, charset="utf-8", fuzzy=False,
        creation_date=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    for folder in SOURCE_DIRS:
        prefix = f"{folder}/"
        method_map = [
            (pattern.removeprefix(prefix), method)
            for pattern, method in _method_map()
            if pattern.startswith(prefix)
        ]
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / folder, method_map, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):  # fmt: skip
            if not message or (isinstance(message, str) and not message.strip()):
                continue
            if isinstance(message, tuple) and not message[0]:
                continue
            template.add(
                message, None, [(f"{folder}/{filename}", lineno)], auto_comments=comments,
                context=context,
            )  # fmt: skip
    for context, text, where in data_texts():
        template.add(text, None, [where], context=context)
    return template


def data_texts() -> list[tuple[str, str, tuple[str, int]]]:
    """(context, text, (file, line)) for every shown text of the data files
    (``i18n.data.DATA_FIELDS``), read where the application reads it."""
    found = []
    for pattern, context, paths in DATA_FIELDS:
        for path in sorted(ROOT.glob(pattern)):
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
            name = path.relative_to(ROOT).as_posix()
            for keys in paths:
                for node in _nodes_at(root, keys):
                    if isinstance(node, yaml.ScalarNode) and node.value.strip():
                        found.append((context, node.value, (name, node.start_mark.line + 1)))
    return found


def _nodes_at(node: yaml.Node | None, keys: tuple[str, ...]) -> list[yaml.Node]:
    """The nodes under ``keys`` (``*``: every item of a list, every value of a mapping)."""
    if node is None or not keys:
        return [] if node is None else [node]
    key, rest = keys[0], keys[1:]
    if isinstance(node, yaml.SequenceNode) and key == "*":
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [v for k, v in node.value if key in ("*", k.value)]
    else:
        children = []
    return [found for child in children for found in _nodes_at(child, rest)]


def update(template: Catalog) -> dict[str, tuple[int, int]]:
    """Write the template and merge it into every language; returns (translated, total)."""
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with POT.open("wb") as fh:
        write_po(fh, template, width=100, omit_header=False)
    counts: dict[str, tuple[int, int]] = {}
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            po_path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=Locale.parse(lang), domain=DOMAIN, project="Accord")
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.fuzzy = False
        catalog.project = "Accord"
        catalog.last_translator = "Accord translators"
        catalog.language_team = f"Accord {lang}"
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True, include_previous=False)
        total = sum(1 for m in catalog if m.id)
        done = sum(1 for m in catalog if m.id and _translated(m.string))
        counts[lang] = (done, total)
    return counts


def _translated(value: str | tuple[str, ...] | list[str] | None) -> bool:
    if isinstance(value, tuple | list):
        return all(value)
    return bool(value)


def untranslated(lang: str) -> list[str]:
    """The msgids of ``lang`` that still lack a translation."""
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    return [
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and not _translated(m.string)
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m i18n.extract`` updates the catalogs; ``--missing`` only lists what still
    needs a translation (exit code 1 when something does)."""
    args = list(argv or [])
    if "--missing" in args:
        todo = 0
        for lang in LANGUAGES[1:]:
            for msgid in untranslated(lang):
                print(f"{lang}\t{msgid}")
                todo += 1
        return 1 if todo else 0
    template = extract()
    counts = update(template)
    print(f"{POT.relative_to(ROOT)}: {len(template)} messages")
    for lang, (done, total) in counts.items():
        print(f"{lang:6} {done}/{total} translated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
