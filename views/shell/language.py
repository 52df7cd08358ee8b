"""Switch the interface language in the running GUI.

A Language menu lists the shipped languages by their own names; choosing one switches the
gettext catalog (``i18n.set_language``), lays the application out right to left for Arabic,
and asks every open window to redo its strings: windows with ``retranslate()`` are called,
and every widget receives one ``LanguageChange`` event (see ``changeEvent`` in the screens).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from i18n import LANGUAGE_NAMES, LANGUAGES, _, current_language, is_rtl, set_language
from views.shell import qt_words

if TYPE_CHECKING:
    from views.shell.host import WindowHost


def switch_language(language: str) -> None:
    """Set the catalog and the layout direction, then retranslate every top-level window."""
    set_language(language)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    qt_words.install(app, language)
    app.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if is_rtl(language) else Qt.LayoutDirection.LeftToRight
    )
    from views.shell.fonts import missing_script

    problem = missing_script(language)
    for widget in app.topLevelWidgets():
        status = getattr(widget, "statusBar", None)
        if problem and callable(status):
            status().showMessage(problem, 30000)
        retranslate = getattr(widget, "retranslate", None)
        if callable(retranslate) and not _listens(widget):
            retranslate()
        # Qt hands the event on to every child widget (QWidget::event), each once.
        QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.LanguageChange))


def _listens(widget: QWidget) -> bool:
    """Whether the widget retranslates itself on the event (its own ``changeEvent``)."""
    ours = (c for c in type(widget).__mro__ if c.__module__.startswith("views."))
    return any("changeEvent" in vars(c) for c in ours)


class LanguageMenu(QMenu):
    """One checkable action per language, named in that language."""

    language_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions_by_language: dict[str, QAction] = {}
        for code in LANGUAGES:
            action = QAction(LANGUAGE_NAMES[code], self)
            action.setCheckable(True)
            action.setData(code)
            action.triggered.connect(lambda _checked=False, c=code: self.language_requested.emit(c))
            self.group.addAction(action)
            self.addAction(action)
            self.actions_by_language[code] = action
        self.sync()
        self.retranslate()

    def sync(self) -> None:
        action = self.actions_by_language.get(current_language())
        if action is not None:
            action.setChecked(True)

    def retranslate(self) -> None:
        self.setTitle(_("&Language"))
        self.sync()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _remember(window: WindowHost, language: str) -> None:
    """Keep the choice in the typed settings (a preference, never a secret)."""
    from app.errors import AccordError
    from app.workspaces import settings as settings_mod

    try:
        updated = window.settings.replace(language=language)
        settings_mod.save(updated, window.settings_path)
        window.settings = updated
    except (AccordError, OSError, AttributeError, TypeError):
        window.statusBar().showMessage(_("The language could not be saved."), 5000)


def install(window: WindowHost, remember: Callable[[WindowHost, str], None] = _remember) -> None:
    """Put the Language menu before Help and switch when a language is chosen."""
    menu = LanguageMenu(window)
    window.language_menu = menu  # type: ignore[attr-defined]
    bar = window.menuBar()
    help_menu = getattr(window, "help_menu", None)
    if isinstance(help_menu, QMenu):
        bar.insertMenu(help_menu.menuAction(), menu)
    else:
        bar.addMenu(menu)

    def chosen(code: str) -> None:
        switch_language(code)
        remember(window, code)

    menu.language_requested.connect(chosen)
