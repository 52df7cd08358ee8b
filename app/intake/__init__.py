"""Report intake: detect, parse, check and store documents; duplicates and quarantine."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.intake.importer import Disagreement, ImportReport, Rejection, import_paths
    from app.intake.model import Limits

__all__ = ["Disagreement", "ImportReport", "Limits", "Rejection", "import_paths"]

# Loaded on first use (PEP 562): the importer brings the parsers, the CSAF schemas and the
# worker pool, which `from app.intake import records` (case show, the queue) must not pay for.
_LAZY = {
    "Disagreement": "app.intake.importer",
    "ImportReport": "app.intake.importer",
    "Rejection": "app.intake.importer",
    "import_paths": "app.intake.importer",
    "Limits": "app.intake.model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'app.intake' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
