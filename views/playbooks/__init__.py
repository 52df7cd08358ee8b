"""Playbooks: the case tab that runs a playbook's checklist, installed from here; its module
loads when the tab is first shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from i18n import _

if TYPE_CHECKING:
    from views.shell.host import WindowHost


def install(window: WindowHost) -> None:
    """Add the Playbooks tab to the case detail of ``window`` (see views/shell/screens.py)."""

    def factory(case_id: int) -> QWidget:
        workspace = window.workspace
        if workspace is None:
            return QLabel(_("The workspace is locked."))
        from views.playbooks.runner import PlaybookRunner

        return PlaybookRunner(workspace, case_id, formatter=window.model.formatter)

    window.add_case_tab(_("Playbooks"), factory)
