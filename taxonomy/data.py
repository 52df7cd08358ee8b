"""Locate the project's data files (resources/) without importing anything of the project."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

RESOURCES_ENV = "ACCORD_RESOURCES"


def resources_dir() -> Path:
    """The resources/ folder: ``$ACCORD_RESOURCES`` when set, else the one beside the package."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    """Path of one file under resources/, e.g. ``resource_path("ssvc", "cisa.json")``."""
    return resources_dir().joinpath(*parts)


@cache
def load_json(*parts: str) -> Any:
    """Parsed JSON of a resource file, read once per process (treat the result as read-only)."""
    with resource_path(*parts).open(encoding="utf-8") as handle:
        return json.load(handle)
