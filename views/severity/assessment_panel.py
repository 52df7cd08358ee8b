"""The Assessment tab of a case: the CVSS calculator, the SSVC walk-through, the AI factors,
the live result of the shared severity model with its explanation, Save, and the history.

The preview is ``app.severity.evaluate`` on the same ``build_inputs`` the CLI uses, so the
screen and ``accord assess`` give the same tier for the same inputs; Save calls
``app.severity.assess`` (stored, audited, the queue's tier updated).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import severity
from app.casework import cases
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from i18n import _
from taxonomy import ssvc
from taxonomy.model import default_model
from views.queue.model import Formatter, tier_label
from views.severity.ai_factors import AiFactorsForm
from views.severity.assessment_history import AssessmentHistory
from views.severity.cvss_calculator import ERROR_STYLE, CvssCalculator
from views.severity.ssvc_walkthrough import SsvcWalkthrough

TIER_COLOURS = {
    "Critical": "#8b0000",
    "High": "#c0392b",
    "Medium": "#b9770e",
    "Low": "#1e6f5c",
    "Informational": "#4a5a6a",
}


class AssessmentPanel(QWidget):
    """Built per case (``case_id``) over an unlocked workspace; ``assessment_saved`` carries
    the case id and the stored tier."""

    assessment_saved = Signal(int, str)

    def __init__(
        self,
        workspace: Workspace,
        case_id: int,
        formatter: Formatter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.case_id = case_id
        self.model = default_model()
        self._preview: dict[str, Any] | None = None
        self._formatter = formatter
        self._built = False
        with workspace.session() as s:
            self.case_key = cases.key_for_id(s, case_id)

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)

    def ensure_built(self) -> None:
        """Build the inputs and load the history on first show: the case pane builds every
        feature tab for each case selected, most of them never looked at."""
        if self._built:
            return
        self._built = True
        with self.workspace.session() as s:
            history = severity.history(s, self.case_key)
        self.calculator = CvssCalculator()
        self.walkthrough = SsvcWalkthrough(self.model.data["ssvc"]["default_table"])
        # The tier table is the one last shown of those feeding the tier; answers of other
        # tables stay on their pages, and complete recorded-only ones are saved too.
        self._tier_table = self.walkthrough.table_name()
        self.factors = AiFactorsForm(self.model)
        self.history = AssessmentHistory(self._formatter)

        self.tier_label = QLabel()
        self.tier_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tier_label.setMinimumWidth(140)
        font = self.tier_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.tier_label.setFont(font)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.ssvc_note = QLabel()
        self.ssvc_note.setWordWrap(True)
        self.recorded_label = QLabel()
        self.recorded_label.setWordWrap(True)
        self.explanation = QPlainTextEdit()
        self.explanation.setReadOnly(True)
        self.explanation.setMinimumHeight(48)
        self.explanation.setMaximumHeight(72)
        self.rationale = QLineEdit()
        self.save_button = QPushButton()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.rationale_label = QLabel()
        self.rationale_label.setBuddy(self.rationale)

        self.boxes = {key: QGroupBox() for key in ("cvss", "ssvc", "ai", "result", "history")}
        for key, widget in (
            ("cvss", self.calculator), ("ssvc", self.walkthrough), ("ai", self.factors),
            ("history", self.history),
        ):  # fmt: skip
            box_layout = QVBoxLayout(self.boxes[key])
            box_layout.addWidget(widget)
        result = QVBoxLayout(self.boxes["result"])
        head = QHBoxLayout()
        head.addWidget(self.tier_label)
        head.addWidget(self.summary_label, 1)
        result.addLayout(head)
        result.addWidget(self.ssvc_note)
        result.addWidget(self.recorded_label)
        result.addWidget(self.explanation)
        save_row = QHBoxLayout()
        save_row.addWidget(self.rationale_label)
        save_row.addWidget(self.rationale, 1)
        save_row.addWidget(self.save_button)
        result.addLayout(save_row)
        result.addWidget(self.status)

        # The result and its Save button stay on top, above the scrolling inputs: the tier
        # follows every change below without scrolling down to it.
        content = QWidget()
        column = QVBoxLayout(content)
        for key in ("cvss", "ssvc", "ai", "history"):
            column.addWidget(self.boxes[key])
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.boxes["result"])
        outer.addWidget(self.scroll_area, 1)

        self.calculator.vector_changed.connect(self.update_preview)
        self.walkthrough.table_combo.currentIndexChanged.connect(self._on_table)
        self.walkthrough.changed.connect(self.update_preview)
        self.factors.changed.connect(self.update_preview)
        self.save_button.clicked.connect(self.save)
        self.rationale.returnPressed.connect(self.save)
        self.retranslate()
        self.history.set_rows(history)
        if history:
            self.load(history[-1])
        self.update_preview()

    def reload(self) -> None:
        """Refresh the history (a colleague's assessment appears on F5); inputs stay as typed."""
        if not self._built:
            return
        with self.workspace.session() as s:
            self.history.set_rows(severity.history(s, self.case_key))

    def retranslate(self) -> None:
        titles = {
            "cvss": _("CVSS"), "ssvc": _("SSVC"), "ai": _("AI factors and sector"),
            "result": _("Result"), "history": _("Assessment history"),
        }  # fmt: skip
        for key, text in titles.items():
            self.boxes[key].setTitle(text)
        self.rationale_label.setText(_("Rationale"))
        self.rationale.setPlaceholderText(_("Why, in your words (stored with the assessment)"))
        self.save_button.setText(_("Save assessment"))
        self.save_button.setToolTip(
            _("Store this assessment for {case}; earlier ones are kept").format(case=self.case_key)
        )
        self.calculator.retranslate()
        self.walkthrough.retranslate()
        self.factors.retranslate()
        self.history.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        # A language switch sends LanguageChange to every widget; the path arrows and the
        # history's "→" follow the layout direction.
        kinds = (QEvent.Type.LanguageChange, QEvent.Type.LayoutDirectionChange)
        if event.type() in kinds and self._built:
            self.retranslate()
        super().changeEvent(event)

    # -- inputs -----------------------------------------------------------------------------
    def load(self, row: dict[str, Any]) -> None:
        """Fill every input from a history row (the latest one when the tab opens)."""
        if row.get("cvss_vector"):
            self.calculator.set_vector(str(row["cvss_vector"]))
        for recorded in row.get("ssvc_recorded") or []:
            self.walkthrough.set_inputs(str(recorded["table"]), dict(recorded["inputs"]))
        if row.get("ssvc_table"):
            self.walkthrough.set_inputs(str(row["ssvc_table"]), dict(row.get("ssvc_inputs") or {}))
        self.factors.set_state(dict(row.get("ai_factors") or {}), row.get("sector"))

    def model_tables(self) -> list[str]:
        """The SSVC tables whose decision may set the tier."""
        return self.model.tier_tables()

    def _on_table(self, *_args: object) -> None:
        if self.walkthrough.table_name() in self.model_tables():
            self._tier_table = self.walkthrough.table_name()

    def _answers(self, table_name: str) -> dict[str, str] | None:
        """A table's answers when every decision point has one, else None."""
        walk = self.walkthrough
        if table_name not in walk.pages:
            return None
        rows = walk.page(table_name).rows
        answers = {k: v for k, row in rows.items() if (v := row.value()) is not None}
        return answers if len(answers) == len(rows) else None

    def ssvc_pairs(self) -> list[str]:
        """The answers of the tier table (the one last shown), when complete."""
        answers = self._answers(self._tier_table)
        if answers is None:
            return []
        pairs = [f"{k}={v}" for k, v in answers.items()]
        if self._tier_table != self.model.data["ssvc"]["default_table"]:
            pairs.insert(0, f"table={self._tier_table}")
        return pairs

    def ssvc_groups(self) -> list[list[str]]:
        """One ``table=NAME K=V…`` group per completely answered recorded-only table."""
        groups = []
        for name in self.model.recorded_tables():
            answers = self._answers(name)
            if answers is not None:
                groups.append([f"table={name}", *(f"{k}={v}" for k, v in answers.items())])
        return groups

    def build_inputs(self) -> Any:
        """The model inputs, built exactly as ``accord assess`` builds them."""
        return severity.build_inputs(
            self.calculator.vector(), self.ssvc_pairs(), self.factors.ai_pairs(),
            self.factors.sector(), ssvc_groups=self.ssvc_groups(),
        )  # fmt: skip

    # -- preview and save -------------------------------------------------------------------
    def preview(self) -> dict[str, Any] | None:
        return self._preview

    def update_preview(self, *_args: object) -> None:
        self._preview = None
        self._show_ssvc_note()
        if not self.calculator.vector():
            self._show_empty(_("Complete the CVSS vector to see the tier."))
            return
        try:
            self._preview = severity.evaluate(self.build_inputs())
        except AccordError as exc:
            self._show_empty(str(exc), error=True)
            return
        data = self._preview
        tier = str(data["tier"])
        self.tier_label.setText(tier_label(tier))
        colour = TIER_COLOURS.get(tier, "#4a5a6a")
        self.tier_label.setStyleSheet(
            f"QLabel {{ background: {colour}; color: white; padding: 6px; border-radius: 4px; }}"
        )
        self.summary_label.setText(
            _("Respond within {hours} hours. SSVC: {decision}. Model {model}.").format(
                hours=data["sla_hours"],
                decision=data["ssvc_decision"] or _("not used"),
                model=data["model"],
            )
        )
        self.explanation.setPlainText(str(data["explanation"]))
        self.explanation.setStyleSheet("")
        self.save_button.setEnabled(True)
        recorded = [
            _("{table}: {decision}").format(
                table=ssvc.table(r["table"]).name, decision=r["decision"]
            )
            for r in data["ssvc_recorded"]
        ]
        self.recorded_label.setText(
            _("Recorded with this assessment (does not set the tier): {decisions}").format(
                decisions="; ".join(recorded)
            )
            if recorded
            else ""
        )
        self.recorded_label.setVisible(bool(recorded))

    def _show_empty(self, message: str, *, error: bool = False) -> None:
        self.recorded_label.clear()
        self.recorded_label.hide()
        self.tier_label.setText("—")
        self.tier_label.setStyleSheet("")
        self.summary_label.clear()
        self.explanation.setPlainText(message)
        self.explanation.setStyleSheet(ERROR_STYLE if error else "")
        self.save_button.setEnabled(False)

    def _show_ssvc_note(self) -> None:
        walk = self.walkthrough
        if walk.table_name() in self.model.recorded_tables():
            text = _(
                "The shared model records the {table} decision with the assessment; only the "
                "tables {tables} set the tier."
            ).format(tables=", ".join(self.model_tables()), table=walk.table().name)
        elif walk.table_name() not in self.model_tables():
            text = _(
                "The shared model takes SSVC decisions from the tables {tables}; the {table} "
                "decision is shown for reference and does not set the tier."
            ).format(tables=", ".join(self.model_tables()), table=walk.table().name)
        elif not walk.complete() and walk.inputs():
            text = _("The SSVC walk-through is incomplete, so it does not count yet.")
        else:
            text = ""
        self.ssvc_note.setText(text)
        self.ssvc_note.setVisible(bool(text))

    def save(self) -> None:
        """Store the assessment shown; on success reload the history and tell the window."""
        if self._preview is None:
            return
        try:
            inputs = self.build_inputs()
            with self.workspace.session() as s:
                data = severity.assess(
                    s, self.workspace.require_actor(), self.case_key, inputs,
                    rationale=self.rationale.text().strip(),
                )  # fmt: skip
                rows = severity.history(s, self.case_key)
        except AccordError as exc:
            self.status.setText(str(exc))
            self.status.setStyleSheet(ERROR_STYLE)
            return
        self.rationale.clear()
        self.status.setStyleSheet("")
        self.status.setText(
            _("Saved: {case} is {tier}.").format(case=self.case_key, tier=tier_label(data["tier"]))
        )
        self.history.set_rows(rows)
        self.assessment_saved.emit(self.case_id, str(data["tier"]))
