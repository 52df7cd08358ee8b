"""Switching the language in the running GUI: labels change, Arabic is right to left."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from i18n import LANGUAGES, gettext_in
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from views.shell.language import LanguageMenu, switch_language


@pytest.fixture(autouse=True)
def back_to_english() -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    switch_language("en")


def _choose(window, code: str) -> None:  # type: ignore[no-untyped-def]
    menu = window.language_menu
    assert isinstance(menu, LanguageMenu)
    menu.actions_by_language[code].trigger()


def test_menu_lists_eight_languages_by_their_own_names(window) -> None:  # type: ignore[no-untyped-def]
    menu = window.language_menu
    names = [a.text() for a in menu.actions()]
    assert len(names) == len(LANGUAGES) == 8
    assert {"Français", "日本語", "العربية", "简体中文"} <= set(names)
    assert menu.menuAction() in window.menuBar().actions()


def test_switching_changes_labels_and_is_remembered(window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.file_menu.title() == "&File"
    _choose(window, "fr")
    assert window.file_menu.title() == gettext_in("fr", "&File") != "&File"
    assert window.language_menu.title() == gettext_in("fr", "&Language")
    assert window.settings.language == "fr"
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight
    _choose(window, "de")
    assert window.file_menu.title() == gettext_in("de", "&File")
    assert window.language_menu.actions_by_language["de"].isChecked()


def test_arabic_lays_the_interface_out_right_to_left(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _choose(window, "ar")
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.queue.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.file_menu.title() == gettext_in("ar", "&File") != "&File"
    path = tmp_path / "main-window-ar.png"
    assert window.grab().save(str(path)) and path.stat().st_size > 0
    _choose(window, "en")
    assert window.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_advisory_editor_follows_the_selected_case(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from views.advisories.editor import AdvisoryPanel

    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.case_id != 0, timeout=3000)
    panel = window.open_tool(window.advisory_action)
    assert isinstance(panel, AdvisoryPanel)
    assert panel.case_id == window.detail.case_id and panel.editor is not None
    first = panel.case_id
    window.queue.select_row(1)
    qtbot.waitUntil(lambda: panel.case_id not in (0, first), timeout=3000)
    assert panel.editor is not None and panel.editor.status is None  # no advisory yet
    qtbot.mouseClick(panel.editor.create_button, Qt.MouseButton.LeftButton)
    assert panel.editor.status is not None and panel.editor.status.status == "draft"
