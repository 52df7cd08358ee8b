"""Severity assessment: CVSS calculator, SSVC walk-through, AI factors and their history.

The Assessment case tab is installed from here; its modules load when the tab is first shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from i18n import _

if TYPE_CHECKING:
    from views.shell.host import WindowHost


def install(window: WindowHost) -> None:
    """Add the Assessment tab to the case detail of ``window`` (see views/shell/screens.py)."""
    if not hasattr(window, "add_case_tab"):
        return

    def factory(case_id: int) -> QWidget:
        workspace = window.workspace
        if workspace is None:
            return QLabel(_("The workspace is locked."))
        from views.severity.assessment_panel import AssessmentPanel

        panel = AssessmentPanel(workspace, case_id, formatter=window.model.formatter)
        panel.assessment_saved.connect(lambda _case, _tier: window.refresh_queue())
        return panel

    window.add_case_tab(_("Assessment"), factory)
