"""Shift-lead dashboard: pyqtgraph charts over ``app.dashboard`` figures.

Hovering a bar or point shows its value; clicking a bar emits ``filter_requested`` with the
queue filter it stands for (the main window opens the queue filtered to it); every chart
exports to PNG.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.pool import StaticPool

from app import dashboard as dash
from app.workspace import Workspace
from i18n import _
from views import file_dialogs
from views.workers import JobHandle, run_job

COLOURS = (
    "#2f6f9f",
    "#d0803a",
    "#5a9e4b",
    "#b5443c",
    "#7d5ba6",
    "#8c6d4f",
    "#c86fb0",
    "#7f7f7f",
    "#b8b13a",
    "#3ab8c8",
)


@dataclass(frozen=True)
class Hit:
    """A hoverable, perhaps clickable, rectangle in view coordinates."""

    x0: float
    x1: float
    y0: float
    y1: float
    text: str
    filter: str = ""

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


class ChartPanel(QWidget):
    """One chart: a title, the plot, a hover read-out and an export button."""

    clicked = Signal(str)

    def __init__(
        self,
        key: str,
        title: str,
        axis_items: dict[str, pg.AxisItem] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.title = QLabel(f"<b>{title}</b>")
        self.plot = pg.PlotWidget(axisItems=axis_items or {})
        self.plot.setBackground("w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(180)
        self.hover = QLabel(" ")
        self.hover.setObjectName("hover-" + key)
        self.export_button = QPushButton(_("Export PNG…"))
        self.export_button.clicked.connect(self._ask_export)
        self.hits: list[Hit] = []
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.hover)
        self.plot.scene().sigMouseMoved.connect(self._on_move)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    def clear(self) -> None:
        self.plot.clear()
        self.hits = []
        self.hover.setText(" ")

    def bars(
        self,
        labels: list[str],
        values: list[float],
        filters: list[str],
        y0: list[float] | None = None,
        colour: str = COLOURS[0],
        series: str = "",
    ) -> None:
        base = y0 or [0.0] * len(values)
        xs = list(range(len(values)))
        self.plot.addItem(
            pg.BarGraphItem(
                x=xs, height=values, width=0.7, y0=base, brush=colour, name=series or None
            )
        )
        for x, label, v, f, b in zip(xs, labels, values, filters, base, strict=True):
            if v:
                text = f"{label} · {series}: {v:g}" if series else f"{label}: {v:g}"
                self.hits.append(Hit(x - 0.35, x + 0.35, b, b + v, text, f))

    def set_categories(self, labels: list[str]) -> None:
        self.plot.getAxis("bottom").setTicks([list(enumerate(labels))])

    def point_hits(
        self, xs: list[float], ys: list[float], texts: list[str], dx: float, dy: float
    ) -> None:
        for x, y, t in zip(xs, ys, texts, strict=True):
            self.hits.append(Hit(x - dx, x + dx, y - dy, y + dy, t))

    def view_point(self, x: float, y: float) -> QPointF:
        """The widget position of a view coordinate (for tests and tooltips)."""
        scene = self.plot.plotItem.vb.mapViewToScene(QPointF(x, y))
        return self.plot.mapFromScene(scene)

    def hit_at(self, scene_pos: QPointF) -> Hit | None:
        if not self.plot.plotItem.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.plotItem.vb.mapSceneToView(scene_pos)
        return next((h for h in self.hits if h.contains(p.x(), p.y())), None)

    def _on_move(self, scene_pos: QPointF) -> None:
        hit = self.hit_at(scene_pos)
        self.hover.setText(hit.text if hit else " ")

    def _on_click(self, event: object) -> None:
        hit = self.hit_at(event.scenePos())  # type: ignore[attr-defined]
        if hit is not None and hit.filter:
            self.clicked.emit(hit.filter)

    def export_png(self, path: Path) -> bool:
        return bool(self.grab().save(str(path), "PNG"))

    def _ask_export(self) -> None:
        name = file_dialogs.save_file(
            self, _("Export chart"), f"{self.key}.png", _("PNG images (*.png)")
        )
        if name:
            self.export_png(Path(name))


class DashboardScreen(QWidget):
    """All charts; ``reload`` recomputes the figures on the thread pool."""

    filter_requested = Signal(str)
    loaded = Signal()

    def __init__(
        self, workspace: Callable[[], Workspace | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.data: dash.Dashboard | None = None
        self._job: JobHandle | None = None
        self.charts = {
            "tier_status": ChartPanel("tier_status", _("Open cases by tier and status")),
            "age": ChartPanel("age", _("Case age (days)")),
            "obligations": ChartPanel("obligations", _("Obligations due in the next 7 days")),
            "triage": ChartPanel(
                "triage",
                _("Time to triage (median hours, by week opened)"),
                {"bottom": pg.DateAxisItem()},
            ),
            "analyst": ChartPanel("analyst", _("Open cases per analyst")),
            "partner": ChartPanel("partner", _("Open cases per partner")),
        }
        self.reload_button = QPushButton(_("Refresh"))
        self.reload_button.clicked.connect(self.reload)
        self.status = QLabel()
        grid = QGridLayout()
        for i, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, i // 3, i % 3)
            chart.clicked.connect(self.filter_requested)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.reload_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(grid, 1)

    def reload(self) -> None:
        ws = self._workspace()
        if ws is None or (self._job is not None and self._job.running):
            return

        def job(_progress: object, _cancel: object) -> dash.Dashboard:
            with ws.session() as s:
                return dash.snapshot(s)

        if isinstance(ws.engine.pool, StaticPool):
            # One shared in-memory connection (tests, benchmarks): never use it from two threads.
            self.show_data(job(None, None))
            return
        self.status.setText(_("Loading…"))
        self._job = run_job(job, parent=self)
        self._job.succeeded.connect(self.show_data)
        self._job.failed.connect(lambda exc: self.status.setText(str(exc)))

    def show_data(self, data: dash.Dashboard) -> None:
        self.data = data
        self.status.setText(_("As of {time}").format(time=data.now.strftime("%Y-%m-%d %H:%M UTC")))
        self._draw_tier_status(data.by_tier_status)
        self._draw_chart(self.charts["age"], data.age)
        self._draw_chart(self.charts["analyst"], data.per_analyst)
        self._draw_chart(self.charts["partner"], data.per_partner)
        self._draw_obligations(data)
        self._draw_trend(data.triage_trend)
        self.loaded.emit()

    def _draw_chart(self, panel: ChartPanel, chart: dash.Chart) -> None:
        panel.clear()
        labels = [b.label for b in chart.bars]
        panel.bars(labels, [b.value for b in chart.bars], [b.filter for b in chart.bars])
        panel.set_categories(labels)

    def _draw_tier_status(self, chart: dash.StackedChart) -> None:
        panel = self.charts["tier_status"]
        panel.clear()
        panel.plot.addLegend(offset=(-10, 10))
        base = [0.0] * len(chart.categories)
        for si, status in enumerate(chart.series):
            values = [float(v) for v in chart.values[si]]
            filters = [chart.filter_for(ci, si) for ci in range(len(chart.categories))]
            panel.bars(
                list(chart.categories),
                values,
                filters,
                list(base),
                COLOURS[si % len(COLOURS)],
                status,
            )
            base = [b + v for b, v in zip(base, values, strict=True)]
        panel.set_categories(list(chart.categories))

    def _draw_obligations(self, data: dash.Dashboard) -> None:
        panel = self.charts["obligations"]
        panel.clear()
        xs = [(o.due_utc - data.now).total_seconds() / 86400 for o in data.obligations]
        ys = [float(i) for i in range(len(xs))]
        brushes = [pg.mkBrush("#b5443c" if o.binding else "#2f6f9f") for o in data.obligations]
        panel.plot.addItem(pg.ScatterPlotItem(x=xs, y=ys, size=10, brush=brushes))
        panel.plot.setXRange(0, 7)
        panel.plot.getAxis("bottom").setLabel(_("days from now"))
        panel.point_hits(
            xs,
            ys,
            [
                f"{o.case_key} · {o.rule} · {o.due_utc.strftime('%Y-%m-%d %H:%M UTC')}"
                for o in data.obligations
            ],
            0.1,
            0.4,
        )

    def _draw_trend(self, trend: tuple[dash.TrendPoint, ...]) -> None:
        panel = self.charts["triage"]
        panel.clear()
        xs = [p.week.timestamp() for p in trend]
        ys = [p.median_hours for p in trend]
        panel.plot.plot(xs, ys, pen=pg.mkPen(COLOURS[0], width=2), symbol="o")
        panel.point_hits(
            xs,
            ys,
            [
                _("week of {week}: {hours} h median ({n} cases)").format(
                    week=p.week.strftime("%Y-%m-%d"), hours=f"{p.median_hours:.1f}", n=p.cases
                )
                for p in trend
            ],
            86400.0,
            max(ys, default=1.0) * 0.1 + 0.5,
        )
