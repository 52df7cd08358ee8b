"""Case screens that are not tabs of the detail pane's own: opening a case, the tab for its
jurisdictions, sharing list and TLP, and the editing tabs ("Affected & identifiers", "Notes")
with the Merge tool, and the Parties tab, installed from here; their modules load when first
shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from i18n import _

if TYPE_CHECKING:
    from views.case.editing import MergePanel
    from views.shell.host import WindowHost


def install(window: WindowHost) -> None:
    """The "Affected & identifiers" and "Notes" case tabs and the Merge tool."""

    def tab(kind: str) -> Callable[[int], QWidget]:
        def factory(case_id: int) -> QWidget:
            workspace = window.workspace
            if workspace is None:
                return QLabel(_("The workspace is locked."))
            from views.case import editing

            panel = getattr(editing, kind)(workspace, case_id)
            panel.changed.connect(window.refresh_queue)
            assert isinstance(panel, QWidget)
            return panel

        return factory

    window.add_case_tab(_("Affected & identifiers"), tab("AffectedPanel"))
    window.add_case_tab(_("Notes"), tab("NotesPanel"))

    def merge_tool() -> MergePanel:
        from views.case.editing import MergePanel

        ws = window.workspace
        assert ws is not None
        panel = MergePanel(ws, window.detail.case_id)
        window.queue.case_selected.connect(panel.set_case)
        panel.changed.connect(window.refresh_queue)
        return panel

    window.merge_action = window.add_tool(  # type: ignore[attr-defined]
        _("Merge, split or link case…"), merge_tool, "Ctrl+Shift+M"
    )


def install_parties(window: WindowHost) -> None:
    """Add the Parties tab to the case detail of ``window`` (see views/shell/screens.py)."""

    def factory(case_id: int) -> QWidget:
        workspace = window.workspace
        if workspace is None:
            return QLabel(_("The workspace is locked."))
        from views.case.parties_panel import PartiesPanel

        return PartiesPanel(workspace, case_id, window.detail.formatter)

    window.add_case_tab(_("Parties"), factory)
