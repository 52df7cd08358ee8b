"""An SSVC walk-through: pick a decision table, answer its decision points in order, and see
the path to the decision with the decision highlighted among the table's outcomes.

The tables are the project's data (``taxonomy.ssvc``, derived from CERT/CC SSVC,
https://certcc.github.io/SSVC/); the decision is looked up by ``app.severity.decide_ssvc``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import severity
from app.errors import AccordError
from i18n import _
from taxonomy import ssvc
from views.common.flow import FlowLayout
from views.severity.cvss_calculator import ERROR_STYLE, ChoiceRow, PageStack

CHOSEN_STYLE = (
    "QLabel { padding: 2px 6px; border: 1px solid palette(mid); border-radius: 3px; }"
    'QLabel[chosen="true"] { background: #1f5fa8; color: white; font-weight: bold; }'
)


class _TablePage(QWidget):
    """The decision points of one table, one ChoiceRow each, numbered in order.

    Each point's name stands above its values: beside them, the name column and the widest
    row (Supplier Involvement's "Uncooperative/Unresponsive") needed more than the case pane
    has beside the queue at 1366×768, and the Assessment tab scrolled sideways."""

    def __init__(self, table: ssvc.DecisionTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.rows: dict[str, ChoiceRow] = {}
        self.step_labels: list[QLabel] = []
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for line, dp in enumerate(table.decision_points):
            choices = [(v.key, v.name, f"{v.name} ({v.key}): {v.description}") for v in dp.values]
            row = ChoiceRow(choices)
            row.setObjectName(f"ssvc-{table.cli_name}-{dp.key}")
            row.setAccessibleName(dp.name)
            label = QLabel(f"{line + 1}. {dp.name} ({dp.key})")
            label.setWordWrap(True)
            label.setToolTip(dp.description)
            label.setBuddy(next(iter(row.buttons.values())))
            self.step_labels.append(label)
            if line:
                column.addSpacing(4)
            column.addWidget(label)
            column.addWidget(row)
            self.rows[dp.key] = row
        column.addStretch(1)


class SsvcWalkthrough(QWidget):
    """``changed`` fires on every choice; ``decision()`` is the lookup result once every
    decision point of the table has a value, else None."""

    changed = Signal()

    def __init__(self, table_name: str = "cisa", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_combo = QComboBox()
        self.table_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.table_combo.setMinimumContentsLength(16)
        self.pages: dict[str, _TablePage] = {}
        self.stack = PageStack()
        for name in ssvc.TABLE_NAMES:  # pages are built when first shown
            table = ssvc.table(name)
            self.table_combo.addItem(f"{table.name} ({table.id})", name)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.clear_button = QPushButton()
        self.path_label = QLabel()
        self.path_label.setWordWrap(True)
        self.path_label.setTextFormat(Qt.TextFormat.RichText)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.outcome_box = QWidget()
        self.outcome_box.setStyleSheet(CHOSEN_STYLE)
        # The outcomes wrap, as the values do: Deployer's three, beside their title, were
        # wider than the pane beside the queue in German.
        self.outcome_row = FlowLayout(self.outcome_box)
        self.outcome_row.setContentsMargins(0, 0, 0, 0)
        self.outcome_labels: dict[str, QLabel] = {}
        self._decision: dict[str, Any] | None = None
        self.table_label = QLabel()
        self.outcome_title = QLabel()

        self.table_combo.setSizePolicy(
            QSizePolicy.Policy.Expanding, self.table_combo.sizePolicy().verticalPolicy()
        )
        top = FlowLayout()
        top.addWidget(self.table_label)
        top.addWidget(self.table_combo)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.description)
        layout.addWidget(self.stack)
        layout.addWidget(self.path_label)
        outcome_line = QHBoxLayout()
        # Beside the first line of outcomes, not the middle of two.
        outcome_line.addWidget(self.outcome_title, 0, Qt.AlignmentFlag.AlignTop)
        outcome_line.addWidget(self.outcome_box, 1)
        layout.addLayout(outcome_line)
        layout.addWidget(self.error)

        self.table_combo.currentIndexChanged.connect(self._on_table)
        self.clear_button.clicked.connect(self.clear)
        self.retranslate()
        self.set_table(table_name)
        self._on_table()

    def retranslate(self) -> None:
        self.table_label.setText(_("Decision table"))
        self.clear_button.setText(_("Clear"))
        self.clear_button.setToolTip(_("Forget the answers of this table"))
        self.outcome_title.setText(_("Decision"))
        self._update()

    # -- state ------------------------------------------------------------------------------
    def table_name(self) -> str:
        return str(self.table_combo.currentData())

    def table(self) -> ssvc.DecisionTable:
        return ssvc.table(self.table_name())

    def set_table(self, name: str) -> None:
        """Show table ``name`` (a CLI name such as ``cisa`` or an id such as cisa:DT_CO:2.0.3)."""
        cli_name = ssvc.table(name).cli_name
        self.table_combo.setCurrentIndex(self.table_combo.findData(cli_name))

    def page(self, name: str | None = None) -> _TablePage:
        """The buttons of table ``name`` (default: the shown one), built on first use."""
        name = name or self.table_name()
        if name not in self.pages:
            page = _TablePage(ssvc.table(name))
            for row in page.rows.values():
                row.changed.connect(self._update)
            self.pages[name] = page
            self.stack.addWidget(page)
        return self.pages[name]

    def row(self, key: str) -> ChoiceRow:
        return self.page().rows[key]

    def choose(self, key: str, value: str) -> None:
        """Answer one decision point of the shown table (as a click would)."""
        self.row(key).set_value(value)

    def set_inputs(self, table_name: str, inputs: dict[str, str]) -> None:
        """Show a table with its answers (e.g. from a stored assessment) and decide."""
        self.set_table(table_name)
        for key, row in self.page().rows.items():
            row.set_value(inputs.get(key), notify=False)
        self._update()

    def inputs(self) -> dict[str, str]:
        """Decision-point key → value key for every answered point of the shown table."""
        rows = self.page().rows
        return {k: v for k, row in rows.items() if (v := row.value()) is not None}

    def complete(self) -> bool:
        return len(self.inputs()) == len(self.table().decision_points)

    def decision(self) -> dict[str, Any] | None:
        return self._decision

    def clear(self) -> None:
        for row in self.page().rows.values():
            row.set_value(None, notify=False)
        self._update()

    # -- updates ----------------------------------------------------------------------------
    def _on_table(self, *_args: object) -> None:
        if self.table_combo.currentIndex() < 0:
            return
        self.stack.setCurrentWidget(self.page())
        table = self.table()
        self.description.setText(table.description)
        self.description.setToolTip(table.source)
        while self.outcome_row.count():
            item = self.outcome_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                # Hidden now: until the event loop deletes it, the old table's outcome
                # would be painted under the new one's.
                widget.hide()
                widget.deleteLater()
        self.outcome_labels = {}
        for value in table.outcome.values:
            label = QLabel(value.name)
            label.setToolTip(value.description)
            label.setProperty("chosen", False)
            self.outcome_labels[value.key] = label
            self.outcome_row.addWidget(label)
        self._update()

    def _update(self, *_args: object) -> None:
        if not hasattr(self, "pages") or self.table_combo.currentIndex() < 0:
            return
        table = self.table()
        chosen = self.inputs()
        self._decision = None
        self.error.hide()
        if self.complete():
            pairs = [f"{k}={v}" for k, v in chosen.items()]
            try:
                self._decision = severity.decide_ssvc(table.cli_name, pairs)
            except AccordError as exc:
                self.error.setText(str(exc))
                self.error.show()
        self._show_path(table, chosen)
        outcome = self._decision["outcome_key"] if self._decision else None
        for key, label in self.outcome_labels.items():
            label.setProperty("chosen", key == outcome)
            label.setAccessibleName(
                _("{decision} (the decision)").format(decision=label.text())
                if key == outcome else label.text()
            )  # fmt: skip
            label.style().unpolish(label)
            label.style().polish(label)
        page = self.page(table.cli_name)
        next_step = next((dp.key for dp in table.decision_points if dp.key not in chosen), None)
        for dp, label in zip(table.decision_points, page.step_labels, strict=True):
            font = label.font()
            font.setBold(dp.key == next_step)
            label.setFont(font)
        self.changed.emit()

    def _show_path(self, table: ssvc.DecisionTable, chosen: dict[str, str]) -> None:
        arrow = " ← " if self.isRightToLeft() else " → "
        steps: list[str] = []
        for dp in table.decision_points:
            if dp.key not in chosen:
                steps.append(_("next: {point}").format(point=_escape(dp.name)))
                break
            value = dp.value(chosen[dp.key])
            steps.append(
                _("{point}: {value}").format(point=_escape(dp.name), value=_escape(value.name))
            )
        if self._decision is not None:
            steps.append(
                "<b>" + _("Decision: {decision}").format(
                    decision=_escape(str(self._decision["decision"]))
                ) + "</b>"
            )  # fmt: skip
        self.path_label.setText(_("Path: {steps}").format(steps=arrow.join(steps)))

    def path_text(self) -> str:
        """The path as plain text (what a screen reader gets)."""
        doc = QTextDocument()
        doc.setHtml(self.path_label.text())
        return doc.toPlainText()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
