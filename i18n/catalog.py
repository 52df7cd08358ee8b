"""One gettext domain for the interface and the advisory boilerplate.

Catalogs live in ``i18n/locale/<lang>/LC_MESSAGES/accord.po``; ``python -m i18n.build``
compiles them during the build. Compiled ``.mo`` files are never committed.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "accord"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
# The languages Accord ships (interface and advisory boilerplate), source first.
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "pt_BR", "ja", "zh_CN", "ar")
# Each language's name in itself, for menus.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "ja": "日本語",
    "zh_CN": "简体中文",
    "ar": "العربية",
}
# BCP 47 tags (CSAF document/lang, HTML lang) for the catalog codes above.
BCP47: dict[str, str] = {"pt_BR": "pt-BR", "zh_CN": "zh-Hans-CN"}

CONTEXT_SEPARATOR = "\x04"  # between a message's context and its id in a compiled catalog

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE


def set_language(language: str) -> None:
    """Switch the process-wide catalog; unknown languages fall back to the source text."""
    global _translations, _language
    _language = language
    if language == SOURCE_LANGUAGE:
        _translations = gettext.NullTranslations()
        return
    _translations = translation(language)


@cache
def translation(language: str) -> gettext.NullTranslations:
    """The catalog of one language, without switching the process-wide language."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(
        DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
    )


def gettext_in(language: str, message: str) -> str:
    """``message`` translated into ``language`` (advisory boilerplate in the reader's language)."""
    return translation(language).gettext(message)


def bcp47(language: str) -> str:
    """The BCP 47 tag of a catalog code: ``pt_BR`` → ``pt-BR``, ``zh_CN`` → ``zh-Hans-CN``."""
    return BCP47.get(language, language.replace("_", "-"))


def normalise_language(value: str) -> str:
    """Map ``pt-BR``, ``zh-Hans-CN``, ``zh`` … to the shipped catalog code, else return as is."""
    folded = value.strip().replace("-", "_").casefold()
    for code in LANGUAGES:
        if folded in (code.casefold(), bcp47(code).replace("-", "_").casefold()):
            return code
    aliases = {"pt": "pt_BR", "zh": "zh_CN", "zh_hans": "zh_CN"}
    return aliases.get(folded, value.strip())


def current_language() -> str:
    return _language


def is_rtl(language: str | None = None) -> bool:
    return (language or _language).split("_")[0] in RTL_LANGUAGES


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` of ``context`` (a kind of data-file text, ``i18n.data``): the same English
    words may be a playbook's and a button's, translated apart."""
    return _translations.pgettext(context, message)


@cache
def _sources(language: str) -> dict[str, str]:
    """Translation -> source text of one language's catalog (singular messages only)."""
    catalog = getattr(translation(language), "_catalog", {})  # GNUTranslations' own table
    # A message with a context is stored as "context\x04msgid".
    return {
        text: msgid.rpartition(CONTEXT_SEPARATOR)[2]
        for msgid, text in catalog.items()
        if isinstance(msgid, str) and msgid and isinstance(text, str)
    }


def source_text(text: str) -> str:
    """The source (English) text of ``text`` shown in the current language, or ``text`` when
    it is a source text already: a title translated once can be translated again after a
    language switch."""
    if _language == SOURCE_LANGUAGE or text in getattr(_translations, "_catalog", {}):
        return text
    return _sources(_language).get(text, text)


def N_(message: str) -> str:
    """Mark a module-level constant for extraction; translate it with ``_()`` where shown."""
    return message


def reload_catalogs() -> None:
    """Forget loaded catalogs (after ``python -m i18n.build`` recompiled them)."""
    translation.cache_clear()
    _sources.cache_clear()
    set_language(_language)
