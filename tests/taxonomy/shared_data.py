"""Where the shared public test data lives (../shared/data beside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).parents[2] / ".." / "shared" / "data"


def shared(*parts: str) -> Path:
    """A path under the shared data; skip the calling test cleanly when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found: {path} (see shared/data/SOURCES.md)")
    return path
