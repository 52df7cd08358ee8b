"""A live language switch reaches every screen: no catalog text stays English after it.

The main window is opened with a case selected (every case tab built) and every window it can
open (Tools, Administration, New case…); then the language is switched and every widget is
walked. A text that is a catalog message with a different translation, still in English after
the switch to that language, names the widget that forgot to retranslate it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QTabBar,
    QTabWidget,
    QTextEdit,
    QToolBar,
    QWidget,
    QWizard,
    QWizardPage,
)

from i18n.catalog import translation
from views.common.workers import JobHandle
from views.shell.language import LanguageMenu

# Item views list data; their first rows are enough to find fixed labels among it.
ROWS_CHECKED = 50


pytestmark = pytest.mark.usefixtures("back_to_english")


def _plain(text: str) -> str:
    """The text a reader sees: no mnemonic markers ("&File", "A && B"), no markup."""
    text = re.sub(r"</?[a-zA-Z][^>]*>", " ", text)
    text = re.sub(r"&(&?)", lambda m: "&" if m.group(1) else "", text)
    return " ".join(text.split())


def _translated(language: str) -> dict[str, str]:
    """Plain source text -> plain translation, for every message ``language`` translates
    differently, the data files' texts (a context before "\x04") included."""
    catalog = getattr(translation(language), "_catalog", {})
    pairs = {}
    for msgid, text in catalog.items():
        if isinstance(msgid, str) and msgid and isinstance(text, str):
            source, shown = _plain(msgid.rpartition("\x04")[2]), _plain(text)
            if source != shown and any(ch.isalpha() for ch in source):
                pairs[source] = shown
    return pairs


def _owner(widget: QObject) -> str:
    """The screen a widget belongs to: its nearest ancestor defined in ``views``."""
    parent = widget.parent()
    while parent is not None:
        if type(parent).__module__.startswith("views."):
            return type(parent).__name__
        parent = parent.parent()
    return "?"


def _not_ours(obj: QObject) -> bool:
    """Words that are not the catalog's: a charting library's own menus, and the value names
    of the CVSS and SSVC specifications ("High", "Low"), shown as the specifications spell
    them in every language (taxonomy.cvss_scores, taxonomy.ssvc)."""
    parent = obj.parent()
    if parent is not None and parent.objectName().startswith(("cvss", "ssvc-")):
        return True
    while obj is not None and not type(obj).__module__.startswith("views."):
        if type(obj).__module__.startswith("pyqtgraph"):
            return True
        obj = obj.parent()
    return False


def _name(obj: QObject) -> str:
    named = f"#{obj.objectName()}" if obj.objectName() else ""
    return f"{type(obj).__name__}{named} in {_owner(obj)}"


def _model_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    role = Qt.ItemDataRole.DisplayRole

    def columns(parent: QModelIndex) -> int:
        try:
            return model.columnCount(parent)
        except TypeError:  # a list model keeps columnCount private: one column
            return 1

    for column in range(columns(QModelIndex())):
        yield str(model.headerData(column, Qt.Orientation.Horizontal, role) or "")
        yield str(
            model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) or ""
        )

    def walk(parent: QModelIndex, depth: int) -> Iterator[str]:
        for row in range(min(model.rowCount(parent), ROWS_CHECKED)):
            for column in range(columns(parent)):
                index = model.index(row, column, parent)
                yield str(model.data(index, role) or "")
                yield str(model.data(index, Qt.ItemDataRole.ToolTipRole) or "")
            first = model.index(row, 0, parent)
            if depth < 3 and first.isValid() and model.rowCount(first):
                yield from walk(first, depth + 1)

    yield from walk(QModelIndex(), 0)


def _widget_texts(w: QWidget) -> Iterator[str]:
    """Every string ``w`` itself shows (not its children's)."""
    if w.isWindow() or isinstance(w, QDockWidget | QToolBar):
        yield w.windowTitle()
    yield w.toolTip()
    if isinstance(w, QLabel):
        yield w.text()
    if isinstance(w, QAbstractButton):
        yield w.text()
    if isinstance(w, QGroupBox):
        yield w.title()
    if isinstance(w, QTabBar):
        for i in range(w.count()):
            yield w.tabText(i)
            yield w.tabToolTip(i)
    if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit):
        yield w.placeholderText()
    if isinstance(w, QComboBox):
        yield from (w.itemText(i) for i in range(w.count()))
    if isinstance(w, QAbstractSpinBox):
        yield w.specialValueText()
    if isinstance(w, QSpinBox):
        yield w.suffix()
        yield w.prefix()
    if isinstance(w, QMenu):
        yield w.title()
    if isinstance(w, QWizardPage):
        yield w.title()
        yield w.subTitle()
    if isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView):
        yield from _model_texts(w)


def _shown(window: QWidget) -> Iterator[tuple[str, str]]:
    """(widget, plain text) for every string of the window and the windows it opened."""
    for w in [window, *window.findChildren(QWidget)]:
        if _not_ours(w):
            continue
        for text in _widget_texts(w):
            if text:
                yield _name(w), _plain(text)
    for action in window.findChildren(QAction):
        if not action.isSeparator() and not _not_ours(action):
            yield _name(action), _plain(action.text())
            yield _name(action), _plain(action.toolTip())


def _untranslated(window: QWidget, language: str) -> list[tuple[str, str]]:
    english = _translated(language)
    return sorted({(where, text) for where, text in _shown(window) if text in english})


