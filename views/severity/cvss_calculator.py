"""A CVSS 3.1 / 4.0 calculator: one checkable button per metric value, the live vector, score
and severity, and a field to paste a vector that fills the buttons.

Scoring is ``app.severity.score_vector`` (the ``cvss`` library); metric and value names come
from the specification tables in ``taxonomy.cvss_scores``. Keyboard: Tab moves between metrics
(only the chosen value of each metric is in the tab chain), arrow keys and Space choose within.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from app import severity
from app.errors import AccordError
from i18n import N_, _
from taxonomy.cvss_scores import CvssError, metric_groups, metric_names, split_vector, value_names
from views.common.flow import FlowLayout

VERSIONS = ("3.1", "4.0")
GROUP_TITLES = {
    "base": N_("Base"),
    "temporal": N_("Temporal"),
    "threat": N_("Threat"),
    "environmental": N_("Environmental"),
    "supplemental": N_("Supplemental"),
}
ERROR_STYLE = "color: #b00020;"
CHECKED_STYLE = (
    "QPushButton:checked { background-color: #1f5fa8; color: white;"
    " border: 1px solid #163f6e; border-radius: 3px; padding: 3px 6px; }"
    "QPushButton:checked:focus { border: 2px solid #f0a000; }"
)
_FORWARD = {Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1, Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1}


class PageStack(QWidget):
    """Pages of which one is shown; unlike QStackedWidget it takes the size of the shown page
    (hidden pages take no room), so a short page leaves no gap below it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pages: list[QWidget] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def addWidget(self, page: QWidget) -> None:
        self._pages.append(page)
        self._layout.addWidget(page)
        page.setVisible(len(self._pages) == 1)

    def setCurrentIndex(self, index: int) -> None:
        for i, page in enumerate(self._pages):
            if i != index:
                page.hide()
        if 0 <= index < len(self._pages):
            self._pages[index].show()

    def setCurrentWidget(self, page: QWidget) -> None:
        self.setCurrentIndex(self._pages.index(page))

    def currentIndex(self) -> int:
        return next((i for i, p in enumerate(self._pages) if not p.isHidden()), -1)

    def currentWidget(self) -> QWidget | None:
        index = self.currentIndex()
        return self._pages[index] if index >= 0 else None

    def count(self) -> int:
        return len(self._pages)

    def widget(self, index: int) -> QWidget | None:
        return self._pages[index] if 0 <= index < len(self._pages) else None


