"""The main window: the case queue beside the case detail, menus, undo, auto-lock.

It is also the controller of the two panes: it loads frozen data from ``app/`` for the
detail pane and turns the pane's ``*_requested`` signals into undoable commands.
Feature screens attach through ``add_case_tab`` and ``add_tool`` (see ``views/shell/screens.py``)
and see the window only as ``views.shell.host.WindowHost``: they never import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QWidget,
)

from app.casework import cases
from app.casework import summary as case_summary
from app.errors import AccordError, ConflictError
from app.identity import analysts
from app.queueing import filters as queue_filters
from app.workspaces import settings as settings_mod
from app.workspaces.lifecycle import Workspace
from app.workspaces.settings import Settings
from i18n import N_, _, current_language
from i18n.catalog import source_text
from i18n.labels import role_label
from views.case.detail import CaseDetailPane
from views.case.undo_commands import AssignCommand, CaseCommand, TransitionCommand, execute
from views.common.failures import show_conflict
from views.common.window_size import TOOL_SIZE, fit_window
from views.queue.model import Formatter, QueueModel, status_label
from views.queue.view import QueuePanel
from views.shell import screens
from views.shell.autolock import IdleWatcher
from views.shell.host import ToolFactory, WindowHost
from views.shell.prefs import Prefs
from views.shell.unlock_dialog import UnlockDialog


class MainWindow(WindowHost):
    """``workspace`` is None while locked; ``locked``/``unlocked`` tell attached screens."""

    def __init__(
        self,
        workspace: Workspace,
        settings: Settings | None = None,
        prefs: Prefs | None = None,
        *,
        db_url: str | None = None,
        settings_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws: Workspace | None = workspace
        self.directory = workspace.directory or Path(".")
        self.db_url = db_url
        self.settings = settings or settings_mod.DEFAULTS
        self.settings_path = settings_path
        self.prefs = prefs or Prefs()
        self.unlock_dialog: UnlockDialog | None = None
        self._tools: list[tuple[QAction, ToolFactory, list[QWidget]]] = []
        self._shown_once = False

        self.undo_stack = QUndoStack(self)
        self.model = QueueModel(workspace, self._formatter(), parent=self)
        self.queue = QueuePanel(self.model, self.settings.search_delay_ms)
        self.detail = CaseDetailPane(self.model.formatter)
        # The detail pane gives way to the queue's key columns: narrower than its content, it
        # scrolls instead of pushing Tier, Next deadline and Assignee off screen.
        self.detail_area = QScrollArea()
        self.detail_area.setWidget(self.detail)
        self.detail_area.setWidgetResizable(True)
        self.detail_area.setFrameShape(QFrame.Shape.NoFrame)
        self.detail_area.setMinimumWidth(240)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.queue)
        self.splitter.addWidget(self.detail_area)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setCollapsible(0, False)
        self.setCentralWidget(self.splitter)
        # The user's split is kept (geometry only) shortly after each drag.
        self._save_layout = QTimer(self)
        self._save_layout.setSingleShot(True)
        self._save_layout.setInterval(400)
        self._save_layout.timeout.connect(self._remember_layout)
        self.splitter.splitterMoved.connect(lambda _pos, _index: self._save_layout.start())
        self.analyst_label = QLabel()
        self.statusBar().addPermanentWidget(self.analyst_label)

        self.idle = IdleWatcher(IdleWatcher.minutes(self.settings.autolock_minutes), self)
        self.idle.idle.connect(self.lock)
        self.queue.case_selected.connect(self._on_case_selected)
        self.queue.open_requested.connect(self._on_open_requested)
        self.queue.assign_to_me_requested.connect(self._on_assign_to_me)
        self.queue.move_requested.connect(self._on_move_requested)
        self.detail.transition_requested.connect(self._on_transition_requested)
        self.detail.assign_requested.connect(self._on_assign_requested)
        self.detail.tab_changed.connect(self._after_change)

        self._build_menus()
        self.retranslate()
        self.resize(1280, 800)
        self._analysts: list[str] = []
        # Column widths and order come back; the sort does not: the queue opens on work.
        header = self.queue.table.horizontalHeader()
        header.blockSignals(True)
        restored = self.prefs.restore_window(self, self.splitter, header)
        header.blockSignals(False)
        self.queue.sync_sort_indicator()
        if not restored:
            self.fit_queue()
        self._load_analysts()
        if not self.model.loaded:  # the queue panel's sort indicator has usually fetched them
            self.model.refresh()
        self.idle.start()
        screens.install(self)

    # -- public API for feature screens -----------------------------------------------------
    @property
    def workspace(self) -> Workspace | None:
        """The unlocked workspace (its ``actor`` is the acting analyst); None while locked."""
        return self._ws

    def add_case_tab(self, title: str, factory: Callable[[int], QWidget]) -> None:
        """A tab in the case detail, built by ``factory(case_id)`` for each selected case."""
        self.detail.add_tab(title, factory)

    def add_tool(self, title: str, factory: ToolFactory, shortcut: str | None = None) -> QAction:
        """A Tools menu action opening ``factory()`` (a QDockWidget docks; others get a window).

        The widget is built once and shown again on later triggers; it is destroyed on lock.
        """
        # Kept as its source text so a language switch can translate it again.
        action = QAction(self)
        action.setData(source_text(title))
        action.setText(_(action.data()))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        instances: list[QWidget] = []
        self._tools.append((action, factory, instances))
        action.triggered.connect(lambda _checked=False: self.open_tool(action))
        self.tools_menu.addAction(action)
        self.tools_menu.menuAction().setVisible(True)
        return action

    def open_tool(self, action: QAction) -> QWidget | None:
        if self._ws is None:
            return None
        for candidate, factory, instances in self._tools:
            if candidate is not action:
                continue
            if not instances:
                widget = factory()
                if isinstance(widget, QDockWidget):
                    if not widget.objectName():  # saveState() needs one
                        widget.setObjectName("tool-" + action.text())
                    self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, widget)
                else:
                    widget.setParent(self, Qt.WindowType.Window)
                    widget.setWindowTitle(action.text())
                    fit_window(widget, widget.sizeHint().expandedTo(TOOL_SIZE))
                instances.append(widget)
            widget = instances[0]
            widget.show()
            widget.raise_()
            return widget
        return None

    def fit_queue(self) -> None:
        """Give the queue the width of its key columns; the detail pane gets the rest.

        The key columns' widths are set, not fitted to their texts (a due text or title
        elides), so what is left to the pane at a given window width does not change with
        the cases shown or the time of day; the pane's tabs are laid out to fit it at
        1366×768 (tests/views/test_screenshots_every_screen.py)."""
        total = max(self.splitter.width(), self.width())
        need = self.queue.table.key_columns_width()
        self.splitter.setSizes([need, max(total - need, 0)])

    def refresh_queue(self) -> None:
        """Re-run the queue query (after a change elsewhere) and reload the shown case."""
        self.model.refresh()
        self._reload_detail()

    # -- strings ------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Redo every visible string (after a language switch)."""
        self.setWindowTitle(
            _("Accord — {workspace}").format(
                workspace=self._ws.label if self._ws else self.directory
            )
        )
        self.file_menu.setTitle(_("&File"))
        self.edit_menu.setTitle(_("&Edit"))
        self.view_menu.setTitle(_("&View"))
        self.tools_menu.setTitle(_("&Tools"))
        self.help_menu.setTitle(_("&Help"))
        self.lock_action.setText(_("&Lock now"))
        self.autolock_action.setText(_("Auto-lock &after…"))
        self.quit_action.setText(_("&Quit"))
        self.refresh_action.setText(_("&Refresh queue"))
        self.find_action.setText(_("&Find cases"))
        self.about_action.setText(_("&About Accord"))
        self._name_undo(self.undo_stack.undoText())
        self._name_redo(self.undo_stack.redoText())
        self.filters_menu.setTitle(_("Saved &filters"))
        for tool_action, _factory, instances in self._tools:
            tool_action.setText(_(tool_action.data()))
            for widget in instances:
                if widget.isWindow():
                    widget.setWindowTitle(tool_action.text())
        for action, (_name, label) in zip(self.filter_actions, self._filter_entries(), strict=True):
            action.setText(_(label))
        self._update_formatter()
        self.queue.retranslate()
        self.detail.retranslate()
        self.model.headerDataChanged.emit(
            Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1
        )
        self._update_status()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.edit_menu = bar.addMenu("")
        self.view_menu = bar.addMenu("")
        self.tools_menu = QMenu(self)
        bar.addMenu(self.tools_menu)
        self.tools_menu.menuAction().setVisible(False)
        self.help_menu = bar.addMenu("")
        self.lock_action = self.file_menu.addAction("", QKeySequence("Ctrl+L"), self.lock)
        self.autolock_action = self.file_menu.addAction("", self._ask_autolock)
        self.file_menu.addSeparator()
        self.quit_action = self.file_menu.addAction("", QKeySequence.StandardKey.Quit, self.close)
        # Named after the command to undo: "&Undo move ACC-… to triage". Not the stack's own
        # createUndoAction: it keeps its prefix in the language it was made in.
        self.undo_action = QAction(self)
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(self._name_undo)
        self.redo_action = QAction(self)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo_action.setEnabled(False)
        self.redo_action.triggered.connect(self.undo_stack.redo)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.redoTextChanged.connect(self._name_redo)
        self.edit_menu.addAction(self.undo_action)
        self.edit_menu.addAction(self.redo_action)
        self.refresh_action = self.view_menu.addAction("", QKeySequence("F5"), self.refresh_queue)
        self.find_action = self.view_menu.addAction("", self.queue.focus_search)
        self.about_action = self.help_menu.addAction("", self._about)
        # Ctrl+1 … Ctrl+9: the saved filters, shown beside their names in View.
        self.filters_menu = self.view_menu.addMenu("")
        self.filter_actions: list[QAction] = []
        for number, (name, _label) in enumerate(self._filter_entries()[:9], start=1):
            action = self.filters_menu.addAction("")
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setData(name)
            action.triggered.connect(lambda _checked=False, n=name: self.queue.apply_spec(n))
            self.filter_actions.append(action)

    def _name_undo(self, command: str) -> None:
        prefix = _("&Undo")
        self.undo_action.setText(f"{prefix} {command}" if command else prefix)

    def _name_redo(self, command: str) -> None:
        prefix = _("&Redo")
        self.redo_action.setText(f"{prefix} {command}" if command else prefix)

    @staticmethod
    def _filter_entries() -> list[tuple[str, str]]:
        return [*queue_filters.SAVED, (f"status:{queue_filters.ALL_STATES}", N_("All cases"))]

    def _update_status(self) -> None:
        actor = self._ws.actor if self._ws else None
        if actor is None:
            self.analyst_label.setText(_("locked"))
        else:
            self.analyst_label.setText(
                _("Unlocked by {analyst} · {role}").format(
                    analyst=actor.name, role=role_label(actor.role.value)
                )
            )

    # -- settings ---------------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.idle.set_interval_ms(IdleWatcher.minutes(settings.autolock_minutes))
        self.queue.set_search_delay(settings.search_delay_ms)

    def _ask_autolock(self) -> None:
        minutes, ok = QInputDialog.getInt(
            self,
            _("Auto-lock"),
            _("Lock after this many idle minutes (0 = never):"),
            self.settings.autolock_minutes,
            0,
            settings_mod.MAX_AUTOLOCK_MINUTES,
        )
        if ok:
            updated = self.settings.replace(autolock_minutes=minutes)
            settings_mod.save(updated, self.settings_path)
            self.apply_settings(updated)

    def _update_formatter(self) -> None:
        """Dates follow the interface language: redo them after a language switch."""
        fmt = replace(self.model.formatter, locale=current_language())
        if fmt == self.model.formatter:
            return
        self.model.formatter = self.detail.formatter = fmt
        rows, columns = self.model.rowCount(), self.model.columnCount()
        if rows:
            self.model.dataChanged.emit(
                self.model.index(0, 0), self.model.index(rows - 1, columns - 1)
            )

    def _formatter(self) -> Formatter:
        zone = self.settings.time_zone
        actor = self._ws.actor if self._ws else None
        if not zone and self._ws is not None and actor is not None:
            with self._ws.session() as s:
                zone = next((a.timezone for a in analysts.list_all(s) if a.id == actor.id), "")
        return Formatter(locale=current_language(), time_zone=zone or "UTC")

    # -- the detail pane ----------------------------------------------------------------
    def _load_analysts(self) -> None:
        names = self._ws.analyst_names() if self._ws and self._ws.actor else []
        self._analysts = names
        self.queue.set_analysts(names)

    def _on_case_selected(self, case_id: int) -> None:
        if not case_id:
            # The shown case left the list (a filter, a search, a change): no stale pane
            # with live buttons for a case the queue no longer shows.
            if self.detail.case_id and self.model.row_of(self.detail.case_id) is None:
                self.detail.clear()
            return
        if case_id == self.detail.case_id:
            return
        row = self.model.row_of(case_id)
        found = self.model.queue_row(row) if row is not None else None
        if found is not None:
            self._load_detail(found.key)

    def _reload_detail(self) -> None:
        if self.detail.detail is not None:
            self._load_detail(self.detail.detail.key)

    def _load_detail(self, key: str) -> None:
        if self._ws is None or self._ws.actor is None:
            return
        try:
            with self._ws.session() as s:
                info = cases.detail(s, key)
                history = cases.history(s, key)
                summary = case_summary.summary(s, self._ws.actor, key)
        except AccordError as exc:
            self.detail.clear()
            self.statusBar().showMessage(str(exc), 5000)
            return
        self.detail.show_case(info, history, self._analysts, summary)

    def _run(self, command: CaseCommand) -> bool:
        try:
            execute(self.undo_stack, command)
        except ConflictError as exc:
            show_conflict(self, exc, self._after_change)
            return False
        except AccordError as exc:
            self.detail.show_error(str(exc))
            return False
        self.statusBar().showMessage(command.text(), 5000)
        return True

    def _after_change(self) -> None:
        self.model.refresh()
        self._reload_detail()

    def _show_error(self, message: str) -> None:
        self.detail.show_error(message)
        self.statusBar().showMessage(message, 8000)

    def _shown_version(self, key: str) -> int | None:
        """The version of the case the detail pane shows: a change is made against it."""
        shown = self.detail.detail
        return shown.version if shown is not None and shown.key == key else None

    def _on_transition_requested(self, _case_id: int, key: str, state: str, reason: str) -> None:
        done = self._run(
            TransitionCommand(
                lambda: self._ws,
                key,
                state,
                reason,
                on_change=self._after_change,
                on_error=self._show_error,
                expected_version=self._shown_version(key),
            )
        )
        if done:
            self.detail.reason.clear()

    def _on_assign_requested(self, _case_id: int, key: str, analyst: str | None) -> None:
        self._run(
            AssignCommand(
                lambda: self._ws,
                key,
                analyst,
                on_change=self._after_change,
                on_error=self._show_error,
                expected_version=self._shown_version(key),
            )
        )

    # -- the queue's context menu -------------------------------------------------------
    def _on_open_requested(self, case_id: int) -> None:
        self._on_case_selected(case_id)
        self.detail.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_assign_to_me(self, keys: list[str]) -> None:
        actor = self._ws.actor if self._ws else None
        if actor is None or not keys:
            return
        # Several cases are one undo step; each is its own change (an analyst may take cases).
        self.undo_stack.beginMacro(
            _("assign {n} cases to {analyst}").format(n=len(keys), analyst=actor.name)
        )
        try:
            for key in keys:
                if not self._run(
                    AssignCommand(
                        lambda: self._ws,
                        key,
                        actor.name,
                        on_change=self._after_change,
                        on_error=self._show_error,
                    )
                ):
                    break
        finally:
            self.undo_stack.endMacro()

    def ask_reason(self, key: str, state: str) -> str | None:
        """The reason a move needs (audited); None when the user cancels."""
        text, ok = QInputDialog.getText(
            self,
            _("Move {key}").format(key=key),
            _("Why does {key} move to {state}?").format(key=key, state=status_label(state)),
            QLineEdit.EchoMode.Normal,
        )
        return text.strip() if ok and text.strip() else None

    def _on_move_requested(self, key: str, state: str) -> None:
        reason = self.ask_reason(key, state)
        if reason is None:
            return
        self._run(
            TransitionCommand(
                lambda: self._ws,
                key,
                state,
                reason,
                on_change=self._after_change,
                on_error=self._show_error,
            )
        )

    def _remember_layout(self) -> None:
        if self._ws is not None:
            self.prefs.save_window(self, self.splitter, self.queue.table.horizontalHeader())

    # -- lock and unlock ------------------------------------------------------------------
    def lock(self) -> None:
        """Clear every case view, forget the key, and ask for the passphrase again."""
        if self._ws is None:
            return
        self.idle.stop()
        self.prefs.save_window(self, self.splitter, self.queue.table.horizontalHeader())
        self.detail.clear()
        self.model.clear()
        self.undo_stack.clear()
        for _action, _factory, instances in self._tools:
            for widget in instances:
                widget.close()
                widget.deleteLater()
            instances.clear()
        self._ws.lock()
        self._ws = None
        self._update_status()
        self.locked.emit()
        self.hide()
        self.unlock_dialog = UnlockDialog(
            self.directory, db_url=self.db_url, fixed_location=True, prefs=self.prefs
        )
        self.unlock_dialog.unlocked.connect(self.set_workspace)
        self.unlock_dialog.rejected.connect(self.close)
        self.unlock_dialog.show()

    def set_workspace(self, workspace: Workspace) -> None:
        """Show the queue of a (re-)unlocked workspace."""
        self._ws = workspace
        self.unlock_dialog = None
        self.model.formatter = self._formatter()
        self.detail.formatter = self.model.formatter
        self.model.set_workspace(workspace)
        self._load_analysts()
        self._update_status()
        self.show()
        self.idle.start()
        self.unlocked.emit()
        if self.model.rowCount():
            self.queue.select_row(0)
        self.queue.table.setFocus()

    # -- Qt events ------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            # The rows paint first; the most urgent case's detail (its tabs take a while)
            # follows right after.
            QTimer.singleShot(0, self._select_first)
            self.queue.table.setFocus()

    def _select_first(self) -> None:
        if self._ws is not None and self.model.rowCount() and not self.queue.selected_case_id():
            self.queue.select_row(0)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._ws is not None:
            self.prefs.save_window(self, self.splitter, self.queue.table.horizontalHeader())
        self.idle.stop()
        if self.unlock_dialog is not None:
            # A window closed while locked takes its (application-modal) unlock dialog with
            # it; left open, that dialog would block every other window of the program.
            dialog, self.unlock_dialog = self.unlock_dialog, None
            dialog.blockSignals(True)  # its rejected() would close this window again
            dialog.close()
            dialog.deleteLater()
        super().closeEvent(event)

    def about_text(self) -> str:
        """Help → About: what Accord is, its version, the workspace and its schema revision."""
        from app import about as about_mod  # reads alembic's revision: only when asked

        lines = [
            _("Accord coordinates the disclosure of vulnerabilities in AI systems, offline."),
            _("Version {version}").format(version=about_mod.version()),
        ]
        if self._ws is not None:
            info = about_mod.about(self._ws)
            lines.append(_("Workspace: {place}").format(place=info.workspace))
            lines.append(
                _("Schema revision: {revision}").format(revision=info.schema_revision or "—")
            )
        return "\n".join(lines)

    def _about(self) -> None:
        QMessageBox.about(self, _("About Accord"), self.about_text())
