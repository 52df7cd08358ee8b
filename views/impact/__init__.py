"""The Impact case tab: inventories, AI-BOMs and who is affected.

The tab is installed from here, and its module (pyqtgraph charts, pandas-backed inventory
reading) is imported when the tab is first shown, not when the window opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from i18n import _

if TYPE_CHECKING:
    from views.shell.host import WindowHost


def install(window: WindowHost) -> None:
    """Add the Impact tab to the case detail of ``window`` (see views/shell/screens.py)."""

    def factory(case_id: int) -> QWidget:
        workspace = window.workspace
        if workspace is None:
            return QLabel(_("The workspace is locked."))
        from views.impact.impact_panel import ImpactPanel

        return ImpactPanel(workspace, case_id)

    window.add_case_tab(_("Impact"), factory)
