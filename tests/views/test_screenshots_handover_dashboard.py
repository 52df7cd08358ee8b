"""The handover and the dashboard render offscreen in en, ar and ja at 1366×768 and
1440×900, with the headline figures first and the handover's due times not cut.
``ACCORD_SHOTS=DIR`` keeps the PNGs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import deadlines as dl
from app.casework import cases
from app.shift import handover
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import is_rtl, reload_catalogs, set_language
from models import utcnow
from views.shift.dashboard import DashboardScreen
from views.shift.handover_screen import HandoverScreen

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]
SIZES = ((1366, 768), (1440, 900))


@pytest.fixture(params=["en", "ar", "ja"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    compile_catalogs()
    reload_catalogs()
    set_language(request.param)
    qapp.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if is_rtl(request.param) else Qt.LayoutDirection.LeftToRight
    )
    yield request.param
    set_language("en")
    qapp.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


def _out(tmp_path: Path) -> Path:
    out = Path(os.environ.get("ACCORD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _seed(ws: Workspace) -> None:
    now = utcnow()
    with ws.session() as s:
        a = ws.require_actor()
        for i in range(6):
            c = cases.create_case(s, a, f"Prompt injection through a shared calendar invite {i}")
            c.tier, c.tier_rank = ("High", 4) if i % 2 else ("Critical", 5)
        dl.set_roles(s, a, "ACC-2026-0001", [("manufacturer", "Vendor X")], [])
        dl.set_jurisdictions(s, a, "ACC-2026-0001", ["EU"], [])
        dl.set_fact(s, a, "ACC-2026-0001", "exploited-aware", now - timedelta(hours=30))
        # Our own acknowledgement is overdue too (the CRA's reports are the maker's to file).
        dl.set_fact(s, a, "ACC-2026-0001", "reported", now - timedelta(days=14))
        dl.set_roles(s, a, "ACC-2026-0002", [("manufacturer", "Vendor X")], [])
        dl.set_jurisdictions(s, a, "ACC-2026-0002", ["EU"], [])
        dl.set_fact(s, a, "ACC-2026-0002", "exploited-aware", now - timedelta(hours=2))
        handover.new(s, a)


def test_handover_in_every_language(qtbot, ws: Workspace, language: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    assert screen.sizeHint().width() >= 1100 and screen.sizeHint().height() >= 700
    for w, h in SIZES:
        screen.resize(w, h - 60)
        screen.show()
        overdue = screen.section("overdue")
        assert overdue is not None and overdue.childCount() >= 1
        overdue.setExpanded(True)
        qtbot.wait(10)
        due = overdue.child(0).text(3)
        metrics = screen.sections.fontMetrics()
        assert metrics.horizontalAdvance(due) <= screen.sections.header().sectionSize(3) + 4
        out = _out(tmp_path) / f"handover-{language}-{w}.png"
        assert screen.grab().save(str(out)) and out.stat().st_size > 1000


def test_dashboard_in_every_language(qtbot, ws: Workspace, language: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _seed(ws)
    screen = DashboardScreen(lambda: ws)
    qtbot.addWidget(screen)
    for w, h in SIZES:
        screen.resize(w, h - 60)
        screen.show()
        with qtbot.waitSignal(screen.loaded, timeout=10000):
            screen.reload()
        assert screen.figures["overdue"].value >= 1
        assert screen.figures["unassigned"].value == 6
        assert screen.charts["partner"].is_empty()  # no partner: said, not bare axes
        assert not screen.charts["tier_status"].is_empty()
        qtbot.wait(50)  # pyqtgraph widens an axis for its labels on the paint after drawing
        out = _out(tmp_path) / f"dashboard-{language}-{w}.png"
        assert screen.grab().save(str(out)) and out.stat().st_size > 1000
