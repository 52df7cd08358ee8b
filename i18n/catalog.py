"""One gettext domain for the interface and the advisory boilerplate.

Catalogs live in ``i18n/locale/<lang>/LC_MESSAGES/accord.po``; ``python -m i18n.build``
compiles them during the build. Compiled ``.mo`` files are never committed.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "accord"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE


def set_language(language: str) -> None:
    """Switch the process-wide catalog; unknown languages fall back to the source text."""
    global _translations, _language
    _language = language
    if language == SOURCE_LANGUAGE:
        _translations = gettext.NullTranslations()
        return
    _translations = gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
    )


def current_language() -> str:
    return _language


def is_rtl(language: str | None = None) -> bool:
    return (language or _language).split("_")[0] in RTL_LANGUAGES


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a module-level constant for extraction; translate it with ``_()`` where shown."""
    return message
