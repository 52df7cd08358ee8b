"""The Impact tab of a case: import inventories and AI-BOMs, estimate, see who is affected.

Reading the files and matching run as a Qt-free job (``app.impact``) on the thread pool;
the result fills a table of affected deployments, bar charts by sector and by country
(pyqtgraph), and the users range with the assumptions it rests on. The newest stored
estimate is shown when the tab opens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import impact
from app.casework import cases
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from i18n import N_, _
from views.common import file_dialogs
from views.common.retranslate import StatusLine, relabel
from views.common.workers import JobHandle, run_job

ERROR_STYLE = "color: #b00020;"
CHART_HEIGHT = 240  # px: bars and their labels readable at 1366x768
HEADERS = (
    N_("Organisation"),
    N_("Deployment"),
    N_("Sector"),
    N_("Country"),
    N_("Users"),
    N_("Product"),
    N_("Version"),
    N_("Match"),
)
KEYS = ("organisation", "deployment", "sector", "country", "users", "product", "version", "match")
MATCH_LABELS = {
    "hash": N_("hash"),
    "version": N_("version in range"),
    "any-version": N_("any version"),
    "unknown-version": N_("possibly (version unknown)"),
}
Index = QModelIndex | QPersistentModelIndex


class DeploymentsModel(QAbstractTableModel):
    """Read-only rows of affected (and possibly affected) deployments from one estimate."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[Any, ...]] = []

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = [tuple(r.get(k) for k in KEYS) for r in rows]
        self.endResetModel()

    def retranslate(self) -> None:
        """Headers and match words are translated when asked: the view asks again."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(HEADERS) - 1)
        if self._rows:
            column = KEYS.index("match")
            last = self.index(len(self._rows) - 1, column)
            self.dataChanged.emit(self.index(0, column), last, [Qt.ItemDataRole.DisplayRole])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(KEYS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._rows[index.row()][index.column()]
        key = KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return "—" if key == "users" else ""
            if key == "match":
                return _(MATCH_LABELS.get(str(value), str(value)))
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and key == "users":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            return _(HEADERS[section])
        if orientation == Qt.Orientation.Vertical:
            return section + 1
        return None


class BarChart(pg.PlotWidget):  # type: ignore[misc]
    """Counts per category as bars, the categories as x-axis ticks."""

    def __init__(self, title: str) -> None:
        super().__init__(background="w")
        self.source_title = title  # the English source: translated again after a switch
        self.retranslate()
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.counts: dict[str, int] = {}

    def retranslate(self) -> None:
        self.setTitle(_(self.source_title), color="#333333")

    def show_counts(self, counts: dict[str, int]) -> None:
        self.clear()
        self.counts = dict(counts)
        labels = list(counts)
        if labels:
            bars = pg.BarGraphItem(
                x=list(range(len(labels))), height=list(counts.values()), width=0.6,
                brush="#1f4e79",
            )  # fmt: skip
            self.addItem(bars)
        self.getAxis("bottom").setTicks([list(enumerate(labels))])
        top = max(counts.values(), default=1) + 1
        step = max(1, top // 5)
        self.getAxis("left").setTicks([[(v, str(v)) for v in range(0, top + 1, step)]])
        self.setYRange(0, top)


class ImpactPanel(QWidget):
    """Built per case over an unlocked workspace; ``estimated`` fires with the stored result."""

    estimate_requested = Signal(list, dict, dict)
    estimated = Signal(dict)

    def __init__(self, workspace: Workspace, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.case_id = case_id
        with workspace.session() as s:
            self.case_key = cases.key_for_id(s, case_id)
        self.result: dict[str, Any] | None = None
        self.job: JobHandle | None = None
        self._line = StatusLine()  # the status line, said again in a new language

        self.files = QListWidget()
        self.files.setMaximumHeight(90)
        self.add_button = QPushButton()
        self.remove_button = QPushButton()
        self.mapping = QLineEdit()
        self.share = QLineEdit()
        self.per_deployment = QLineEdit()
        self.estimate_button = QPushButton()
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addLayout(buttons)
        form = self.form = QFormLayout()
        # Long labels go above their field in a narrow pane, so the field keeps its width.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(_("Column mapping"), self.mapping)
        form.addRow(_("Share with the vulnerable configuration"), self.share)
        form.addRow(_("Users per deployment without a count"), self.per_deployment)
        inputs = QGroupBox()
        ib = QVBoxLayout(inputs)
        ib.addLayout(file_row)
        ib.addLayout(form)
        ib.addWidget(self.estimate_button)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.users = QLabel()
        self.assumptions = QLabel()
        self.assumptions.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.model = DeploymentsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.sector_chart = BarChart(N_("Affected deployments by sector"))
        self.country_chart = BarChart(N_("Affected deployments by country"))
        charts = QHBoxLayout()
        charts.addWidget(self.sector_chart)
        charts.addWidget(self.country_chart)
        chart_box = QWidget()
        chart_box.setLayout(charts)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(chart_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        # Charts at a readable height: the tab scrolls rather than squeeze them to a strip.
        self.table.setMinimumHeight(120)
        chart_box.setMinimumHeight(CHART_HEIGHT)
        # The inputs come first until there is an estimate; then the result leads and the
        # inputs follow it (show_result moves them).
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(inputs)
        layout.addWidget(self.summary)
        layout.addWidget(self.users)
        layout.addWidget(self.assumptions)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self._content_layout, self._inputs = layout, inputs
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)

        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.estimate_button.clicked.connect(self._on_estimate_clicked)
        self.estimate_requested.connect(self.run_estimate)
        self.retranslate()
        self._load_latest()

    def retranslate(self) -> None:
        self.add_button.setText(_("Add inventory…"))
        self.remove_button.setText(_("Remove"))
        self.mapping.setPlaceholderText(_("e.g. Kunde=organisation, Nutzer=users"))
        self.share.setPlaceholderText(_("1 (all), or LOW:LIKELY:HIGH such as 0.2:0.5:0.8"))
        self.per_deployment.setPlaceholderText(_("median of the known counts"))
        self.estimate_button.setText(_("Estimate"))
        relabel(
            self.form,
            (
                (self.mapping, N_("Column mapping")),
                (self.share, N_("Share with the vulnerable configuration")),
                (self.per_deployment, N_("Users per deployment without a count")),
            ),
        )
        self._inputs.setTitle(_("Inventories and AI-BOMs (CSV, XLSX, CycloneDX 1.5/1.6 JSON)"))
        self.model.retranslate()
        self.sector_chart.retranslate()
        self.country_chart.retranslate()
        if self.result is None:
            self.summary.setText(_("No estimate yet."))
        else:
            self._show_words(self.result)
        self._line.again(self.status)

    def _say(self, text: Callable[[], str] | None, shown: str = "") -> None:
        self._line.say(self.status, text, shown)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- inputs -------------------------------------------------------------------------------
    def add_files(self, paths: Sequence[str | Path]) -> None:
        known = set(self.paths())
        for p in paths:
            if str(p) not in {str(k) for k in known}:
                self.files.addItem(str(p))

    def paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def _on_add_clicked(self) -> None:
        chosen = file_dialogs.open_files(
            self, _("Add inventories"), "",
            _("Inventories (*.csv *.xlsx *.json);;All files (*)"),
        )  # fmt: skip
        self.add_files(chosen)

    def _on_remove_clicked(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def _on_estimate_clicked(self) -> None:
        try:
            mapping = impact.parse_mapping(
                [p.strip() for p in self.mapping.text().split(",") if p.strip()]
            )
            assume = {}
            if self.share.text().strip():
                assume["vulnerable_share"] = self.share.text().strip()
            if self.per_deployment.text().strip():
                assume["users_per_deployment"] = self.per_deployment.text().strip()
        except AccordError as exc:
            self._error(str(exc))
            return
        self.estimate_requested.emit([str(p) for p in self.paths()], mapping, assume)

    # -- the job ------------------------------------------------------------------------------
    def run_estimate(
        self, paths: list[str], mapping: dict[str, str], assume: dict[str, str]
    ) -> None:
        if not paths:
            self._error(_("Add at least one inventory first."))
            return
        if self.job is not None and self.job.running:
            return
        ws, key = self.workspace, self.case_key
        actor = ws.require_actor()

        def job(progress: Any, cancel: Any) -> dict[str, Any]:
            inventories = impact.load([Path(p) for p in paths], mapping, progress, cancel)
            with ws.session() as s:
                return impact.estimate(s, actor, key, inventories, assume)

        self.status.setStyleSheet("")
        self._say(lambda: _("Reading inventories…"))
        self.estimate_button.setEnabled(False)
        self.job = run_job(job, parent=self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(lambda exc: self._error(str(exc)))
        self.job.finished.connect(lambda: self.estimate_button.setEnabled(True))

    def _on_progress(self, done: int, total: int, name: str) -> None:
        if name:
            self._say(
                lambda: _("Reading {file} ({n} of {total})…").format(
                    file=name, n=done + 1, total=total
                )
            )

    def _on_done(self, result: dict[str, Any]) -> None:
        self._say(lambda: _("Estimate stored."))
        self.show_result(result)
        self.estimated.emit(result)

    def _error(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self._say(None, text)

    # -- output -------------------------------------------------------------------------------
    def _load_latest(self) -> None:
        with self.workspace.session() as s:
            latest = impact.latest(s, self.case_key)
        if latest is not None:
            self.show_result(latest)

    def reload(self) -> None:
        """The case's latest estimate (a colleague's included), e.g. on F5."""
        if self.job is None or not self.job.running:
            self._load_latest()

    def show_result(self, result: dict[str, Any]) -> None:
        self.result = result
        if self._content_layout.indexOf(self._inputs) == 0:
            self._content_layout.removeWidget(self._inputs)
            self._content_layout.addWidget(self._inputs)
        self._show_words(result)
        self.model.set_rows(result.get("deployments", []))
        self.sector_chart.show_counts(result["by_sector"])
        self.country_chart.show_counts(result["by_country"])

    def _show_words(self, result: dict[str, Any]) -> None:
        self.summary.setText(impact.summary(result))
        u = result["users"]
        self.users.setText(
            _("Users: low {low} · likely {likely} · high {high}").format(
                low=u["low"], likely=u["likely"], high=u["high"]
            )
        )
        self.assumptions.setText(
            _("Assumptions:")
            + "\n"
            + "\n".join(f"• {a['statement']}" for a in result["assumptions"])
        )
