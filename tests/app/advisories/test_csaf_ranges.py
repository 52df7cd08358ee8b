"""CSAF export of version ranges: a known range leaves as product_version_range with its vers:
URI (a hand-written one converted), a single version as product_version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.advisories import exporting
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct


def _leaves(tree: dict[str, object]) -> dict[str, tuple[str, str]]:
    """product name → (branch category, branch name) of each version leaf."""
    out: dict[str, tuple[str, str]] = {}
    for vendor in tree["branches"]:  # type: ignore[attr-defined]
        for name in vendor["branches"]:
            for leaf in name["branches"]:
                out[name["name"]] = (leaf["category"], leaf["name"])
    return out


@pytest.mark.parametrize("csaf_version", ["2.0", "2.1"])
def test_ranges_export_as_vers(
    ws: Workspace, drafted: str, tmp_path: Path, csaf_version: str
) -> None:
    with ws.session() as s:
        chat, model = s.scalars(select(AffectedProduct).order_by(AffectedProduct.id)).all()[:2]
        chat.version, chat.version_range = None, ">=2.0,<2.4"  # as an analyst wrote it
        model.version, model.version_range = None, "vers:semver/>=3.2.0|<=3.4.1"
    out = tmp_path / "advisory.json"
    with ws.session() as s:  # export runs the csaf package's mandatory tests and refuses on FAIL
        exporting.export(s, ws.require_actor(), drafted, "csaf", out, csaf_version=csaf_version)
    leaves = _leaves(json.loads(out.read_text("utf-8"))["product_tree"])
    assert leaves == {
        "ExampleChat": ("product_version_range", "vers:generic/>=2.0|<2.4"),
        "LLM-7B": ("product_version_range", "vers:semver/>=3.2.0|<=3.4.1"),
    }
