"""Shift-lead dashboard: headline figures, then pyqtgraph charts over ``app.shift.dashboard``.

Hovering a bar or point shows its value; clicking a bar or a headline figure emits
``filter_requested`` with the queue filter it stands for (the main window opens the queue
filtered to it); every chart exports to PNG. Names run along the vertical axis (horizontal
bars, elided) so they never overlap; legends sit beside the plot, not on the data; an empty
chart says so instead of drawing bare axes.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyqtgraph as pg
from babel.dates import format_date, format_skeleton
from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.pool import StaticPool

from app.shift import dashboard as dash
from app.workspaces.lifecycle import Workspace
from i18n import _, current_language
from i18n.catalog import source_text
from i18n.data import rule_text
from i18n.formatting import format_moment, locale_for
from i18n.labels import status_label, tier_label
from views.common import file_dialogs
from views.common.time_zone import reader_zone
from views.common.workers import JobHandle, run_job

MAX_NAMES = 12  # bars in a names chart; the rest are summed into one "others" bar
NAME_CHARS = 22  # a longer name is elided on the axis (the whole name shows on hover)

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


class LocalDateAxis(pg.DateAxisItem):  # type: ignore[misc]  # pyqtgraph ships no types
    """pyqtgraph's time axis with month and day names in the interface language (its own
    are strftime's English: "Oct", "Nov" under Japanese)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        spec = next((s for s in self.zoomLevel.tickSpecs if s.spacing == spacing), None)
        pattern = spec.format if spec is not None else ""
        skeleton = next((k for f, k in _SKELETONS if f in pattern), None)
        if skeleton is None:
            return list(super().tickStrings(values, scale, spacing))
        locale = locale_for(current_language())
        offset = self.utcOffset or 0
        return [
            format_skeleton(skeleton, datetime.fromtimestamp(v - offset, UTC), locale=locale)
            for v in values
        ]


# strftime pieces of pyqtgraph's tick formats → the Babel skeleton saying the same.
_SKELETONS = (("%H", "Hm"), ("%d", "MMMd"), ("%b", "MMM"), ("%Y", "y"))


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


