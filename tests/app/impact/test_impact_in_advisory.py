"""The latest impact estimate is shown in the case's advisory draft (issue 8)."""

from __future__ import annotations

from app import impact
from app.advisories import drafting
from app.workspaces.lifecycle import Workspace
from tests.app.impact.conftest import IMPACT


def _estimate(ws: Workspace, key: str) -> dict[str, object]:
    inventories = impact.load([IMPACT / "deployments.csv"])
    with ws.session() as s:
        return impact.estimate(s, ws.require_actor(), key, inventories, {})


def _impact_text(ws: Workspace, key: str, lang: str) -> str:
    with ws.session() as s:
        cell = drafting.texts_of(drafting.get_advisory(s, key)).get(("impact", lang))
        return cell.text if cell else ""


def test_estimate_fills_an_existing_draft(ws: Workspace, case_key: str) -> None:
    with ws.session() as s:
        drafting.create(s, ws.require_actor(), case_key, "en")
    assert _impact_text(ws, case_key, "en") == ""
    result = _estimate(ws, case_key)
    text = _impact_text(ws, case_key, "en")
    assert f"{result['affected_deployments']} known deployments" in text
    assert str(result["users"]["likely"]) in text  # type: ignore[index]


def test_new_draft_starts_from_the_latest_estimate_in_its_language(
    ws: Workspace, case_key: str
) -> None:
    result = _estimate(ws, case_key)
    with ws.session() as s:
        drafting.create(s, ws.require_actor(), case_key, "de")
    text = _impact_text(ws, case_key, "de")
    assert str(result["affected_deployments"]) in text
    assert "known deployments" not in text  # the German catalog, not the English source


def test_analyst_text_is_never_replaced(ws: Workspace, case_key: str) -> None:
    with ws.session() as s:
        drafting.create(s, ws.require_actor(), case_key, "en")
        drafting.set_text(s, ws.require_actor(), case_key, "impact", "en", "Our own words.")
    _estimate(ws, case_key)
    assert _impact_text(ws, case_key, "en") == "Our own words."
