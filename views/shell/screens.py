"""Where each feature's screens are attached to the main window: one call per feature."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from views.shell.host import WindowHost


def install(window: WindowHost) -> None:
    """Attach feature screens (case tabs, tool windows, menu actions) to the main window."""
    from views.severity import assessment_panel

    assessment_panel.install(window)  # the Assessment case tab (issue 3)
    _install_advisories(window)
    from views.deadlines import screens as deadlines_screens

    deadlines_screens.install(window)  # deadlines tab, saved filters, handover, dashboard (issue 5)
    from views import impact
    from views.playbooks import runner as playbook_runner

    playbook_runner.install(window)  # the Playbooks case tab (issue 8)
    impact.install(window)  # the Impact case tab (issue 8); its module loads when first shown
    from views.case import parties_panel

    parties_panel.install(window)  # the Parties case tab (issue 14)
    _install_exchange(window)  # partners, export wizard, bundle import (issue 7)
    _install_intake(window)  # Import…, drag and drop, duplicate review, raw reports (issue 4)
    from views.case import editing as case_editing

    case_editing.install(window)  # affected & identifiers, notes, merge (issue 14.1)
    from views.admin import install as install_admin

    install_admin(window)  # new case, jurisdictions & sharing, analysts, backup, audit (15.2)
    return None


def _install_intake(window: WindowHost) -> None:
    """Report intake (issue 4): Import… and Duplicate review as Tools, files dropped on the
    window go to Import…, and a Reports case tab with the raw-document viewer."""
    from i18n import _
    from views.intake.duplicate_review import DuplicateReview
    from views.intake.import_dialog import DropImporter, ImportDialog
    from views.intake.raw_viewer import CaseReportsTab

    def make_import() -> ImportDialog:
        dialog = ImportDialog(lambda: window.workspace)
        dialog.imported.connect(lambda _report: window.refresh_queue())
        return dialog

    action = window.add_tool(_("Import reports…"), make_import, "Ctrl+I")
    window.import_action = action  # type: ignore[attr-defined]
    window.add_tool(_("Duplicate review"), lambda: DuplicateReview(lambda: window.workspace))

    def open_import() -> ImportDialog | None:
        widget = window.open_tool(action)
        return widget if isinstance(widget, ImportDialog) else None

    window.setAcceptDrops(True)
    window.drop_importer = DropImporter(open_import, window)  # type: ignore[attr-defined]
    window.installEventFilter(window.drop_importer)  # type: ignore[attr-defined]

    def reports_tab(case_id: int) -> CaseReportsTab:
        ws = window.workspace
        assert ws is not None
        return CaseReportsTab(ws, case_id)

    # "Original documents", not a second "Reports": the pane's own list is "Reports received".
    window.add_case_tab(_("Original documents"), reports_tab)


def _install_exchange(window: WindowHost) -> None:
    """Partner exchange (issue 7): partners, the export wizard and bundle import as Tools."""
    from i18n import _
    from views.exchange.bundle_import import BundleImportScreen
    from views.exchange.export_wizard import ExportWizard
    from views.exchange.partners_screen import PartnersScreen

    partners_action = window.add_tool(
        _("Partners"), lambda: PartnersScreen(lambda: window.workspace)
    )

    def selected_keys() -> list[str]:
        """The queue's selected cases: the wizard opens with them ticked."""
        keys = []
        for index in window.queue.table.selectionModel().selectedRows():
            row = window.model.queue_row(index.row())
            if row is not None:
                keys.append(row.key)
        return keys

    def export_wizard() -> ExportWizard:
        wizard = ExportWizard(lambda: window.workspace, selection=selected_keys)
        wizard.partners_requested.connect(lambda: window.open_tool(partners_action))
        return wizard

    window.add_tool(_("Export bundle…"), export_wizard)
    window.add_tool(_("Import bundle…"), lambda: BundleImportScreen(lambda: window.workspace))


def _install_advisories(window: WindowHost) -> None:
    """Advisories: the editor as a Tools window following the selected case, and the
    Language menu (issue 6). A Tools window rather than a case tab keeps the case pane light."""
    from i18n import _
    from views.advisories.editor import AdvisoryPanel
    from views.shell import language

    def factory() -> AdvisoryPanel:
        ws = window.workspace
        assert ws is not None
        panel = AdvisoryPanel(ws, window.detail.case_id)
        window.queue.case_selected.connect(panel.set_case)
        return panel

    window.advisory_action = window.add_tool(  # type: ignore[attr-defined]
        _("Advisory editor"), factory, "Ctrl+Shift+A"
    )
    language.install(window)