def _left_over(window: QWidget, languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """Texts still in one of ``languages`` after switching back to English."""
    foreign = {shown for code in languages for shown in _translated(code).values()}
    return sorted({(where, text) for where, text in _shown(window) if text in foreign})


def _settle(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Background loads finished and shown, and every tab shown once: a hidden tab may
    redo its rows when it is next shown rather than at the switch."""
    qtbot.waitUntil(
        lambda: not any(job.running for job in window.findChildren(JobHandle)), timeout=20000
    )
    for tabs in window.findChildren(QTabWidget):
        _show_each(tabs)


def _show_each(tabs: QTabWidget) -> None:
    if not tabs.isVisible():
        return
    current = tabs.currentIndex()
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        for inner in tabs.widget(index).findChildren(QTabWidget):
            _show_each(inner)
    tabs.setCurrentIndex(current)


def _open_everything(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from app import deadlines as dl
    from app import parties, playbooks
    from app.casework import affected, notes
    from app.deadlines.rules import builtin_rules
    from app.shift import handover

    # Rows in every table, so that their words (states, kinds, owners) are checked too.
    ws = window.workspace
    with ws.session() as s:
        actor, key = ws.require_actor(), window.model.queue_row(0).key
        dl.set_jurisdictions(s, actor, key, ["EU"], [], builtin_rules())
        playbooks.start(s, actor, key, playbooks.list_playbooks()[0].id)
        parties.add(s, actor, key, "vendor", "Vendor X")
        notes.add(s, actor, key, "Asked the vendor for a fix date.")
        affected.add(s, actor, key, name="mail-agent", vendor="Vendor X", kind="model")
        handover.new(s, actor)
    window.refresh_queue()
    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.case_id != 0, timeout=3000)
    tabs = window.detail.feature_tabs  # builds every case tab
    assert tabs and all(w.parent() is not None for w in tabs)
    menus = [window.tools_menu, window.admin_menu]
    skip = {window.checkpoint_action}  # signs a checkpoint: an action, not a screen
    opened = 0
    for menu in menus:
        for action in menu.actions():
            if action.isSeparator() or action in skip or action.menu() is not None:
                continue
            if window.open_tool(action) is not None:
                opened += 1
    assert opened >= 12
    window.new_case_action.trigger()
    _settle(window, qtbot)


def _choose(window, code: str) -> None:  # type: ignore[no-untyped-def]
    menu = window.language_menu
    assert isinstance(menu, LanguageMenu)
    menu.actions_by_language[code].trigger()


def test_every_screen_follows_a_live_language_switch(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    _open_everything(window, qtbot)
    assert _untranslated(window, "ja")  # English now: the walk does see catalog texts
    wizard = next(w for w in window.findChildren(QWizard))
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert next_button.text() == "&Next >"
    for code in ("ja", "ar"):
        _choose(window, code)
        _settle(window, qtbot)
        left = _untranslated(window, code)
        assert not left, f"still English after switching to {code}:\n" + "\n".join(
            f"  {where}: {text!r}" for where, text in left
        )
        # With Qt's own words in the language (its qtbase catalogs installed), the open
        # wizard's Back and Next follow too: QWizard does not rename them by itself.
        assert next_button.text() == wizard.buttonText(QWizard.WizardButton.NextButton)
    windows = [w for w in [window, *window.findChildren(QWidget)] if w.isWindow()]
    assert all(w.layoutDirection() == Qt.LayoutDirection.RightToLeft for w in windows)
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    _choose(window, "en")
    _settle(window, qtbot)
    left = _left_over(window, ("ja", "ar"))
    assert not left, "not English again:\n" + "\n".join(
        f"  {where}: {text!r}" for where, text in left
    )
    assert all(w.layoutDirection() == Qt.LayoutDirection.LeftToRight for w in windows)
    assert next_button.text() == "&Next >"


def test_a_switch_keeps_what_is_typed_and_chosen(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.admin.analysts_screen import AnalystsScreen
    from views.case.editing import AffectedPanel, MergePanel, NotesPanel
    from views.case.new_case import NewCaseDialog
    from views.case.parties_panel import PartiesPanel
    from views.exchange.partners_screen import PartnersScreen
    from views.intake.import_dialog import ImportDialog
    from views.playbooks.runner import PlaybookRunner

    _open_everything(window, qtbot)

    def one(kind):  # type: ignore[no-untyped-def]
        found = [w for w in window.findChildren(kind) if w.isWindow() or w.parent() is not None]
        assert found, kind
        return found[0]

    detail = window.detail
    detail.reason.setText("a reason")
    detail.target.setCurrentIndex(detail.target.count() - 1)
    affected, notes = one(AffectedPanel), one(NotesPanel)
    affected.id_value.setText("CVE-2026-1234")
    affected.version_kind.setCurrentIndex(1)
    notes.text.setPlainText("a note")
    parties = one(PartiesPanel)
    parties.name.setText("Vendor X")
    parties.kind.setCurrentIndex(parties.kind.count() - 1)
    one(PlaybookRunner).skip_reason.setText("not needed")
    one(MergePanel).reason.setText("same report")
    one(PartnersScreen).typed.setText("ABCD 1234")
    one(ImportDialog).source.setText("bug bounty")
    one(NewCaseDialog).title.setText("A new case")
    analysts = one(AnalystsScreen)
    analysts.role.setCurrentIndex(2)

    def state():  # type: ignore[no-untyped-def]
        return (
            detail.reason.text(),
            detail.target.currentData(),
            affected.id_value.text(),
            affected.version_kind.currentData(),
            notes.text.toPlainText(),
            parties.name.text(),
            parties.kind.currentData(),
            one(PlaybookRunner).skip_reason.text(),
            one(MergePanel).reason.text(),
            one(PartnersScreen).typed.text(),
            one(ImportDialog).source.text(),
            one(NewCaseDialog).title.text(),
            analysts.role.currentData(),
        )

    before = state()
    for code in ("ja", "ar", "en"):
        _choose(window, code)
        assert state() == before, code
