"""Where each feature's screens are attached to the main window: one call per feature.

Tools windows and tabs import their modules when first opened (the factories import them),
so opening the window loads only the queue, the case pane and the menus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:
    from views.advisories.editor import AdvisoryPanel
    from views.exchange.bundle_import import BundleImportScreen
    from views.exchange.export_wizard import ExportWizard
    from views.exchange.partners_screen import PartnersScreen
    from views.intake.duplicate_review import DuplicateReview
    from views.intake.import_dialog import DropImporter, ImportDialog
    from views.intake.raw_viewer import CaseReportsTab
    from views.shell.host import WindowHost


class _DropToImport(QObject):
    """Files dropped on the window go to Import…; the intake module (and its parsers) loads
    on the first drag, through its ``DropImporter``."""

    def __init__(self, open_dialog: Callable[[], ImportDialog | None], parent: QObject) -> None:
        super().__init__(parent)
        self._open = open_dialog
        self._importer: DropImporter | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.DragEnter, QEvent.Type.Drop):
            return False
        if self._importer is None:
            from views.intake.import_dialog import DropImporter

            self._importer = DropImporter(self._open, self)
        return self._importer.eventFilter(watched, event)


def install(window: WindowHost) -> None:
    """Attach feature screens (case tabs, tool windows, menu actions) to the main window."""
    from views import severity

    severity.install(window)  # the Assessment case tab (issue 3)
    _install_advisories(window)
    from views.deadlines import screens as deadlines_screens

    deadlines_screens.install(window)  # deadlines tab, saved filters, handover, dashboard (issue 5)
    from views import impact, playbooks

    playbooks.install(window)  # the Playbooks case tab (issue 8)
    impact.install(window)  # the Impact case tab (issue 8); its module loads when first shown
    from views import case

    case.install_parties(window)  # the Parties case tab (issue 14)
    _install_exchange(window)  # partners, export wizard, bundle import (issue 7)
    _install_intake(window)  # Import…, drag and drop, duplicate review, raw reports (issue 4)
    case.install(window)  # affected & identifiers, notes, merge (issue 14.1)
    from views.admin import install as install_admin

    install_admin(window)  # new case, jurisdictions & sharing, analysts, backup, audit (15.2)
    return None


def _install_intake(window: WindowHost) -> None:
    """Report intake (issue 4): Import… and Duplicate review as Tools, files dropped on the
    window go to Import…, and a Reports case tab with the raw-document viewer."""
    from i18n import _

    def make_import() -> ImportDialog:
        from views.intake.import_dialog import ImportDialog

        dialog = ImportDialog(lambda: window.workspace)
        dialog.imported.connect(lambda _report: window.refresh_queue())
        return dialog

    def make_review() -> DuplicateReview:
        from views.intake.duplicate_review import DuplicateReview

        return DuplicateReview(lambda: window.workspace)

    action = window.add_tool(_("Import reports…"), make_import, "Ctrl+I")
    window.import_action = action  # type: ignore[attr-defined]
    window.add_tool(_("Duplicate review"), make_review)

    def open_import() -> ImportDialog | None:
        from views.intake.import_dialog import ImportDialog

        widget = window.open_tool(action)
        return widget if isinstance(widget, ImportDialog) else None

    window.setAcceptDrops(True)
    window.drop_importer = _DropToImport(open_import, window)  # type: ignore[attr-defined]
    window.installEventFilter(window.drop_importer)  # type: ignore[attr-defined]

    def reports_tab(case_id: int) -> CaseReportsTab:
        from views.intake.raw_viewer import CaseReportsTab

        ws = window.workspace
        assert ws is not None
        return CaseReportsTab(ws, case_id)

    # "Original documents", not a second "Reports": the pane's own list is "Reports received".
    window.add_case_tab(_("Original documents"), reports_tab)


def _install_exchange(window: WindowHost) -> None:
    """Partner exchange (issue 7): partners, the export wizard and bundle import as Tools."""
    from i18n import _

    def partners() -> PartnersScreen:
        from views.exchange.partners_screen import PartnersScreen

        return PartnersScreen(lambda: window.workspace)

    partners_action = window.add_tool(_("Partners"), partners)

    def selected_keys() -> list[str]:
        """The queue's selected cases: the wizard opens with them ticked."""
        keys = []
        for index in window.queue.table.selectionModel().selectedRows():
            row = window.model.queue_row(index.row())
            if row is not None:
                keys.append(row.key)
        return keys

    def export_wizard() -> ExportWizard:
        from views.exchange.export_wizard import ExportWizard

        wizard = ExportWizard(lambda: window.workspace, selection=selected_keys)
        wizard.partners_requested.connect(lambda: window.open_tool(partners_action))
        return wizard

    def bundle_import() -> BundleImportScreen:
        from views.exchange.bundle_import import BundleImportScreen

        return BundleImportScreen(lambda: window.workspace)

    window.add_tool(_("Export bundle…"), export_wizard)
    window.add_tool(_("Import bundle…"), bundle_import)


def _install_advisories(window: WindowHost) -> None:
    """Advisories: the editor as a Tools window following the selected case, and the
    Language menu (issue 6). A Tools window rather than a case tab keeps the case pane light."""
    from i18n import _
    from views.shell import language

    def factory() -> AdvisoryPanel:
        from views.advisories.editor import AdvisoryPanel

        ws = window.workspace
        assert ws is not None
        panel = AdvisoryPanel(ws, window.detail.case_id)
        window.queue.case_selected.connect(panel.set_case)
        return panel

    window.advisory_action = window.add_tool(  # type: ignore[attr-defined]
        _("Advisory editor"), factory, "Ctrl+Shift+A"
    )
    language.install(window)