def elide(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ChartPanel(QWidget):
    """One chart: a title, the plot (or an empty-state message), a legend beside the plot,
    a hover read-out and an export button."""

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
        self.horizontal = False
        self.title_source = source_text(title)  # translated again on a language switch
        self.title = QLabel(f"<b>{html.escape(_(self.title_source))}</b>")
        # Wrapped: unwrapped, three titles and their buttons side by side made the Spanish and
        # French dashboards wider than a 1366 px screen.
        self.title.setWordWrap(True)
        self.plot = pg.PlotWidget(axisItems=axis_items or {})
        self.plot.setBackground("w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(180)
        # Axes read left to right in every language: mirrored under Arabic, the names sat on
        # one side and their bars started on the other, and day labels ran into each other.
        self.plot.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.plot.getPlotItem().setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        # Room above the top tick label and beside the last one (both were cut in half).
        self.plot.getPlotItem().setContentsMargins(4, 10, 12, 4)
        self.empty = QLabel()
        self.empty.setObjectName("empty-" + key)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #666666")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty)
        # Until the figures arrive the plot stays hidden: painting six empty pyqtgraph plots
        # costs as much Python time as the queries it would compete with.
        self.stack.setCurrentWidget(self.empty)
        self._loading = True  # until the first figures: "Loading…", in the current language
        self.empty.setText(_("Loading…"))
        self.legend = QLabel()
        self.legend.setObjectName("legend-" + key)
        self.legend.setWordWrap(True)
        self.legend.setVisible(False)
        self.hover = QLabel(" ")
        self.hover.setObjectName("hover-" + key)
        self.hover.setWordWrap(True)
        self.export_button = QPushButton(_("Export PNG…"))
        self.export_button.clicked.connect(self._ask_export)
        self.hits: list[Hit] = []
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.legend)
        lay.addWidget(self.hover)
        self.plot.scene().sigMouseMoved.connect(self._on_move)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    def retranslate(self) -> None:
        self.title.setText(f"<b>{html.escape(_(self.title_source))}</b>")
        self.export_button.setText(_("Export PNG…"))
        if self._loading:
            self.empty.setText(_("Loading…"))

    def clear(self) -> None:
        self._loading = False
        self.empty.clear()  # behind the plot: no stale words for a later language
        self.plot.clear()
        self.hits = []
        self.hover.setText(" ")
        self.legend.setVisible(False)
        self.stack.setCurrentWidget(self.plot)

    def show_empty(self, message: str) -> None:
        """An honest empty state: say there is nothing, rather than bare 0–1 axes."""
        self.clear()
        self.empty.setText(message)
        self.stack.setCurrentWidget(self.empty)

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty

    def set_axes(self, bottom: str, left: str) -> None:
        self.plot.getAxis("bottom").setLabel(bottom)
        self.plot.getAxis("left").setLabel(left)

    def set_legend(self, entries: list[tuple[str, str]]) -> None:
        """Colour keys under the plot, never over a bar."""
        self.legend.setText(
            "  ".join(f'<span style="color:{c}">■</span>&nbsp;{html.escape(t)}' for t, c in entries)
        )
        self.legend.setVisible(bool(entries))

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
        if self.horizontal:  # category i along y, the value along x
            item = pg.BarGraphItem(x0=base, y=xs, width=values, height=0.7, brush=colour)
        else:
            item = pg.BarGraphItem(x=xs, height=values, width=0.7, y0=base, brush=colour)
        self.plot.addItem(item)
        for x, label, v, f, b in zip(xs, labels, values, filters, base, strict=True):
            if v:
                text = f"{label} · {series}: {v:g}" if series else f"{label}: {v:g}"
                if self.horizontal:
                    self.hits.append(Hit(b, b + v, x - 0.35, x + 0.35, text, f))
                else:
                    self.hits.append(Hit(x - 0.35, x + 0.35, b, b + v, text, f))

    def set_categories(self, labels: list[str]) -> None:
        ticks = [list(enumerate(elide(lab) for lab in labels))]
        if self.horizontal:
            self.plot.getAxis("left").setTicks(ticks)
            self.plot.getViewBox().invertY(True)  # the biggest bar on top
            self.plot.setYRange(-0.6, max(len(labels), 1) - 0.4, padding=0)
        else:
            axis = self.plot.getAxis("bottom")
            axis.setTicks(ticks)
            lines = max((lab.count("\n") + 1 for lab in labels), default=1)
            if lines > 1:  # pyqtgraph sizes the axis for one line: the title went below
                metrics = QFontMetrics(axis.style["tickFont"] or axis.font())
                axis.setHeight(lines * metrics.lineSpacing() + metrics.height() + 16)

    def point_hits(
        self, xs: list[float], ys: list[float], texts: list[str], dx: float, dy: float
    ) -> None:
        for x, y, t in zip(xs, ys, texts, strict=True):
            self.hits.append(Hit(x - dx, x + dx, y - dy, y + dy, t))

    def view_point(self, x: float, y: float) -> QPointF:
        """The widget position of a view coordinate (for tests and tooltips)."""
        scene = self.plot.plotItem.vb.mapViewToScene(QPointF(x, y))
        point: QPointF = self.plot.mapFromScene(scene)
        return point

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


class Figure(QPushButton):
    """A headline number a shift lead reads first; clicking it opens the queue behind it."""

    def __init__(self, key: str, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.colour = colour
        self.filter = ""
        self.value = 0
        self.caption = ""
        self.setObjectName("figure-" + key)
        self.setMinimumHeight(64)
        self.setFlat(True)

    def set_value(self, value: int, caption: str, spec: str, tip: str) -> None:
        self.value, self.caption, self.filter = value, caption, spec
        colour = self.colour if value else "#555555"
        self.setText(f"{value}\n{caption}")
        self.setToolTip(tip)
        self.setEnabled(bool(spec))
        self.setStyleSheet(
            f"QPushButton {{ font-size: 14pt; font-weight: bold; color: {colour};"
            " border: 1px solid #cccccc; border-radius: 4px; padding: 4px; text-align: center }"
            f" QPushButton:disabled {{ color: {colour} }}"
        )


class DashboardScreen(QWidget):
    """Headline figures, then the charts; ``reload`` recomputes them on the thread pool."""

    filter_requested = Signal(str)
    loaded = Signal()

    def __init__(
        self,
        workspace: Callable[[], Workspace | None],
        parent: QWidget | None = None,
        time_zone: str = "",
    ) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._time_zone = time_zone
        self.data: dash.Dashboard | None = None
        self._jobs: list[JobHandle] = []
        self._halves: dict[str, tuple[str, object]] = {}
        self._awaiting = False
        self._read = 0  # which read the halves coming in belong to (older ones are dropped)
        # The figures are read while the widgets below are built (about a tenth of a second),
        # on a file workspace; their results arrive through the event loop, after this.
        ws = workspace()
        if ws is not None and not isinstance(ws.engine.pool, StaticPool):
            self._start_jobs(ws)
        self.figures = {
            "overdue": Figure("overdue", "#b5443c"),
            "due_today": Figure("due_today", "#b07a12"),
            "unassigned": Figure("unassigned", "#7d5ba6"),
            "new": Figure("new", "#2f6f9f"),
        }
        for f in self.figures.values():
            f.clicked.connect(lambda _c=False, fig=f: self._on_figure(fig))
        self.charts = {
            "tier_status": ChartPanel("tier_status", _("Open cases by tier and status")),
            "age": ChartPanel("age", _("Case age (days)")),
            "obligations": ChartPanel("obligations", _("Obligations due in the next 7 days")),
            "triage": ChartPanel(
                "triage",
                _("Time to triage (median hours, by week opened)"),
                {"bottom": LocalDateAxis()},
            ),
            "analyst": ChartPanel("analyst", _("Open cases per analyst")),
            "partner": ChartPanel("partner", _("Open cases per partner")),
        }
        self.charts["analyst"].horizontal = True
        self.charts["partner"].horizontal = True
        self.reload_button = QPushButton(_("Refresh"))
        self.reload_button.clicked.connect(self.reload)
        self.status = QLabel()
        figures = QHBoxLayout()
        for f in self.figures.values():
            figures.addWidget(f, 1)
        grid = QGridLayout()
        for i, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, i // 3, i % 3)
            chart.clicked.connect(self.filter_requested)
        for col in range(3):
            grid.setColumnStretch(col, 1)
        if self._jobs:
            self.status.setText(_("Loading…"))
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.reload_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(figures)
        lay.addLayout(grid, 1)

    def changeEvent(self, event: QEvent) -> None:
        # A language switch redraws from the data at hand (no new query).
        if event.type() == QEvent.Type.LanguageChange:
            for chart in self.charts.values():
                chart.retranslate()
            self.reload_button.setText(_("Refresh"))
            if self.data is not None:
                self.show_data(self.data)
        super().changeEvent(event)

    def sizeHint(self) -> QSize:
        """A working size when opened as its own window."""
        return QSize(1280, 800)

    def _on_figure(self, figure: Figure) -> None:
        if figure.filter:
            self.filter_requested.emit(figure.filter)

    def reload(self) -> None:
        ws = self._workspace()
        if ws is None or self._awaiting:
            return
        if isinstance(ws.engine.pool, StaticPool):
            # One shared in-memory connection (tests, benchmarks): never use it from two threads.
            tz = reader_zone(ws, self._time_zone)
            with ws.session() as s:
                self.show_data(dash.snapshot(s, datetime.now(UTC), tz, _("Unassigned")))
            return

        self._start_jobs(ws)
        self.status.setText(_("Loading…"))

    def _start_jobs(self, ws: Workspace) -> None:
        """Read the two halves side by side, each on a connection of its own
        (app.shift.dashboard.snapshot says why); even the reader's zone is read there."""
        preference = self._time_zone
        unassigned = _("Unassigned")
        now = datetime.now(UTC)

        def cases_half(_progress: object, _cancel: object) -> tuple[str, dash.CaseFigures]:
            tz = reader_zone(ws, preference)
            with ws.session() as s:
                return tz, dash.case_figures(s, now, tz, unassigned)

        def other_half(_progress: object, _cancel: object) -> tuple[str, dash.OtherFigures]:
            tz = reader_zone(ws, preference)
            with ws.session() as s:
                return tz, dash.other_figures(s, now, tz)

        self._halves = {}
        # Until both halves are in (or one failed): a finished job's result may still be on
        # its way through the event loop, so "no job running" is not "nothing to wait for".
        self._awaiting = True
        self._read += 1
        read = self._read
        self._jobs = [run_job(cases_half, self), run_job(other_half, self)]
        for key, job in zip(("cases", "other"), self._jobs, strict=True):
            job.succeeded.connect(lambda half, k=key, n=now, r=read: self._half_done(k, half, n, r))
            job.failed.connect(lambda exc, r=read: self._failed(exc, r))

    def _failed(self, exc: object, read: int) -> None:
        if read != self._read:
            return
        self._awaiting = False
        self.status.setText(str(exc))

    def _half_done(self, key: str, result: tuple[str, object], now: datetime, read: int) -> None:
        # A half of a read that failed, arriving after a Refresh started the next one, must
        # not be assembled with the next read's other half.
        if read != self._read:
            return
        self._halves[key] = result
        if len(self._halves) < 2:
            return
        self._awaiting = False
        tz, cases_half = self._halves["cases"]
        _tz, other_half = self._halves["other"]
        if isinstance(cases_half, dash.CaseFigures) and isinstance(other_half, dash.OtherFigures):
            self.show_data(dash.assemble(now, tz, cases_half, other_half))

    def show_data(self, data: dash.Dashboard) -> None:
        self.data = data
        lang = current_language()
        self.status.setText(
            _("As of {time}").format(time=format_moment(data.now, lang, data.time_zone))
        )
        self._draw_headline(data)
        self._draw_tier_status(data.by_tier_status)
        self._draw_chart(self.charts["age"], data.age, _("open cases"), _("days open"))
        self._draw_chart(self.charts["analyst"], data.per_analyst, _("open cases"), "")
        self._draw_chart(self.charts["partner"], data.per_partner, _("open cases"), "")
        self._draw_obligations(data)
        self._draw_trend(data.triage_trend)
        self.loaded.emit()

    def _draw_headline(self, data: dash.Dashboard) -> None:
        h = data.headline
        if h is None:
            return
        lang, tz = current_language(), data.time_zone
        self.figures["overdue"].set_value(
            h.overdue,
            _("Overdue"),
            "overdue",
            _("Open cases whose next deadline has passed"),
        )
        self.figures["due_today"].set_value(
            h.due_today,
            _("Due today"),
            "due-24h",
            _("Due before {end}; opens the cases due within 24 hours").format(
                end=format_moment(h.day_end, lang, tz)
            ),
        )
        self.figures["unassigned"].set_value(
            h.unassigned, _("Unassigned"), "unassigned", _("Open cases nobody holds")
        )
        self.figures["new"].set_value(
            h.new_this_shift,
            _("New this shift"),
            "",
            _("Opened since {start}").format(start=format_moment(h.shift_start, lang, tz)),
        )

    def _draw_chart(
        self, panel: ChartPanel, chart: dash.Chart, value_axis: str, cat_axis: str
    ) -> None:
        panel.clear()
        bars = list(chart.bars)
        if not any(b.value for b in bars):
            panel.show_empty(_("No open cases to show."))
            return
        if panel.horizontal and len(bars) > MAX_NAMES:
            rest = bars[MAX_NAMES - 1 :]
            others = dash.Bar(_("{n} others").format(n=len(rest)), sum(b.value for b in rest), "")
            bars = [*bars[: MAX_NAMES - 1], others]
        # The unassigned bar is named in the language shown now, not the one of the last query.
        labels = [_("Unassigned") if b.filter == dash.UNASSIGNED else b.label for b in bars]
        panel.bars(labels, [b.value for b in bars], [b.filter for b in bars])
        panel.set_categories(labels)
        if panel.horizontal:  # the value runs along the bottom, the names down the side
            panel.set_axes(value_axis, cat_axis)
        else:
            panel.set_axes(cat_axis, value_axis)

    def _draw_tier_status(self, chart: dash.StackedChart) -> None:
        panel = self.charts["tier_status"]
        panel.clear()
        if not chart.categories:
            panel.show_empty(_("No open cases to show."))
            return
        labels = [tier_label(c) for c in chart.categories]
        base = [0.0] * len(chart.categories)
        legend = []
        for si, status in enumerate(chart.series):
            values = [float(v) for v in chart.values[si]]
            filters = [chart.filter_for(ci, si) for ci in range(len(chart.categories))]
            colour = COLOURS[si % len(COLOURS)]
            panel.bars(labels, values, filters, list(base), colour, status_label(status))
            legend.append((status_label(status), colour))
            base = [b + v for b, v in zip(base, values, strict=True)]
        panel.set_categories(labels)
        panel.set_axes(_("tier"), _("open cases"))
        panel.set_legend(legend)

    def _draw_obligations(self, data: dash.Dashboard) -> None:
        panel = self.charts["obligations"]
        panel.clear()
        days = data.obligations_by_day
        if not any(d.binding or d.advisory for d in days):
            panel.show_empty(_("No obligations due in the next 7 days."))
            return
        locale = locale_for(current_language())
        labels = [format_date(d.day.date(), "EEE d", locale=locale) for d in days]
        binding = [float(d.binding) for d in days]
        advisory = [float(d.advisory) for d in days]
        by_day: dict[int, list[str]] = {}
        for o in data.obligations:
            local = o.due_utc.astimezone(days[0].day.tzinfo)
            index = (local.date() - days[0].day.date()).days
            by_day.setdefault(index, []).append(
                f"{o.case_key} {rule_text(o.title)} ({o.jurisdiction})"
            )
        filters = [""] * len(days)
        panel.bars(labels, binding, filters, None, "#b5443c", _("binding"))
        panel.bars(labels, advisory, filters, binding, "#2f6f9f", _("advisory"))
        for hit in panel.hits:  # what is due that day, in the rules' own words
            index = round((hit.x0 + hit.x1) / 2)
            listed = by_day.get(index, [])[:3]
            if listed:
                hit_text = hit.text + " — " + "; ".join(listed)
                panel.hits[panel.hits.index(hit)] = Hit(
                    hit.x0, hit.x1, hit.y0, hit.y1, hit_text, hit.filter
                )
        # Weekday over day on the axis: "الأربعاء 9" on one line ran into its neighbours.
        panel.set_categories([format_date(d.day.date(), "EEE'\n'd", locale=locale) for d in days])
        panel.set_axes(_("day (your time)"), _("obligations"))
        panel.set_legend([(_("binding"), "#b5443c"), (_("advisory"), "#2f6f9f")])

    def _draw_trend(self, trend: tuple[dash.TrendPoint, ...]) -> None:
        panel = self.charts["triage"]
        panel.clear()
        if not trend:
            panel.show_empty(
                _("No case opened in the last {weeks} weeks has been triaged.").format(
                    weeks=dash.TREND_WEEKS
                )
            )
            return
        xs = [p.week.timestamp() for p in trend]
        ys = [p.median_hours for p in trend]
        panel.plot.plot(xs, ys, pen=pg.mkPen(COLOURS[0], width=2), symbol="o")
        panel.set_axes(_("week opened"), _("median hours"))
        panel.point_hits(
            xs,
            ys,
            [
                _("week of {week}: {hours} h median ({n} cases)").format(
                    week=format_date(
                        p.week.date(), "medium", locale=locale_for(current_language())
                    ),
                    hours=f"{p.median_hours:.1f}",
                    n=p.cases,
                )
                for p in trend
            ],
            float(timedelta(days=1).total_seconds()),
            max(ys, default=1.0) * 0.1 + 0.5,
        )
