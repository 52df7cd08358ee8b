"""Advisories: drafting, translation state, termbase, review, rendering and CSAF export."""

from app.advisories.drafting import (
    AdvisoryStatus,
    CellInfo,
    cell_info,
    create,
    get_advisory,
    set_text,
    set_tlp,
    status,
)
from app.advisories.fields import FIELD_LABELS, FIELDS, ReviewState, TextState, source_hash
from app.advisories.review import approve, publish, request_changes, submit

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "AdvisoryStatus",
    "CellInfo",
    "ReviewState",
    "TextState",
    "approve",
    "cell_info",
    "create",
    "get_advisory",
    "publish",
    "request_changes",
    "set_text",
    "set_tlp",
    "source_hash",
    "status",
    "submit",
]
