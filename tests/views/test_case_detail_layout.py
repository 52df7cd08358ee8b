"""The case pane beside the queue at 1366×768 in English, Arabic and Japanese: a long title
is shortened to one line (the whole title in its tooltip) and never widens the pane, the
header's times are not cut, and every case tab can be reached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QLabel, QToolButton

from app.casework import cases, embargo
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from views.shell.application import apply_language
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

LONG = (
    "Indirect prompt injection through retrieved wiki pages lets an attacker exfiltrate "
    "customer records via the support bot's ticket tool across every deployment region "
    "https://wiki.example.org/spaces/SUPPORT/pages/1234567890/very-long-unbroken-page-name"
)


@pytest.fixture(autouse=True)
def catalogs(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    apply_language(qapp, "en")


def _window(qtbot, qapp, ws: Workspace, tmp_path, language: str) -> MainWindow:  # type: ignore[no-untyped-def]
    apply_language(qapp, language)
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    window = MainWindow(ws, prefs=Prefs(settings))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.fit_queue()
    return window


def _select(qtbot, window: MainWindow, key: str) -> None:  # type: ignore[no-untyped-def]
    model = window.model
    row = next(r for r in range(model.rowCount()) if model.queue_row(r).key == key)
    window.queue.select_row(row)
    qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.detail.key == key)
    QApplication.processEvents()


@pytest.mark.parametrize("language", ["en", "ar", "ja"])
def test_a_long_title_is_shortened_not_widening_the_pane(  # type: ignore[no-untyped-def]
    qtbot, qapp, case_ws, tmp_path, language
) -> None:
    now = datetime.now(UTC)
    with case_ws.session() as s:
        case = cases.create_case(s, case_ws.require_actor(), LONG, created_at=now)
        case.next_deadline_utc = now - timedelta(days=3, hours=2)
        key = case.key
    with case_ws.session() as s:
        embargo.set_embargo(s, case_ws.require_actor(), key, now + timedelta(days=40))
    window = _window(qtbot, qapp, case_ws, tmp_path, language)
    _select(qtbot, window, key)
    pane = window.detail

    assert pane.heading.full_text() == f"{key} — {LONG}"
    assert pane.heading.is_elided() and pane.heading.text().endswith("…")
    assert pane.heading.text().startswith(key)
    assert LONG[:40] in pane.heading.toolTip()
    # The pane fits its place beside the queue: no sideways scrolling, nothing pushed off.
    area = window.detail_area
    assert area.horizontalScrollBar().maximum() == 0
    assert pane.width() <= area.viewport().width()
    assert pane.heading.geometry().right() < pane.width()
    # Times and chips are whole: a label that does not wrap is as wide as its text.
    for name in ("deadline", "embargo", "opened", "updated", "status", "tier", "tlp"):
        label: QLabel = pane.values[name]
        assert label.geometry().right() < pane.width(), name
        if not label.wordWrap() or name in ("embargo", "opened", "updated"):
            need = label.fontMetrics().horizontalAdvance(label.text())
            assert need <= label.contentsRect().width(), (name, label.text())


@pytest.mark.parametrize("language", ["en", "ar", "ja"])
def test_every_case_tab_can_be_reached(qtbot, qapp, case_ws, tmp_path, language) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, qapp, case_ws, tmp_path, language)
    _select(qtbot, window, window.model.queue_row(0).key)
    tabs = window.detail.tabs
    bar = tabs.tabBar()
    assert bar.count() >= 10
    assert window.detail_area.horizontalScrollBar().maximum() == 0  # the bar did not widen it
    arrows = [b for b in bar.findChildren(QToolButton) if b.isVisible()]
    cut = [i for i in range(bar.count()) if not bar.rect().contains(bar.tabRect(i))]
    if cut:  # some tabs are out of sight: the scroll buttons bring them in
        assert arrows and any(b.isEnabled() for b in arrows), cut
    for index in range(bar.count()):
        tabs.setCurrentIndex(index)
        QApplication.processEvents()
        rect = bar.tabRect(index)
        assert bar.rect().contains(rect), (index, bar.tabText(index))
        for arrow in arrows:
            if arrow.isVisible():
                assert not arrow.geometry().intersects(rect), (index, bar.tabText(index))
