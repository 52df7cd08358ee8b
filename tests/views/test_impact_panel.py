"""The Impact tab: import inventories, estimate, and see the table, charts and ranges."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import ImpactEstimate
from tests.app.impact.conftest import IMPACT, add_affected
from views.impact.impact_panel import DeploymentsModel, ImpactPanel

FILES = [
    IMPACT / "deployments.csv",
    IMPACT / "bom-insurer.cdx.json",
    IMPACT / "bom-telco.cdx.json",
    IMPACT / "bom-school.cdx.json",
]


def make_panel(qtbot, ws: Workspace) -> ImpactPanel:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), "AgentFlow tool-call injection")
    add_affected(ws, case.key)
    panel = ImpactPanel(ws, case.id)
    qtbot.addWidget(panel)
    panel.resize(1100, 800)
    panel.show()
    return panel


def test_import_and_estimate(qtbot, ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, ws)
    assert panel.model.rowCount() == 0
    monkeypatch.setattr(
        QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(f) for f in FILES], "")
    )
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.paths() == FILES
    qtbot.keyClicks(panel.share, "0.2:0.5:0.8")
    qtbot.keyClicks(panel.per_deployment, "1000:2000:4000")
    with qtbot.waitSignal(panel.estimated, timeout=10000) as blocker:
        qtbot.mouseClick(panel.estimate_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result["users"] == {"low": 4560, "likely": 12400, "high": 27040}
    # 7 affected + 1 possibly affected deployment in the table.
    assert panel.model.rowCount() == 8
    orgs = {panel.model.index(r, 0).data() for r in range(panel.model.rowCount())}
    assert {"Acme Bank", "Safe Insurance", "Open School", "Shop Ltd"} <= orgs
    assert panel.sector_chart.counts == {
        "education": 1,
        "energy": 1,
        "finance": 2,
        "health": 1,
        "public": 1,
        "telecom": 1,
    }
    assert panel.country_chart.counts == {"AT": 1, "DE": 2, "FR": 2, "NL": 1, "SE": 1}
    assert "low 4560" in panel.users.text() and "high 27040" in panel.users.text()
    assert "0.2" in panel.assumptions.text()
    with ws.session() as s:
        row = s.scalars(select(ImpactEstimate)).one()
        assert row.result["affected_deployments"] == 7
    # A new panel on the same case shows the stored estimate.
    again = ImpactPanel(ws, panel.case_id)
    qtbot.addWidget(again)
    assert again.model.rowCount() == 8 and again.country_chart.counts["DE"] == 2


def test_errors_are_shown(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, ws)
    qtbot.mouseClick(panel.estimate_button, Qt.MouseButton.LeftButton)
    assert "at least one inventory" in panel.status.text()
    panel.add_files([IMPACT / "bom-invalid.cdx.json"])
    qtbot.mouseClick(panel.estimate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "invalid CycloneDX" in panel.status.text(), timeout=10000)
    panel.mapping.setText("Farbe=colour")
    qtbot.mouseClick(panel.estimate_button, Qt.MouseButton.LeftButton)
    assert "unknown field colour" in panel.status.text()


def test_model(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = DeploymentsModel()
    model.set_rows(
        [
            {
                "organisation": "Acme",
                "deployment": "d1",
                "sector": "finance",
                "country": "DE",
                "users": 10,
                "product": "AgentFlow",
                "version": "2.1",
                "match": "version",
            },
            {
                "organisation": "Shop",
                "deployment": "d2",
                "sector": "retail",
                "country": "GB",
                "users": None,
                "product": "AgentFlow",
                "version": "",
                "match": "unknown-version",
            },
        ]
    )
    qtmodeltester.check(model)
    assert model.index(1, 4).data() == "—"
    assert model.index(1, 7).data() == "possibly (version unknown)"


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, ws)
    panel.add_files(FILES)
    with qtbot.waitSignal(panel.estimated, timeout=10000):
        panel.run_estimate([str(f) for f in FILES], {}, {})
    out = tmp_path / "impact_panel.png"
    assert panel.grab().save(str(out))
    assert out.exists() and out.stat().st_size > 0
