"""The dashboard: charts load off the GUI thread, hover shows values, a click filters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app import deadlines as dl
from app.casework import cases
from app.identity import analysts
from app.workspaces.lifecycle import Workspace
from models import utcnow
from views.shift.dashboard import DashboardScreen

# Like the core GUI tests: any Qt warning fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def _seed(ws: Workspace) -> None:
    now = utcnow()
    with ws.session() as s:
        a = ws.require_actor()
        analysts.add(s, a, "bob", "analyst")
        for i, tier in enumerate(["High", "High", "Critical", None]):
            c = cases.create_case(s, a, f"case {i}", created_at=now - timedelta(days=3 * i))
            c.tier = tier
        cases.assign(s, a, "ACC-2026-0001", "bob")
        cases.assign(s, a, "ACC-2026-0002", "bob")
        cases.transition(s, a, "ACC-2026-0002", "triage", "go")
        dl.set_roles(s, a, "ACC-2026-0003", [("manufacturer", "Vendor X")], [])  # the CRA's holder
        dl.set_jurisdictions(s, a, "ACC-2026-0003", ["EU"], [])
        dl.set_fact(s, a, "ACC-2026-0003", "exploited-aware", now - timedelta(hours=1))


def _hover(qtbot, panel, pos) -> None:  # type: ignore[no-untyped-def]
    """Move the mouse over the plot as a user would (a real mouse-move event)."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    vp = panel.plot.viewport()
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        vp.mapToGlobal(QPointF(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, event)
    qtbot.wait(10)


def _screen(qtbot, ws: Workspace) -> DashboardScreen:  # type: ignore[no-untyped-def]
    screen = DashboardScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(1400, 800)
    screen.show()
    with qtbot.waitSignal(screen.loaded, timeout=10000):
        screen.reload()
    qtbot.wait(50)  # let the plots lay out before mapping view coordinates to pixels
    return screen


def test_click_a_bar_requests_the_filtered_queue(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    screen = _screen(qtbot, ws)
    panel = screen.charts["analyst"]
    assert [h.filter for h in panel.hits] == ["assignee:bob", "unassigned"]  # unassigned count
    bob = panel.view_point(1, 0)  # the middle of bob's bar (2 cases; names down the side)
    _hover(qtbot, panel, bob)
    assert panel.hover.text() == "bob: 2"
    with qtbot.waitSignal(screen.filter_requested) as sig:
        qtbot.mouseClick(panel.plot.viewport(), Qt.MouseButton.LeftButton, pos=bob)
    assert sig.args == ["assignee:bob"]

    stacked = screen.charts["tier_status"]
    assert screen.data is not None
    cats = screen.data.by_tier_status.categories
    high = cats.index("High")
    pos = stacked.view_point(high, 0.5)  # the bottom segment of the High bar
    with qtbot.waitSignal(screen.filter_requested) as sig:
        qtbot.mouseClick(stacked.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args[0].startswith("tier:High+status:")


def test_obligations_and_export(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    screen = _screen(qtbot, ws)
    assert screen.data is not None
    assert next(o.rule for o in screen.data.obligations) == "eu-cra-14-2a-early-warning"
    hits = screen.charts["obligations"].hits
    assert any("Early warning notification" in h.text for h in hits)  # the rule's wording
    for key, chart in screen.charts.items():
        out = tmp_path / f"{key}.png"
        assert chart.export_png(out) and out.stat().st_size > 0


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    screen = _screen(qtbot, ws)
    out = tmp_path / "dashboard.png"
    assert screen.grab().save(str(out)) and out.stat().st_size > 0


def test_loads_on_the_thread_pool_from_an_encrypted_workspace(qtbot, cipher_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from app.workspaces import lifecycle as ws_mod
    from tests.conftest import PASSPHRASE

    ws = ws_mod.open_workspace(cipher_dir, PASSPHRASE)
    ws.act_as("alice")
    try:
        screen = DashboardScreen(lambda: ws)
        qtbot.addWidget(screen)
        with qtbot.waitSignal(screen.loaded, timeout=20000):
            # The figures are read while the widgets are built, before any reload; one asked
            # for meanwhile reads nothing twice (their results may be on their way).
            assert screen.status.text() == "Loading…"
            jobs = list(screen._jobs)
            screen.reload()
            assert screen._jobs == jobs
            assert screen.status.text() == "Loading…"  # the figures come from a worker
            # no empty plot is painted meanwhile: each chart says it is loading
            assert all(c.is_empty() for c in screen.charts.values())
            assert screen.charts["age"].empty.text() == "Loading…"
        assert screen.data is not None
        assert not screen.charts["age"].is_empty()  # the plot replaces the loading note
        assert sum(sum(r) for r in screen.data.by_tier_status.values) == 6
        # A half of an earlier read that comes in late is dropped, never assembled with
        # this read's other half; a late failure of it says nothing either.
        shown, halves = screen.data, dict(screen._halves)
        screen._half_done("cases", ("UTC", object()), shown.now, screen._read - 1)
        screen._failed(RuntimeError("stale"), screen._read - 1)
        assert screen.data is shown and screen._halves == halves
        assert "stale" not in screen.status.text()
    finally:
        ws.engine.dispose()


def test_headline_figures_first_and_clickable(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """Item 4: overdue, due today, unassigned and new this shift, read first; a click on a
    figure asks for the queue filtered to it; "new" opens nothing it could not show."""
    _seed(ws)
    with ws.session() as s:
        c = cases.get_case(s, "ACC-2026-0004")
        c.next_deadline_utc = utcnow() - timedelta(hours=3)  # overdue
        now = utcnow()
        overdue = sum(
            1
            for k in ("ACC-2026-0001", "ACC-2026-0002", "ACC-2026-0003", "ACC-2026-0004")
            if (d := cases.get_case(s, k).next_deadline_utc) is not None and d < now
        )
    screen = _screen(qtbot, ws)
    figures = screen.figures
    assert overdue >= 1 and figures["overdue"].value == overdue
    assert figures["unassigned"].value == 2
    assert figures["new"].value == 1 and not figures["new"].isEnabled()  # opened in 12 h
    assert "UTC" in figures["due_today"].toolTip()
    with qtbot.waitSignal(screen.filter_requested) as sig:
        qtbot.mouseClick(figures["overdue"], Qt.MouseButton.LeftButton)
    assert sig.args == ["overdue"]
    with qtbot.waitSignal(screen.filter_requested) as sig:
        figures["unassigned"].setFocus()
        qtbot.keyClick(figures["unassigned"], Qt.Key.Key_Space)
    assert sig.args == ["unassigned"]
    assert "UTC" in screen.status.text()  # "As of …" names its zone


def test_the_unassigned_bar_follows_a_language_switch(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The bar's name was fixed at the last query: after a switch it stayed English until the
    next refresh, beside Arabic analysts' names."""
    from i18n import _
    from i18n.build import compile_catalogs
    from views.shell.language import switch_language

    _seed(ws)
    compile_catalogs()
    screen = _screen(qtbot, ws)
    panel = screen.charts["analyst"]
    try:
        switch_language("ar")
        qtbot.wait(20)  # the LanguageChange events are delivered from the event loop
        arabic = _("Unassigned")
        assert arabic != "Unassigned"
        [bar] = [h for h in panel.hits if h.filter == "unassigned"]
        assert bar.text.startswith(arabic)
    finally:
        switch_language("en")
        qtbot.wait(20)
    [bar] = [h for h in panel.hits if h.filter == "unassigned"]
    assert bar.text.startswith("Unassigned")
