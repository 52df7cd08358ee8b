"""Compile every ``.po`` catalog to ``.mo`` (run by ``make venv``; outputs are not committed)."""

from __future__ import annotations

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from i18n.catalog import LOCALE_DIR


def compile_catalogs() -> list[str]:
    compiled = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parts[-3])
        with po_path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        compiled.append(po_path.parts[-3])
    return compiled


if __name__ == "__main__":
    print("compiled catalogs:", ", ".join(compile_catalogs()) or "none")
