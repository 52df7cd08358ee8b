"""The dashboard at 1366×768 in Japanese and Arabic: every chart's axis titles and tick
labels lie inside the plot (none cut at an edge, even a tick at the very end of an axis),
axes read left to right, and the triage trend's months are named in the interface language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from models import utcnow
from tests.views.test_screenshots_handover_dashboard import _seed
from views.shell.application import apply_language
from views.shift.dashboard import DashboardScreen

ENGLISH_MONTHS = {
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
}


@pytest.fixture(autouse=True)
def catalogs(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    apply_language(qapp, "en")


def _texts(panel, axis_name: str) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """The tick labels and the title of one axis, each with its rectangle in plot pixels."""
    plot = panel.plot
    axis = plot.getAxis(axis_name)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    shown = [
        (text, plot.mapFromScene(axis.mapRectToScene(rect)).boundingRect())
        for rect, _flags, text in texts
    ]
    label = axis.label
    if axis.labelText:
        # The title's own rectangle less the empty margin its text document keeps around it.
        margin = label.document().documentMargin()
        glyphs = label.boundingRect().adjusted(margin, margin, -margin, -margin)
        shown.append(
            (axis.labelText, plot.mapFromScene(label.mapRectToScene(glyphs)).boundingRect())
        )
    return shown


@pytest.mark.parametrize("language", ["ja", "ar"])
def test_axis_titles_and_ticks_are_not_cut(qtbot, qapp, ws: Workspace, language) -> None:  # type: ignore[no-untyped-def]
    apply_language(qapp, language)
    _seed(ws)
    with ws.session() as s:  # cases opened over several weeks: the trend has points
        for weeks in (3, 6, 9):
            case = cases.create_case(
                s, ws.require_actor(), f"case {weeks}", created_at=utcnow() - timedelta(weeks=weeks)
            )
            cases.transition(s, ws.require_actor(), case.key, "triage", "seen")
    screen = DashboardScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(1366, 768 - 60)
    screen.show()
    qtbot.waitExposed(screen)
    with qtbot.waitSignal(screen.loaded, timeout=10000):
        screen.reload()
    for panel in screen.charts.values():  # a tick label at the very end of each value axis
        if panel.horizontal:
            panel.plot.setXRange(0, 10, padding=0)
        else:
            panel.plot.setYRange(0, 600 if panel.key == "triage" else 10, padding=0)
    for _paint in range(2):  # pyqtgraph sizes an axis to its labels when it first paints them
        screen.grab()
        QApplication.processEvents()
    checked = 0
    for key, panel in screen.charts.items():
        if panel.is_empty():
            continue
        plot = panel.plot
        assert plot.getPlotItem().layoutDirection() == Qt.LayoutDirection.LeftToRight
        area = plot.viewport().rect()
        for axis_name in ("left", "bottom"):
            texts = _texts(panel, axis_name)
            assert texts, (key, axis_name)
            for text, rect in texts:
                assert area.contains(rect), (key, axis_name, text, rect, area)
                checked += 1
        if key == "triage":
            ticks = {text for text, _rect in _texts(panel, "bottom")}
            assert not ticks & ENGLISH_MONTHS, ticks
    assert checked > 20
