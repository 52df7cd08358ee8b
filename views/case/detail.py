"""The detail pane of one case: fields, reports, audit history, and the Move/Assign actions.

It only displays frozen data (``CaseDetail``, history dicts) given by the main window and
emits ``transition_requested`` / ``assign_requested``; the main window runs the services.
Feature tabs (``add_tab``) are built per case by their factory when first shown (a stand-in
holds their place until then) and destroyed on clear.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.casework.cases import CaseDetail
from app.casework.summary import CaseSummary
from app.queueing import filters as queue_filters
from i18n import _
from i18n.catalog import source_text
from i18n.labels import audit_action_label, audit_detail_label
from views.common.elided import ElidedLabel
from views.common.flow import FlowLayout
from views.common.times import TLP_STYLES, embargo_countdown, with_zone
from views.queue.model import (
    URGENCY_COLOURS,
    URGENCY_LABELS,
    Formatter,
    status_label,
    tier_label,
)

TabFactory = Callable[[int], QWidget]
UNASSIGNED = "\x00unassigned"
HEADER_FIELDS = (
    "status", "tier", "assignee", "deadline", "tlp", "embargo", "reporter", "jurisdictions",
    "partners", "opened", "updated",
)  # fmt: skip
# Short values two pairs to a row; a time or a list takes a whole row: beside the queue's key
# columns the pane has about 480 px at 1366×768, where two times side by side were cut or
# wrapped mid-date (and pushed the pane wider than its place).
HEADER_ROWS: tuple[tuple[str, ...], ...] = (
    ("status", "tier"), ("assignee", "tlp"), ("reporter", "jurisdictions"), ("deadline",),
    ("embargo",), ("partners",), ("opened",), ("updated",),
)  # fmt: skip


def _history_summary(event: dict[str, Any]) -> str:
    """An event's details in words: named keys, states and tiers by their labels, yes/no."""
    details = event.get("details") or {}
    if not isinstance(details, dict):
        return ""
    states = event.get("action") == "case.transition"
    if "from" in details or "to" in details:

        def end(value: Any) -> str:
            if not value:
                return "—"
            return status_label(str(value)) if states else str(value)

        text = _("{old} → {new}").format(old=end(details.get("from")), new=end(details.get("to")))
        if details.get("reason"):
            text += " — " + str(details["reason"])
        return text

    def shown(key: str, value: Any) -> str:  # a list reads "EU, FR", not "['EU', 'FR']"
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value) or "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if value is None:
            return "—"
        if key in ("tier", "previous_tier"):
            return tier_label(str(value))
        return str(value)

    return "; ".join(f"{audit_detail_label(k)}: {shown(k, v)}" for k, v in sorted(details.items()))


class _PendingTab(QWidget):
    """Holds a feature tab's place until the tab is first shown: building every tab of each
    case selected (charts, calculators, rule files) was most of the window's opening time."""


def _table(widths: tuple[int, ...]) -> QTableWidget:
    table = QTableWidget(0, len(widths) + 1)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


