"""Joint triage and impact-estimation playbooks: definitions, runs and partner-owned steps."""

from app.playbooks.definition import Playbook, PlaybookError, StepDef, all_playbooks, get, parse
from app.playbooks.joint import apply_partner_completion, partner_steps_for_export
from app.playbooks.runner import (
    PlaybookInfo,
    RunStatus,
    StepStatus,
    complete,
    list_playbooks,
    runs,
    skip,
    start,
    status,
)

__all__ = [
    "Playbook",
    "PlaybookError",
    "PlaybookInfo",
    "RunStatus",
    "StepDef",
    "StepStatus",
    "all_playbooks",
    "apply_partner_completion",
    "complete",
    "get",
    "list_playbooks",
    "parse",
    "partner_steps_for_export",
    "runs",
    "skip",
    "start",
    "status",
]
