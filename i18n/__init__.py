"""Message catalogs and locale-aware formatting; imports nothing of the project."""

from i18n.catalog import (
    LANGUAGE_NAMES,
    LANGUAGES,
    N_,
    _,
    bcp47,
    current_language,
    gettext_in,
    is_rtl,
    ngettext,
    normalise_language,
    set_language,
)

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "_",
    "bcp47",
    "current_language",
    "gettext_in",
    "is_rtl",
    "ngettext",
    "normalise_language",
    "set_language",
]
