"""Message catalogs and locale-aware formatting; imports nothing of the project."""

from i18n.catalog import N_, _, current_language, is_rtl, ngettext, set_language

__all__ = ["N_", "_", "current_language", "is_rtl", "ngettext", "set_language"]
