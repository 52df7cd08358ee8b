"""Attach the deadlines feature to the main window (issue 5): the Deadlines case tab, the
saved-filter bar over the queue, and the Shift handover and Dashboard tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QToolBar

from app.deadlines.rules import builtin_rules, for_workspace
from app.errors import AccordError
from app.queueing import filters as queue_filters
from i18n import _
from views.queue.saved_filters import SavedFiltersBar

if TYPE_CHECKING:
    from views.deadlines.panel import DeadlinesPanel
    from views.shell.host import WindowHost
    from views.shift.dashboard import DashboardScreen
    from views.shift.handover_screen import HandoverScreen


class _SavedFiltersToolBar(QToolBar):
    """The toolbar holding the saved-filter bar; its title follows the language."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.setWindowTitle(_("Saved filters"))
        super().changeEvent(event)


def _selected_keys(window: WindowHost) -> list[str]:
    model = window.model
    keys = []
    for index in window.queue.table.selectionModel().selectedRows():
        row = model.queue_row(index.row())
        if row is not None:
            keys.append(row.key)
    return keys


def _shown_keys(window: WindowHost) -> list[str]:
    model = window.model
    rows = (model.queue_row(r) for r in range(model.rowCount()))
    return [r.key for r in rows if r is not None]


def install(window: WindowHost) -> None:
    def deadlines_tab(case_id: int) -> DeadlinesPanel:
        # Imported when the tab is first shown, as the handover and dashboard below are.
        from views.deadlines.panel import DeadlinesPanel

        ws = window.workspace
        assert ws is not None
        problem = ""
        try:
            rules = for_workspace(ws.directory)
        except AccordError as exc:  # a malformed team file: say so, use the shipped rules
            rules, problem = builtin_rules(), str(exc)
        panel = DeadlinesPanel(ws, case_id, lambda: rules)
        if problem:
            panel.message.setText(problem)
        panel.changed.connect(window.model.refresh)
        return panel

    window.add_case_tab(_("Deadlines"), deadlines_tab)

    bar = SavedFiltersBar(
        lambda: window.workspace,
        window.queue,
        lambda: _selected_keys(window),
        window.undo_stack,
        on_change=window.refresh_queue,
        all_keys=lambda: _shown_keys(window),
    )
    toolbar = _SavedFiltersToolBar(_("Saved filters"), window)
    toolbar.setObjectName("savedFiltersToolbar")
    toolbar.addWidget(bar)
    window.addToolBar(toolbar)
    window.unlocked.connect(bar.reload_analysts)
    # The queue's own filter boxes and this bar say the same (issue 15); the queue paints
    # its deadline countdown and chips itself (views/queue/view.py).
    window.queue.filters_changed.connect(bar.show_spec)
    bar.show_spec(queue_filters.spec_of(window.model.query))
    window.saved_filters = bar  # type: ignore[attr-defined]

    def handover() -> HandoverScreen:
        from views.shift.handover_screen import HandoverScreen

        return HandoverScreen(lambda: window.workspace)

    window.add_tool(_("Shift handover"), handover, "Ctrl+Shift+H")

    def dashboard() -> DashboardScreen:
        # Imported when first opened: its charting libraries cost seconds at start-up, before
        # the queue's first rows (bench/queue.py, window open to first rows).
        from views.shift.dashboard import DashboardScreen

        screen = DashboardScreen(lambda: window.workspace)

        def open_queue(spec: str) -> None:
            if bar.apply(spec):
                window.raise_()
                window.activateWindow()

        screen.filter_requested.connect(open_queue)
        screen.reload()
        return screen

    window.dashboard_action = window.add_tool(  # type: ignore[attr-defined]
        _("Dashboard"), dashboard, "Ctrl+Shift+D"
    )
