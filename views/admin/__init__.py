"""Administration screens (analysts, backup, audit) and the case screens that were CLI-only
(New case, jurisdictions and sharing), attached to the main window in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.deadlines.rules import RuleSet, builtin_rules, for_workspace
from app.errors import AccordError
from i18n import N_, _

NEW_CASE = N_("&New case…")

if TYPE_CHECKING:
    from views.admin.analysts_screen import AnalystsScreen
    from views.admin.audit_screen import AuditScreen
    from views.admin.backup_screen import BackupScreen
    from views.case.new_case import NewCaseDialog
    from views.case.scope_panel import ScopePanel
    from views.shell.host import WindowHost


def _rules(window: WindowHost) -> RuleSet:
    ws = window.workspace
    try:
        return for_workspace(ws.directory if ws is not None else None)
    except AccordError:  # a malformed team file: the Deadlines tab says so; use the shipped
        return builtin_rules()


class AdminMenu(QMenu):
    """The Administration menu; it retitles itself and its actions on a language switch."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.titles: list[tuple[QAction, str]] = []  # (action, untranslated title)

    def track(self, action: QAction, title: str) -> QAction:
        self.titles.append((action, title))
        return action

    def retranslate(self) -> None:
        self.setTitle(_("&Administration"))
        for action, title in self.titles:
            action.setText(_(title))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def install(window: WindowHost) -> None:
    """File → New case… (Ctrl+N), the "Jurisdictions & sharing" case tab, and an
    Administration menu: Analysts, Back up workspace, Audit log (verify, checkpoint).
    Each screen's module loads when it is first opened, not with the window."""

    def new_case() -> NewCaseDialog | None:
        if window.workspace is None:
            return None
        from views.case.new_case import NewCaseDialog

        dialog = NewCaseDialog(lambda: window.workspace, lambda: _rules(window), window)
        dialog.created.connect(lambda case_id, _key: show_new(case_id))
        window.new_case_dialog = dialog  # type: ignore[attr-defined]
        dialog.open()
        return dialog

    def show_new(case_id: int) -> None:
        window.refresh_queue()
        row = window.model.row_of(case_id)
        if row is not None:
            window.queue.select_row(row)

    action = QAction(_(NEW_CASE), window)
    action.setShortcut(QKeySequence.StandardKey.New)
    action.triggered.connect(lambda _checked=False: new_case())
    window.file_menu.insertAction(window.lock_action, action)
    window.file_menu.insertSeparator(window.lock_action)
    window.new_case_action = action  # type: ignore[attr-defined]
    window.open_new_case = new_case  # type: ignore[attr-defined]

    def scope_tab(case_id: int) -> ScopePanel:
        from views.case.scope_panel import ScopePanel

        ws = window.workspace
        assert ws is not None
        return ScopePanel(ws, case_id, lambda: _rules(window))

    window.add_case_tab(_("Jurisdictions & sharing"), scope_tab)

    menu = AdminMenu(window)
    window.menuBar().insertMenu(window.help_menu.menuAction(), menu)
    window.admin_menu = menu  # type: ignore[attr-defined]
    menu.track(action, NEW_CASE)  # in the File menu, retitled with the rest

    def tool(title: str, factory, shortcut: str | None = None) -> QAction:  # type: ignore[no-untyped-def]
        # A Tools-managed window (built once, destroyed on lock), listed under Administration.
        made = window.add_tool(_(title), factory, shortcut)
        window.tools_menu.removeAction(made)
        menu.addAction(made)
        return menu.track(made, title)

    def analysts() -> AnalystsScreen:
        from views.admin.analysts_screen import AnalystsScreen

        return AnalystsScreen(lambda: window.workspace)

    def backup() -> BackupScreen:
        from views.admin.backup_screen import BackupScreen

        return BackupScreen(lambda: window.workspace, window.model.formatter)

    def audit() -> AuditScreen:
        from views.admin.audit_screen import AuditScreen

        return AuditScreen(lambda: window.workspace, window.model.formatter)

    window.analysts_action = tool(N_("Analysts…"), analysts)  # type: ignore[attr-defined]
    window.backup_action = tool(N_("Back up workspace…"), backup)  # type: ignore[attr-defined]
    window.audit_action = tool(N_("Audit log…"), audit)  # type: ignore[attr-defined]

    def checkpoint_now() -> None:
        from views.admin.audit_screen import AuditScreen

        screen = window.open_tool(window.audit_action)  # type: ignore[attr-defined]
        if isinstance(screen, AuditScreen):
            screen.sign_checkpoint()

    cp = menu.track(menu.addAction(""), N_("Sign audit checkpoint now"))
    cp.triggered.connect(lambda _checked=False: checkpoint_now())
    window.checkpoint_action = cp  # type: ignore[attr-defined]
    menu.retranslate()
