"""Checked at start: can this machine draw the interface language's script?

Without a CJK font Japanese rendered as boxes, with no word why. Qt's font database says
which writing systems the installed fonts cover; when the chosen language's is missing the
user is told, in English (the one script every install can draw), what to install or to
choose another language.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QMessageBox, QWidget

from i18n import LANGUAGE_NAMES, current_language, gettext_in
from i18n.catalog import SOURCE_LANGUAGE

WS = QFontDatabase.WritingSystem
SCRIPTS: dict[str, tuple[QFontDatabase.WritingSystem, str, str]] = {
    # language: (writing system, script name, a font package that covers it)
    "ar": (WS.Arabic, "Arabic", "fonts-noto-core (Noto Sans Arabic)"),
    "ja": (WS.Japanese, "Japanese", "fonts-noto-cjk (Noto Sans CJK JP)"),
    "zh_CN": (WS.SimplifiedChinese, "Simplified Chinese", "fonts-noto-cjk (Noto Sans CJK SC)"),
}

Families = Callable[[QFontDatabase.WritingSystem], list[str]]


def missing_script(language: str, families: Families | None = None) -> str | None:
    """The message to show when no installed font covers ``language``'s script, else None."""
    entry = SCRIPTS.get(language)
    if entry is None or (families or QFontDatabase.families)(entry[0]):
        return None
    _system, script, package = entry
    return gettext_in(
        SOURCE_LANGUAGE,
        "No installed font can draw {script}, so {language} text would show as empty boxes. "
        "Install a font for it, for example {package}, then restart Accord; or choose "
        "another language in the Language menu.",
    ).format(script=script, language=LANGUAGE_NAMES.get(language, language), package=package)


def warn_if_unrenderable(parent: QWidget | None, language: str | None = None) -> QMessageBox | None:
    """Open (not exec: nothing blocks) a warning when the language cannot be drawn."""
    message = missing_script(language or current_language())
    if message is None:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, "Accord", message, QMessageBox.StandardButton.Ok)
    box.setObjectName("fontWarning")
    if parent is not None:
        box.setParent(parent, box.windowFlags())
    box.open()
    return box