class ChoiceRow(QWidget):
    """One exclusive choice shown as a row of checkable buttons (a QButtonGroup).

    ``choices`` are ``(key, text, tooltip)``. Only the chosen button (or the first, when none
    is chosen) takes Tab focus; arrow keys move to the previous/next value and choose it,
    mirrored right-to-left. ``changed`` carries the chosen key, "" when none is chosen.
    """

    changed = Signal(str)

    def __init__(
        self, choices: Sequence[tuple[str, str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        self.setStyleSheet(CHECKED_STYLE)
        # Values wrap onto a second line when the row is narrower than all of them: CVSS 3.1's
        # Remediation Level alone needs more than the case pane has beside the queue.
        layout = FlowLayout(self, spacing=2)
        layout.setContentsMargins(0, 0, 0, 0)
        for key, text, tip in choices:
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setAccessibleDescription(tip)
            button.setProperty("choice", key)
            # As narrow as its text, not the style's 80 px floor: more values fit on a line.
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 16)
            button.installEventFilter(self)
            self.group.addButton(button)
            self.buttons[key] = button
            layout.addWidget(button)
        self.group.buttonToggled.connect(self._on_toggled)
        self._update_focus_chain()

    def value(self) -> str | None:
        button = self.group.checkedButton()
        return str(button.property("choice")) if button is not None else None

    def set_value(self, key: str | None, *, notify: bool = True) -> None:
        """Choose ``key`` (None: nothing); ``notify=False`` keeps ``changed`` quiet."""
        if key == self.value():
            return
        blocked = self.group.blockSignals(not notify)
        if key is None:
            self.group.setExclusive(False)
            for button in self.buttons.values():
                button.setChecked(False)
            self.group.setExclusive(True)
            self._update_focus_chain()
            if notify:
                self.changed.emit("")
        else:
            self.buttons[key].setChecked(True)
            if not notify:
                self._update_focus_chain()
        self.group.blockSignals(blocked)

    def _on_toggled(self, button: QPushButton, checked: bool) -> None:
        if checked:
            self._update_focus_chain()
            self.changed.emit(str(button.property("choice")))

    def _update_focus_chain(self) -> None:
        chosen = self.group.checkedButton()
        buttons = list(self.buttons.values())
        tab_stop = chosen if chosen is not None else (buttons[0] if buttons else None)
        for button in buttons:
            policy = Qt.FocusPolicy.StrongFocus if button is tab_stop else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(policy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            key_event = event
            step = _FORWARD.get(Qt.Key(key_event.key()))
            if step is not None and key_event.modifiers() == Qt.KeyboardModifier.NoModifier:
                if key_event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right) and self.isRightToLeft():
                    step = -step
                if isinstance(watched, QPushButton):
                    self._step(watched, step)
                return True
        return super().eventFilter(watched, event)

    def _step(self, current: QPushButton, step: int) -> None:
        buttons = list(self.buttons.values())
        index = buttons.index(current) if current in buttons else 0
        target = buttons[max(0, min(len(buttons) - 1, index + step))]
        if not target.isChecked():
            target.click()
        target.setFocus(Qt.FocusReason.OtherFocusReason)


class _MetricLabel(QLabel):
    """A metric's name, wrapped; it asks for no more than a short column, so the values beside
    it keep one line where they can (the grid takes what is short from both columns)."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        column = self.fontMetrics().averageCharWidth() * 18
        return QSize(max(min(hint.width(), column), self.minimumSizeHint().width()), hint.height())


class GroupTabs(QWidget):
    """Tabs for the metric groups that take the height of the shown group, not of the
    largest, as a QTabWidget would."""

    currentChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QTabBar()
        self.bar.setDocumentMode(True)
        self.bar.setExpanding(False)
        self.stack = PageStack()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.bar)
        layout.addWidget(self.stack)
        self.bar.currentChanged.connect(self.setCurrentIndex)

    def addTab(self, page: QWidget, text: str) -> None:
        self.stack.addWidget(page)
        self.bar.addTab(text)
        self.setCurrentIndex(self.bar.currentIndex())

    def setCurrentIndex(self, index: int) -> None:
        if index < 0:
            return
        self.bar.setCurrentIndex(index)
        changed = self.stack.currentIndex() != index
        self.stack.setCurrentIndex(index)
        if changed:
            self.currentChanged.emit(index)

    def currentIndex(self) -> int:
        return self.bar.currentIndex()

    def count(self) -> int:
        return self.stack.count()

    def widget(self, index: int) -> QWidget | None:
        return self.stack.widget(index)

    def setTabText(self, index: int, text: str) -> None:
        self.bar.setTabText(index, text)

    def tabText(self, index: int) -> str:
        return self.bar.tabText(index)


class CvssCalculator(QWidget):
    """The calculator. ``vector_changed`` carries the scored vector, or "" while incomplete or
    invalid; ``result()`` is ``score_vector``'s dict for the current buttons."""

    vector_changed = Signal(str)

    def __init__(self, version: str = "4.0", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: dict[str, Any] | None = None
        self._error = ""
        self._last_emitted = ""
        self.version_row = ChoiceRow([(v, f"CVSS {v}", f"CVSS {v}") for v in VERSIONS])
        self.paste = QLineEdit()
        self.paste.setClearButtonEnabled(True)
        self.paste.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # vectors are Latin text
        self.paste_button = QPushButton()
        self.paste_error = QLabel()
        self.paste_error.setWordWrap(True)
        self.paste_error.setStyleSheet(ERROR_STYLE)
        self.paste_error.hide()
        # Each version's buttons are built when first shown (a tab is built per case shown).
        self.rows: dict[str, dict[str, ChoiceRow]] = {}
        self.group_tabs: dict[str, GroupTabs] = {}
        self.stack = PageStack()
        self._metric_labels: list[tuple[QLabel, str, str]] = []
        self.vector_label = QLabel()
        self.vector_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.vector_label.setWordWrap(True)
        self.score_label = QLabel()
        font = self.score_label.font()
        font.setBold(True)
        self.score_label.setFont(font)

        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste, 1)
        paste_row.addWidget(self.paste_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.version_row)
        layout.addLayout(paste_row)
        layout.addWidget(self.paste_error)
        layout.addWidget(self.stack)
        layout.addWidget(self.vector_label)
        layout.addWidget(self.score_label)

        self.version_row.changed.connect(self._on_version)
        self.paste_button.clicked.connect(self.apply_paste)
        self.paste.returnPressed.connect(self.apply_paste)
        self.version_row.set_value(version if version in VERSIONS else "4.0", notify=False)
        self.retranslate()
        self._show_stack(self.version())
        self._recompute()

    def _build_version(self, version: str) -> GroupTabs:
        names, values = metric_names(version), value_names(version)
        tabs = GroupTabs()
        self.rows[version] = {}
        self.group_tabs[version] = tabs
        for group, metrics in metric_groups(version):
            page = QWidget()
            grid = QGridLayout(page)
            grid.setColumnStretch(1, 1)
            for line, metric in enumerate(metrics):
                choices = [
                    (letter, name, f"{names[metric]} ({metric}): {name} ({letter})")
                    for letter, name in values[metric].items()
                ]
                row = ChoiceRow(choices)
                row.setObjectName(f"cvss{version}-{metric}")
                row.setAccessibleName(names[metric])
                if "X" in values[metric]:
                    row.set_value("X", notify=False)
                row.changed.connect(self._recompute)
                label = _MetricLabel()
                label.setToolTip(names[metric])
                label.setBuddy(row.buttons[next(iter(row.buttons))])
                self._metric_labels.append((label, names[metric], metric))
                grid.addWidget(label, line, 0)
                grid.addWidget(row, line, 1)
                self.rows[version][metric] = row
            grid.setRowStretch(len(metrics), 1)
            tabs.addTab(page, group)
        self.stack.addWidget(tabs)
        self._translate_version(version)
        return tabs

    def _rows(self, version: str) -> dict[str, ChoiceRow]:
        if version not in self.rows:
            self._build_version(version)
        return self.rows[version]

    def retranslate(self) -> None:
        self.paste.setPlaceholderText(_("Paste a vector, e.g. CVSS:4.0/AV:N/AC:L/…"))
        self.paste_button.setText(_("Fill"))
        self.paste_button.setToolTip(_("Set the buttons from the pasted vector"))
        for version in self.group_tabs:
            self._translate_version(version)
        self._show_result()

    def _translate_version(self, version: str) -> None:
        for label, name, metric in self._metric_labels:
            label.setText(_("{name} ({metric})").format(name=name, metric=metric))
        tabs = self.group_tabs[version]
        for index, (group, _metrics) in enumerate(metric_groups(version)):
            tabs.setTabText(index, _(GROUP_TITLES[group]))

    # -- state ------------------------------------------------------------------------------
    def version(self) -> str:
        return self.version_row.value() or "4.0"

    def button(self, metric: str, value: str, version: str | None = None) -> QPushButton:
        """The button of one metric value (for tests and accessibility tools)."""
        return self._rows(version or self.version())[metric].buttons[value]

    def chosen(self, version: str | None = None) -> dict[str, str]:
        """Metric → chosen value letter (unchosen metrics left out)."""
        rows = self._rows(version or self.version())
        return {m: v for m, row in rows.items() if (v := row.value()) is not None}

    def missing(self) -> list[str]:
        """Base metrics without a value yet."""
        base = metric_groups(self.version())[0][1]
        rows = self._rows(self.version())
        return [m for m in base if rows[m].value() is None]

    def built_vector(self) -> str:
        """The vector the buttons spell (``X`` values left out), complete or not."""
        chosen = self.chosen()
        parts = [f"{m}:{v}" for m, v in chosen.items() if v != "X"]
        return "/".join([f"CVSS:{self.version()}", *parts])

    def result(self) -> dict[str, Any] | None:
        return self._result

    def vector(self) -> str:
        """The scored vector, "" while incomplete."""
        return str(self._result["vector"]) if self._result else ""

    def set_version(self, version: str) -> None:
        self.version_row.set_value(version)

    def set_vector(self, text: str) -> bool:
        """Fill the buttons from a vector; on an invalid one show the error naming the metric
        and leave the buttons as they were."""
        try:
            version, metrics = split_vector(text)
            if version not in VERSIONS:
                raise CvssError(
                    _("the calculator edits CVSS 3.1 and 4.0 vectors, not {version}").format(
                        version=version
                    )
                )
            severity.score_vector(text)
        except (CvssError, AccordError) as exc:
            self.paste_error.setText(_("Not applied: {error}").format(error=exc))
            self.paste_error.show()
            return False
        self.paste_error.clear()
        self.paste_error.hide()
        for metric, row in self._rows(version).items():
            default = "X" if "X" in row.buttons else None
            row.set_value(metrics.get(metric, default), notify=False)
        if version != self.version():
            self.version_row.set_value(version, notify=False)
            self._show_stack(version)
        self._recompute()
        return True

    def apply_paste(self) -> None:
        if self.set_vector(self.paste.text()):
            self.paste.clear()

    def clear(self) -> None:
        """Forget every choice of the current version."""
        for row in self._rows(self.version()).values():
            row.set_value("X" if "X" in row.buttons else None, notify=False)
        self._recompute()

    # -- updates ----------------------------------------------------------------------------
    def _on_version(self, version: str) -> None:
        if version:
            self._show_stack(version)
            self._recompute()

    def _show_stack(self, version: str) -> None:
        self._rows(version)
        self.stack.setCurrentWidget(self.group_tabs[version])

    def _recompute(self, *_args: object) -> None:
        self._result = None
        self._error = ""
        if not self.missing():
            try:
                self._result = severity.score_vector(self.built_vector())
            except AccordError as exc:
                self._error = str(exc)
        self._show_result()
        vector = self.vector()
        if vector != self._last_emitted:
            self._last_emitted = vector
            self.vector_changed.emit(vector)

    def _show_result(self) -> None:
        if not hasattr(self, "vector_label"):
            return
        result = self._result
        if result is not None:
            self.vector_label.setText(str(result["vector"]))
            self.score_label.setText(
                _("Score {score} ({severity}), {kind}").format(
                    score=result["score"],
                    severity=_(str(result["severity"])),
                    kind=result["nomenclature"],
                )
            )
            self.score_label.setStyleSheet("")
            return
        self.vector_label.setText(self.built_vector())
        if self._error:
            self.score_label.setText(self._error)
            self.score_label.setStyleSheet(ERROR_STYLE)
        else:
            self.score_label.setText(
                _("Choose a value for: {metrics}").format(metrics=", ".join(self.missing()))
            )
            self.score_label.setStyleSheet("")
