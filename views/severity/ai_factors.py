"""The AI factor inputs of the shared severity model (access needed, success rate k of n,
transferability, harm type, AI class) and the sector, with help text from the model and the
AI taxonomy data (OWASP LLM 2025, MITRE ATLAS, AVID)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import severity
from i18n import _
from i18n.data import severity_text
from taxonomy.model import SeverityModel, default_model

CHOICE_FACTORS = ("access", "transferability", "harm_type")
CLASS_LISTS = ("owasp-llm-2025", "atlas-techniques", "avid")
NOT_GIVEN = ""
MAX_TRIALS = 100_000


def _combo() -> QComboBox:
    combo = QComboBox()
    # Long labels (taxonomy names) must not widen the whole case pane.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo


def _help(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted, still readable
    return label


class AiFactorsForm(QWidget):
    """``changed`` fires on every edit; ``ai_pairs()`` gives the ``--ai KEY=VALUE`` pairs and
    ``sector()`` the sector, exactly as ``app.severity.build_inputs`` takes them."""

    changed = Signal()

    def __init__(self, model: SeverityModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model or default_model()
        self.combos: dict[str, QComboBox] = {}
        self.help_labels: dict[str, QLabel] = {}
        self.field_labels: dict[str, QLabel] = {}
        # The model's own words (English), shown through the catalog: (field, help) and, per
        # choice, (value, label, points) in the combo's order after its first item.
        self._helps: dict[str, tuple[QWidget, str]] = {}
        self._choices: dict[str, list[tuple[str, str, float]]] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for factor in ("access",):
            self._add_choice(form, factor)
        self._add_success(form)
        for factor in ("transferability", "harm_type"):
            self._add_choice(form, factor)
        self._add_class(form)
        self._add_sector(form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self.retranslate()

    # -- construction -----------------------------------------------------------------------
    def _row(self, form: QFormLayout, key: str, field: QWidget, help_text: str) -> None:
        label = QLabel()
        label.setBuddy(field)
        self.field_labels[key] = label
        help_label = _help("")
        self.help_labels[key] = help_label
        if help_text:
            self._helps[key] = (field, help_text)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(field)
        column.addWidget(help_label)
        form.addRow(label, box)

    def _add_choice(self, form: QFormLayout, factor: str) -> None:
        spec = self.model.factor(factor)
        combo = _combo()
        combo.addItem("", NOT_GIVEN)
        self._choices[factor] = []
        for value, chosen in spec["values"].items():
            combo.addItem(value, value)
            self._choices[factor].append((value, str(chosen["label"]), float(chosen["points"])))
        combo.currentIndexChanged.connect(self._changed)
        self.combos[factor] = combo
        self._row(form, factor, combo, str(spec["help"]))

    def _add_success(self, form: QFormLayout) -> None:
        spec = self.model.factor("success_rate")
        self.success_k = QSpinBox()
        self.success_n = QSpinBox()
        self.success_n.setRange(0, MAX_TRIALS)
        self.success_k.setRange(0, 0)
        self.of_label = QLabel()
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.success_k)
        row.addWidget(self.of_label)
        row.addWidget(self.success_n)
        row.addStretch(1)
        self.success_k.valueChanged.connect(self._changed)
        self.success_n.valueChanged.connect(self._on_trials)
        self._row(form, "success_rate", box, str(spec["help"]))

    def _add_class(self, form: QFormLayout) -> None:
        spec = self.model.factor("ai_class")
        combo = _combo()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem("", NOT_GIVEN)
        self._class_info: dict[str, dict[str, Any]] = {}
        for name in CLASS_LISTS:
            for entry in severity.taxonomy_list(name):
                self._class_info[entry["id"]] = entry
                combo.addItem(f"{entry['id']} — {entry['name']}", entry["id"])
                combo.setItemData(
                    combo.count() - 1, entry.get("description", ""), Qt.ItemDataRole.ToolTipRole
                )
        completer = combo.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        combo.currentTextChanged.connect(self._changed)
        self.combos["ai_class"] = combo
        self.class_description = QLabel()
        self.class_description.setWordWrap(True)
        self.class_description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._row(form, "ai_class", combo, str(spec["help"]))
        self.help_labels["ai_class"].parentWidget().layout().addWidget(  # type: ignore[union-attr]
            self.class_description
        )

    def _add_sector(self, form: QFormLayout) -> None:
        combo = _combo()
        self._choices["sector"] = []
        for key, overlay in self.model.data["sectors"].items():
            combo.addItem(key, key)
            self._choices["sector"].append((key, str(overlay["label"]), float(overlay["points"])))
        combo.currentIndexChanged.connect(self._changed)
        self.combos["sector"] = combo
        self._row(form, "sector", combo, "")

    def retranslate(self) -> None:
        titles = {
            "access": _("Access needed"),
            "success_rate": _("Success rate"),
            "transferability": _("Transferability"),
            "harm_type": _("Harm type"),
            "ai_class": _("AI class"),
            "sector": _("Sector"),
        }
        for key, text in titles.items():
            self.field_labels[key].setText(text)
        for factor in CHOICE_FACTORS:
            self.combos[factor].setItemText(0, _("(not given)"))
        for key, (field, help_text) in self._helps.items():
            self.help_labels[key].setText(severity_text(help_text))
            field.setToolTip(severity_text(help_text))
        for key, choices in self._choices.items():
            combo = self.combos[key]
            first = 0 if key == "sector" else 1  # the factors start with "(not given)"
            for index, (value, label, points) in enumerate(choices, start=first):
                shown = severity_text(label)
                combo.setItemText(index, shown if key == "sector" else f"{value}: {shown}")
                combo.setItemData(
                    index,
                    _("{label} ({points:+.1f} points)").format(label=shown, points=points),
                    Qt.ItemDataRole.ToolTipRole,
                )
        self.combos["ai_class"].lineEdit().setPlaceholderText(  # type: ignore[union-attr]
            _("(not given) — type an id or a word, e.g. LLM01, AML.T0051, injection")
        )
        self.help_labels["sector"].setText(
            _("Where the affected systems are used; some sectors raise the tier.")
        )
        self.success_n.setSpecialValueText(_("not measured"))
        self.of_label.setText(_("successes in"))
        self._show_class()

    # -- state ------------------------------------------------------------------------------
    def ai_class(self) -> str:
        """The chosen AI class id; typed text that names no entry is returned as typed."""
        combo = self.combos["ai_class"]
        text = combo.currentText().strip()
        if not text:
            return ""
        index = combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            return str(combo.itemData(index))
        ident = text.split(" — ", 1)[0].strip()
        return ident

    def ai_pairs(self) -> list[str]:
        """The AI factors as ``KEY=VALUE`` pairs for ``app.severity.build_inputs``."""
        pairs = []
        keys = {"access": "access", "transferability": "transferability", "harm_type": "harm"}
        for factor in CHOICE_FACTORS:
            value = self.combos[factor].currentData()
            if value:
                pairs.append(f"{keys[factor]}={value}")
        if self.success_n.value() > 0:
            pairs.append(f"success={self.success_k.value()}/{self.success_n.value()}")
        if self.ai_class():
            pairs.append(f"class={self.ai_class()}")
        return pairs

    def sector(self) -> str:
        return str(self.combos["sector"].currentData())

    def set_state(self, factors: dict[str, Any], sector: str | None) -> None:
        """Show stored factors (an assessment's ``ai_factors``) and sector; emits ``changed``
        once."""
        blocked = self.blockSignals(True)
        for factor in CHOICE_FACTORS:
            combo = self.combos[factor]
            combo.setCurrentIndex(max(combo.findData(factors.get(factor) or NOT_GIVEN), 0))
        success = factors.get("success") or {}
        self.success_n.setValue(int(success.get("n") or 0))
        self.success_k.setValue(int(success.get("k") or 0))
        ai_class = factors.get("ai_class") or ""
        combo = self.combos["ai_class"]
        index = combo.findData(ai_class) if ai_class else 0
        if index >= 0:
            combo.setCurrentIndex(index)
        else:
            combo.setEditText(ai_class)
        sectors = self.combos["sector"]
        sectors.setCurrentIndex(max(sectors.findData(sector or "general"), 0))
        self.blockSignals(blocked)
        self._changed()

    # -- updates ----------------------------------------------------------------------------
    def _on_trials(self, n: int) -> None:
        self.success_k.setRange(0, n)
        self.success_k.setEnabled(n > 0)
        self._changed()

    def _show_class(self) -> None:
        entry = self._class_info.get(self.ai_class())
        if entry is None:
            self.class_description.clear()
            self.class_description.hide()
            return
        text = _("{id} {name} ({kind}, version {version}): {description}").format(
            id=entry["id"], name=entry["name"], kind=entry.get("kind", ""),
            version=entry.get("version", ""), description=entry.get("description", ""),
        )  # fmt: skip
        self.class_description.setText(text)
        self.class_description.show()

    def _changed(self, *_args: object) -> None:
        if not hasattr(self, "class_description") or "sector" not in self.combos:
            return
        self._show_class()
        self.changed.emit()
