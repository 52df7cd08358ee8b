"""A case's assessment history: who, when, the tier, CVSS and SSVC, and what changed against
the assessment before (``app.severity.changes``); the selected one's explanation below."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import severity
from i18n import N_, _
from taxonomy import ssvc
from views.queue.model import Formatter, tier_label

COLUMNS = (N_("When"), N_("Who"), N_("Tier"), N_("CVSS"), N_("SSVC"), N_("What changed"))
FIELD_NAMES = {
    "tier": N_("tier"),
    "cvss_vector": N_("vector"),
    "ssvc_table": N_("SSVC table"),
    "ssvc_decision": N_("SSVC decision"),
    "sector": N_("sector"),
}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values())
    return str(value)


_RECORDED = re.compile(r"^ssvc\[([^\]]+)\](?::(.+))?$")


def _table_title(name: str) -> str:
    try:
        return ssvc.table(name).name
    except ssvc.SsvcError:
        return name


def ssvc_cell(row: dict[str, Any]) -> str:
    """The SSVC column: the decision that fed the tier, then each recorded one."""
    decisions = [str(row["ssvc_decision"])] if row.get("ssvc_decision") else []
    decisions += [str(r.get("decision")) for r in row.get("ssvc_recorded") or []]
    return "; ".join(decisions) or "—"


def describe_change(change: dict[str, Any], arrow: str = "→") -> str:
    """One ``changes`` entry in words, e.g. ``tier Medium → High`` or ``CVSS AV N → L``."""
    name = str(change["field"])
    recorded = _RECORDED.match(name)
    if recorded:  # ssvc[coordinator-triage] or ssvc[coordinator-triage]:PSI
        table = _table_title(recorded.group(1))
        name = (
            _("SSVC {table} {point}").format(table=table, point=recorded.group(2))
            if recorded.group(2)
            else _("SSVC {table} decision").format(table=table)
        )
        return _("{field} {old} {arrow} {new}").format(
            field=name, old=_value(change["from"]), arrow=arrow, new=_value(change["to"])
        )
    group, _sep, key = name.partition(":")
    if key:
        prefix = {"cvss": "CVSS", "ssvc": "SSVC", "ai": _("AI")}.get(group, group)
        name = f"{prefix} {key}"
    else:
        name = _(FIELD_NAMES.get(name, name))
    return _("{field} {old} {arrow} {new}").format(
        field=name, old=_value(change["from"]), arrow=arrow, new=_value(change["to"])
    )


class AssessmentHistory(QWidget):
    """Newest first. ``set_rows`` takes ``app.severity.history`` rows (oldest first)."""

    def __init__(self, formatter: Formatter | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formatter = formatter or Formatter()
        self.rows: list[dict[str, Any]] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(120)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setMaximumHeight(110)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.table.itemSelectionChanged.connect(self._show_detail)
        self.retranslate()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.detail.setPlaceholderText(_("Select an assessment to read its explanation."))
        self.set_rows(self.rows)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = list(rows)
        arrow = "←" if self.isRightToLeft() else "→"
        self.table.setRowCount(len(rows))
        previous: dict[str, Any] | None = None
        described: list[tuple[dict[str, Any], str]] = []
        for row in self.rows:
            found = severity.changes(previous, row)
            if previous is None:
                text = _("first assessment")
            elif not found:
                text = _("nothing changed")
            else:
                text = "; ".join(describe_change(c, arrow) for c in found)
            described.append((row, text))
            previous = row
        for line, (row, text) in enumerate(reversed(described)):
            cells = (
                self.formatter.moment(datetime.fromisoformat(row["at"])),
                row.get("analyst") or "—",
                tier_label(row.get("tier")),
                _("{vector} ({score})").format(
                    vector=row.get("cvss_vector") or "—", score=_value(row.get("cvss_score"))
                ),
                ssvc_cell(row),
                text,
            )
            for column, cell in enumerate(cells):
                item = QTableWidgetItem(cell)
                item.setData(Qt.ItemDataRole.UserRole, row["id"])
                item.setToolTip(cell)
                self.table.setItem(line, column, item)
        self._show_detail()

    def change_text(self, newest_index: int = 0) -> str:
        """The "what changed" cell of a shown row (0 = the newest)."""
        item = self.table.item(newest_index, len(COLUMNS) - 1)
        return item.text() if item is not None else ""

    def _show_detail(self) -> None:
        selected = self.table.selectedItems()
        if not selected:
            self.detail.clear()
            return
        ident = selected[0].data(Qt.ItemDataRole.UserRole)
        row = next((r for r in self.rows if r["id"] == ident), None)
        if row is None:
            self.detail.clear()
            return
        text = str(row.get("explanation") or "")
        if row.get("rationale"):
            text += "\n" + _("Rationale: {text}").format(text=row["rationale"])
        text += "\n" + _("Model: {model}").format(model=row.get("model") or "—")
        self.detail.setPlainText(text)
