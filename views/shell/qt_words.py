"""Qt's own words in the interface language: a wizard's Back, Next and Cancel, a message
box's Yes and No, a text field's Copy and Paste. Qt ships them as ``qtbase_<lang>.qm``;
without them the Japanese export wizard said "< Back", "Next >" and "Cancel"."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

NAME = "accord-qt-words"


def install(app: QCoreApplication, language: str) -> bool:
    """Replace the Qt translator by ``language``'s; False when Qt has none (English needs
    none: it is Qt's own)."""
    for old in app.findChildren(QTranslator, NAME):
        app.removeTranslator(old)
        old.setObjectName("")  # gone before its deletion runs
        old.deleteLater()
    if language.split("_")[0] == "en":
        return False
    translator = QTranslator(app)
    translator.setObjectName(NAME)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(language), "qtbase", "_", folder):
        translator.deleteLater()
        return False
    app.installTranslator(translator)
    return True