class CaseDetailPane(QWidget):
    """Shows one case. ``case_id`` is 0 when nothing is shown."""

    transition_requested = Signal(int, str, str, str)  # case id, key, state, reason
    assign_requested = Signal(int, str, object)  # case id, key, analyst name or None
    tab_changed = Signal()  # a feature tab changed the case: the header and other tabs reload

    def __init__(self, formatter: Formatter | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formatter = formatter or Formatter()
        self.case_id = 0
        self.detail: CaseDetail | None = None
        self._history: list[dict[str, Any]] = []
        self._factories: list[tuple[str, TabFactory]] = []
        self._extra: list[QWidget] = []

        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # One line, shortened to the pane's width with the whole title in its tooltip: a long
        # title wrapped over the fields or, unbroken, widened the pane past the screen.
        self.heading = ElidedLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)  # a report's title, never HTML
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)

        # Two columns of label/value pairs: the header stays short enough to leave the tabs
        # room at 1366x768 while it names everything a shift lead checks first.
        self.values = {k: QLabel() for k in HEADER_FIELDS}
        for label in self.values.values():
            label.setTextFormat(Qt.TextFormat.PlainText)  # names and times from the data
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        self.form = QGridLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(2)
        self.form_labels = {k: QLabel() for k in self.values}
        for row, keys in enumerate(HEADER_ROWS):
            for column, key in enumerate(keys):
                self.form_labels[key].setAlignment(
                    Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop
                )
                self.form.addWidget(self.form_labels[key], row, column * 2)
                # The TLP and deadline chips keep their own size (a background would fill
                # the cell).
                chip = key in ("tlp", "deadline")
                align = (
                    Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop
                    if chip
                    else Qt.AlignmentFlag(0)
                )
                span = 3 if len(keys) == 1 else 1
                self.form.addWidget(self.values[key], row, column * 2 + 1, 1, span, align)
        self.form.setColumnStretch(1, 1)
        self.form.setColumnStretch(3, 1)
        self.summary: CaseSummary | None = None

        self.actions_box = QGroupBox()
        self.move_label, self.assign_label = QLabel(), QLabel()
        self.target = QComboBox()
        self.target.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.target.setMinimumContentsLength(14)
        self.reason = QLineEdit()
        self.move_button = QPushButton()
        self.assignee = QComboBox()
        self.assign_button = QPushButton()
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        grid = QFormLayout(self.actions_box)
        # Above every tab: where the pane is narrower than a row (long translations), its
        # fields wrap and the label stands above them, rather than the pane scrolling.
        grid.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.reason.setMinimumWidth(self.reason.fontMetrics().averageCharWidth() * 16)
        self.assignee.setSizePolicy(
            QSizePolicy.Policy.Expanding, self.assignee.sizePolicy().verticalPolicy()
        )
        move_row = FlowLayout()
        move_row.addWidget(self.target)
        move_row.addWidget(self.reason)
        move_row.addWidget(self.move_button)
        assign_row = FlowLayout()
        assign_row.addWidget(self.assignee)
        assign_row.addWidget(self.assign_button)
        grid.addRow(self.move_label, move_row)
        grid.addRow(self.assign_label, assign_row)
        grid.addRow(self.error)

        self.tabs = QTabWidget()
        # Twelve tabs do not fit a 480 px pane in Japanese or Arabic: the bar scrolls (every
        # tab reachable, whatever the style prefers) instead of widening the pane.
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.description = QPlainTextEdit()
        self.description.setReadOnly(True)
        self.reports = _table((200, 260, 120))
        self.history = _table((200, 100, 170))
        self.tabs.addTab(self.description, "")
        self.tabs.addTab(self.reports, "")
        self.tabs.addTab(self.history, "")
        self.tabs.currentChanged.connect(self._build_tab)

        page = QWidget()
        body = QVBoxLayout(page)
        body.addWidget(self.heading)
        body.addLayout(self.form)
        body.addWidget(self.actions_box)
        body.addWidget(self.tabs, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        self.move_button.clicked.connect(self._request_transition)
        self.reason.returnPressed.connect(self._request_transition)
        self.assign_button.clicked.connect(self._request_assign)
        self.retranslate()

    # -- strings ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Every fixed string of the pane in one place, so a language switch can redo them."""
        self.placeholder.setText(_("Select a case in the queue to see its details."))
        labels = {
            "status": _("Status"),
            "tier": _("Tier"),
            "assignee": _("Assignee"),
            "partners": _("Shared with"),
            "deadline": _("Next deadline"),
            "opened": _("Opened"),
            "updated": _("Updated"),
            "tlp": _("TLP"),
            "embargo": _("Embargo until"),
            "reporter": _("Reporter"),
            "jurisdictions": _("Jurisdictions"),
        }
        for key, text in labels.items():
            self.form_labels[key].setText(text)
        self.actions_box.setTitle(_("Actions"))
        self.move_label.setText(_("Move to"))
        self.assign_label.setText(_("Assign to"))
        self.reason.setPlaceholderText(_("Reason (required)"))
        self.move_button.setText(_("Move"))
        self.assign_button.setText(_("Assign"))
        self.tabs.setTabText(0, _("Description"))
        self.tabs.setTabText(1, _("Reports received"))
        self.tabs.setTabText(2, _("History"))
        self.reports.setHorizontalHeaderLabels(
            [_("Received"), _("Title"), _("Source"), _("Format")]
        )
        self.history.setHorizontalHeaderLabels([_("When"), _("Who"), _("What"), _("Details")])
        self._retitle_extra_tabs()
        if self.detail is not None:
            self.show_case(
                self.detail, self._history, self._analysts(), self.summary, reload_tabs=False
            )

    # -- feature tabs -----------------------------------------------------------------------
    def add_tab(self, title: str, factory: TabFactory) -> None:
        """A tab built by ``factory(case_id)`` for each case shown. ``title`` is the English
        source text (``N_``) or its translation; the tab shows ``_(title)`` in the current
        language, again after each language switch."""
        self._factories.append((source_text(title), factory))
        if self.case_id:
            self._build_extra_tabs()

    @staticmethod
    def _tab_title(source: str) -> str:
        # "&" would make the next letter a mnemonic ("Affected_identifiers"): shown as is.
        return _(source).replace("&", "&&")

    def _retitle_extra_tabs(self) -> None:
        for widget, (title, _factory) in zip(self._extra, self._factories, strict=False):
            self.tabs.setTabText(self.tabs.indexOf(widget), self._tab_title(title))

    @property
    def feature_tabs(self) -> list[QWidget]:
        """The tabs built by ``add_tab`` factories for the case shown now (building any not
        shown yet)."""
        for widget in list(self._extra):
            self._build_tab(self.tabs.indexOf(widget))
        return list(self._extra)

    def built_tabs(self) -> list[QWidget]:
        """The feature tabs built so far (shown at least once) for the case shown now."""
        return [w for w in self._extra if not isinstance(w, _PendingTab)]

    def _drop_extra_tabs(self) -> None:
        # Quietly: removing the tab in front must not build a neighbour's stand-in.
        blocked = self.tabs.blockSignals(True)
        try:
            for widget in self._extra:
                self.tabs.removeTab(self.tabs.indexOf(widget))
                widget.deleteLater()
            self._extra = []
        finally:
            self.tabs.blockSignals(blocked)

    def _build_extra_tabs(self) -> None:
        """Stand-ins for the feature tabs; only the tab in front is built now. The reader
        stays on the tab they were reading when they move to another case."""
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        try:
            self._drop_extra_tabs()
            for title, _factory in self._factories:
                pending = _PendingTab()
                self._extra.append(pending)
                self.tabs.addTab(pending, self._tab_title(title))
            if 0 <= current < self.tabs.count():
                self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
        self._build_tab(self.tabs.currentIndex())

    def _build_tab(self, index: int) -> None:
        """Build the feature tab at ``index`` if only its stand-in is there."""
        pending = self.tabs.widget(index)
        if not isinstance(pending, _PendingTab) or pending not in self._extra:
            return
        i = self._extra.index(pending)
        title, factory = self._factories[i]
        widget = factory(self.case_id)
        self._connect_tab(widget)
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, self._tab_title(title))
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
        self._extra[i] = widget
        pending.deleteLater()

    # -- content ----------------------------------------------------------------------------
    def show_case(
        self,
        detail: CaseDetail,
        history: list[dict[str, Any]],
        analysts: list[str],
        summary: CaseSummary | None = None,
        *,
        reload_tabs: bool = True,
    ) -> None:
        """Show ``detail``; the same case again (F5, a change) refreshes every tab in place
        (not for a language switch: ``reload_tabs=False`` redoes the strings only)."""
        same_case = detail.id == self.case_id
        # A language switch keeps the state and the analyst chosen (not yet applied).
        chosen = (self.target.currentData(), self.assignee.currentData())
        self.case_id, self.detail, self._history = detail.id, detail, history
        self.heading.setText(f"{detail.key} — {detail.title}")
        fmt = self.formatter
        self.values["status"].setText(status_label(detail.status))
        self.values["tier"].setText(tier_label(detail.tier))
        self.values["assignee"].setText(detail.assignee or _("unassigned"))
        self.values["partners"].setText(detail.partners or "—")
        self._show_deadline(detail.next_deadline_utc)
        self._show_summary(summary)
        self.values["opened"].setText(
            _("{when} ({age} ago)").format(
                when=with_zone(fmt, detail.created_at), age=fmt.age(detail.created_at)
            )
        )
        self.values["updated"].setText(with_zone(fmt, detail.updated_at))
        self.description.setPlainText(detail.description)

        self.target.clear()
        for state in detail.allowed_transitions:
            self.target.addItem(status_label(state), state)
        self.target.setEnabled(bool(detail.allowed_transitions))
        self.move_button.setEnabled(bool(detail.allowed_transitions))
        self.assignee.clear()
        self.assignee.addItem(_("nobody (unassign)"), UNASSIGNED)
        for name in analysts:
            self.assignee.addItem(name, name)
        self.assignee.setCurrentIndex(max(self.assignee.findData(detail.assignee or UNASSIGNED), 0))
        if same_case and not reload_tabs:
            for combo, data in zip((self.target, self.assignee), chosen, strict=True):
                if combo.findData(data) >= 0:
                    combo.setCurrentIndex(combo.findData(data))
        if not same_case:
            self.reason.clear()
            self.hide_error()

        self._fill_reports(detail)
        self._fill_history(history)
        self.stack.setCurrentIndex(1)
        if not same_case or len(self._extra) != len(self._factories):
            self._build_extra_tabs()
        elif reload_tabs:
            self.refresh_tabs()

    def _show_deadline(self, due: datetime | None) -> None:
        """The countdown the queue shows ("overdue 3 d"), then the time with its zone; the
        queue's colour scale, and the exact time in both zones in the tooltip."""
        label = self.values["deadline"]
        label.setWordWrap(False)  # a chip sized to its text: wrapped, its time was cut off
        if due is None:
            label.setText(_("none running"))
            label.setToolTip(_("No deadline is running for this case."))
            label.setStyleSheet("")
            return
        urgency = queue_filters.urgency(due)
        text = _("{countdown} · {when}").format(
            countdown=queue_filters.countdown(due), when=with_zone(self.formatter, due)
        )
        if urgency == "overdue":
            text = "⚠ " + text  # the marker is a sign and a word, not a colour alone
        label.setText(text)
        label.setToolTip("\n".join((self.formatter.exact(due), _(URGENCY_LABELS[urgency]))))
        foreground, background = URGENCY_COLOURS[urgency]
        weight = "bold" if urgency == "overdue" else "normal"
        label.setStyleSheet(
            f"color: {foreground}; background: {background}; padding: 0 4px; font-weight: {weight};"
        )
        label.setProperty("urgency", urgency)

    def _show_summary(self, summary: CaseSummary | None) -> None:
        """TLP, embargo with its countdown, reporter, jurisdictions and sharing list, by name."""
        self.summary = summary
        for key in ("tlp", "embargo", "reporter", "jurisdictions"):
            self.values[key].setText("—")
            self.values[key].setToolTip("")
            self.values[key].setStyleSheet("")
        if summary is None:
            return
        tlp = self.values["tlp"]
        tlp.setText("TLP:" + summary.tlp)
        tlp.setStyleSheet(TLP_STYLES.get(summary.tlp, ""))
        if summary.tlp_floor_partner:
            tlp.setToolTip(
                _("at least TLP:{tlp} as received from {partner}").format(
                    tlp=summary.tlp, partner=summary.tlp_floor_partner
                )
            )
        if summary.embargo_until is not None:
            self.values["embargo"].setText(
                _("{when} ({countdown})").format(
                    when=with_zone(self.formatter, summary.embargo_until),
                    countdown=embargo_countdown(summary.embargo_until),
                )
            )
        else:
            self.values["embargo"].setText(_("no embargo"))
        if summary.reporter:
            text = summary.reporter
            if summary.reporter_pseudonymous:
                text = _("{name} (pseudonymous)").format(name=text)
            self.values["reporter"].setText(text)
        if summary.jurisdictions:
            self.values["jurisdictions"].setText(", ".join(summary.jurisdictions))
        self.values["partners"].setText(", ".join(summary.sharing) or _("nobody yet"))

    def refresh_tabs(self) -> None:
        """Reload every feature tab of the shown case (the one refresh path: F5 and changes).

        A tab with ``reload()`` reloads in place (keeping what is typed elsewhere in it);
        one without is rebuilt by its factory, at the same place."""
        if not self.case_id:
            return
        current = self.tabs.currentIndex()
        for i, widget in enumerate(list(self._extra)):
            if isinstance(widget, _PendingTab):
                continue  # built from fresh data when first shown
            reload = getattr(widget, "reload", None)
            if callable(reload):
                reload()
                continue
            title, factory = self._factories[i]
            index = self.tabs.indexOf(widget)
            fresh = factory(self.case_id)
            self._connect_tab(fresh)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, fresh, title)
            widget.deleteLater()
            self._extra[i] = fresh
        self.tabs.setCurrentIndex(current)

    def _connect_tab(self, widget: QWidget) -> None:
        """A tab that changes the case tells the pane, which has every other part reload."""
        changed = getattr(widget, "changed", None)
        if changed is not None and hasattr(changed, "connect"):
            changed.connect(self.tab_changed)

    def clear(self) -> None:
        """Forget the case entirely (on lock, or when nothing is selected)."""
        self._drop_extra_tabs()
        self.case_id, self.detail, self._history = 0, None, []
        self.summary = None
        self.heading.clear()
        for label in self.values.values():
            label.clear()
        self.description.clear()
        self.reason.clear()
        self.target.clear()
        self.assignee.clear()
        self.reports.setRowCount(0)
        self.history.setRowCount(0)
        self.hide_error()
        self.stack.setCurrentIndex(0)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def hide_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _analysts(self) -> list[str]:
        return [self.assignee.itemData(i) for i in range(1, self.assignee.count())]

    def _fill_reports(self, detail: CaseDetail) -> None:
        self.reports.setRowCount(len(detail.reports))
        for row, r in enumerate(detail.reports):
            cells = (self.formatter.moment(r.received_at), r.title, r.source, r.format)
            for col, text in enumerate(cells):
                self.reports.setItem(row, col, QTableWidgetItem(text))

    def _fill_history(self, history: list[dict[str, Any]]) -> None:
        self.history.setRowCount(len(history))
        for row, event in enumerate(history):
            at = event.get("at")
            when = self.formatter.moment(datetime.fromisoformat(at)) if isinstance(at, str) else ""
            action = str(event.get("action", ""))
            cells = (
                when,
                str(event.get("actor", "")),
                audit_action_label(action),
                _history_summary(event),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setToolTip(action)  # the code, as audit exports and the CLI print it
                self.history.setItem(row, col, item)

    # -- requests ---------------------------------------------------------------------------
    def _request_transition(self) -> None:
        if self.detail is None or self.target.currentData() is None:
            return
        reason = self.reason.text().strip()
        if not reason:
            self.show_error(_("Give a reason for the move."))
            self.reason.setFocus()
            return
        self.hide_error()
        self.transition_requested.emit(
            self.detail.id, self.detail.key, str(self.target.currentData()), reason
        )

    def _request_assign(self) -> None:
        if self.detail is None:
            return
        data = self.assignee.currentData()
        self.hide_error()
        self.assign_requested.emit(
            self.detail.id, self.detail.key, None if data in (None, UNASSIGNED) else str(data)
        )
