"""`accord impact` JSON contract and exit codes."""

from __future__ import annotations

from typing import Any

from app.workspaces import lifecycle as ws_mod
from tests.app.impact.conftest import IMPACT, add_affected
from tests.conftest import PASSPHRASE


def test_impact_cli_contract(initialised_cli: Any, tmp_path: Any) -> None:
    cli = initialised_cli
    assert cli("case", "new", "--title", "AgentFlow tool-call injection").code == 0
    key = "ACC-2026-0001"
    no_products = cli("impact", key, "--inventory", str(IMPACT / "deployments.csv"))
    assert no_products.code == 1 and "no affected models" in no_products.err
    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    ws.act_as("alice")
    add_affected(ws, key)
    ws.engine.dispose()

    r = cli(
        "impact",
        key,
        "--inventory",
        str(IMPACT / "deployments.csv"),
        "--inventory",
        str(IMPACT / "bom-insurer.cdx.json"),
        "--inventory",
        str(IMPACT / "bom-telco.cdx.json"),
        "--inventory",
        str(IMPACT / "bom-school.cdx.json"),
        "--assume",
        "vulnerable_share=0.2:0.5:0.8",
        "--assume",
        "users_per_deployment=1000:2000:4000",
        "--json",
    )
    assert r.code == 0, r.err
    data = r.json()
    assert isinstance(data, dict)
    assert {
        "affected_deployments",
        "organisations",
        "by_sector",
        "by_country",
        "users",
        "assumptions",
    } <= set(data)
    assert data["affected_deployments"] == 7 and data["organisations"] == 7
    assert data["by_country"] == {"AT": 1, "DE": 2, "FR": 2, "NL": 1, "SE": 1}
    assert data["users"] == {"low": 4560, "likely": 12400, "high": 27040}
    assert isinstance(data["assumptions"], list) and data["assumptions"][0]["key"]

    text = cli("impact", key, "--inventory", str(IMPACT / "deployments.csv"))
    assert text.code == 0 and "4 affected deployments" in text.out and "assumptions:" in text.out
    bad = cli("impact", key, "--inventory", str(IMPACT / "bom-invalid.cdx.json"))
    assert bad.code == 1 and "invalid CycloneDX" in bad.err
    assert (
        cli(
            "impact", key, "--inventory", str(IMPACT / "deployments.csv"), "--assume", "nonsense"
        ).code
        == 2
    )
    assert (
        cli("impact", key, "--inventory", str(IMPACT / "deployments.csv"), "--map", "A=colour").code
        == 2
    )
    assert cli("impact", key).code == 2  # --inventory is required
