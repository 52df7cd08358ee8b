"""Switching the language in the running GUI: labels change, Arabic is right to left."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolBar

from i18n import LANGUAGES, gettext_in
from views.shell.language import LanguageMenu

pytestmark = pytest.mark.usefixtures("back_to_english")


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


# Names and codes that read the same in every language.
SAME_EVERYWHERE = {"TLP", "ID", "EU", "CVSS", "SSVC"}


def _visible_texts(window, qtbot):  # type: ignore[no-untyped-def]
    """The strings a user reads on the main window and its open tools, by place."""
    from views.deadlines.panel import DeadlinesPanel
    from views.shift.dashboard import DashboardScreen

    detail = window.detail
    texts: dict[str, str] = {
        "tab titles": "|".join(detail.tabs.tabText(i) for i in range(detail.tabs.count())),
        "tools": "|".join(a.text() for a in window.tools_menu.actions()),
        "menus": "|".join(a.text() for a in window.menuBar().actions()),
        "toolbars": "|".join(t.windowTitle() for t in window.findChildren(QToolBar)),
        "queue headers": "|".join(
            str(window.model.headerData(c, Qt.Orientation.Horizontal))
            for c in range(window.model.columnCount())
        ),
        "saved filters": "|".join(
            window.saved_filters.filters.itemText(i)
            for i in range(window.saved_filters.filters.count())
        )
        + window.saved_filters.assign_button.text(),
    }
    panel = next(w for w in detail.feature_tabs if isinstance(w, DeadlinesPanel))
    detail.tabs.setCurrentWidget(panel)
    table = panel.table
    texts["deadline headers"] = "|".join(
        table.horizontalHeaderItem(c).text() for c in range(table.columnCount())
    )
    texts["deadline states"] = "|".join(
        table.item(r, 0).text() for r in range(table.rowCount()) if table.item(r, 0)
    )
    texts["deadline countdowns"] = "|".join(
        table.item(r, 3).text() for r in range(table.rowCount()) if table.item(r, 3)
    )
    texts["deadline buttons"] = panel.set_button.text() + panel.met_button.text()
    dashboard = window.open_tool(window.dashboard_action)
    assert isinstance(dashboard, DashboardScreen)
    qtbot.waitUntil(lambda: dashboard.data is not None, timeout=10000)
    texts["dashboard"] = "|".join(
        [c.title.text() for c in dashboard.charts.values()]
        + [f.caption for f in dashboard.figures.values()]
        + [dashboard.reload_button.text(), dashboard.status.text()]
    )
    return texts


def test_every_visible_text_retranslates_en_ar_ja(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Tab titles, Tools actions, toolbars, queue headers, the Deadlines tab (headers, states,
    countdowns) and the dashboard all change with the language, and come back."""
    from app import deadlines as dl
    from app.deadlines.rules import builtin_rules

    ws = window.workspace
    with ws.session() as s:
        key = window.model.queue_row(0).key
        dl.set_jurisdictions(s, ws.require_actor(), key, ["EU"], [], builtin_rules())
    window.refresh_queue()
    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.case_id != 0, timeout=3000)
    english = _visible_texts(window, qtbot)
    assert english["deadline countdowns"]
    seen = [english]
    for code in ("ar", "ja"):
        _choose(window, code)
        texts = _visible_texts(window, qtbot)
        for place, text in texts.items():
            for before in seen:
                same = [
                    a
                    for a, b in zip(text.split("|"), before[place].split("|"), strict=False)
                    if a == b and any(ch.isalpha() for ch in a) and a not in SAME_EVERYWHERE
                ]
                assert not same, (code, place, same)
        seen.append(texts)
    _choose(window, "en")
    assert _visible_texts(window, qtbot) == english
