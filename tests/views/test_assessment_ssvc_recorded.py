"""The Assessment tab records the coordinator's SSVC decisions (triage, publication) beside
the decision that sets the tier, and shows them again from the history."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import Assessment
from tests.views.test_assessment_panel import make_panel, paste
from views.severity.assessment_panel import AssessmentPanel

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"  # 5.4 Medium
ANSWERS = {
    "cisa": {"E": "A", "A": "Y", "TI": "T", "MWI": "H"},
    "coordinator-triage": {
        "RP": "N", "SCON": "Y", "RC": "C", "SC": "M", "SE": "U", "U": "S", "PSI": "S"
    },
    "coordinator-publication": {"SINV": "FR", "E": "A", "PVA": "P"},
}  # fmt: skip

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore(
        "propagateSizeHints", "does not support raise", "does not support grabbing"
    ),
]


def answer(qtbot, panel: AssessmentPanel, table: str) -> None:  # type: ignore[no-untyped-def]
    walk = panel.walkthrough
    walk.table_combo.setCurrentIndex(walk.table_combo.findData(table))
    for key, value in ANSWERS[table].items():
        qtbot.mouseClick(walk.row(key).buttons[value], Qt.MouseButton.LeftButton)


def test_coordinator_triage_and_publication_are_recorded(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        case_id = cases.create_case(s, ws.require_actor(), "Gateway tool-call injection").id
    panel = make_panel(qtbot, ws, case_id)
    paste(qtbot, panel, V31)
    answer(qtbot, panel, "cisa")
    answer(qtbot, panel, "coordinator-triage")
    assert "records the Coordinator Triage decision" in panel.ssvc_note.text()
    answer(qtbot, panel, "coordinator-publication")
    preview = panel.preview()
    assert preview is not None
    assert (preview["tier"], preview["ssvc_decision"]) == ("High", "Act")  # cisa still sets it
    assert [r["decision"] for r in preview["ssvc_recorded"]] == ["Coordinate", "Publish"]
    qtbot.waitUntil(panel.recorded_label.isVisible)  # the tab is built on first show
    assert "Coordinator Triage: Coordinate" in panel.recorded_label.text()

    with qtbot.waitSignal(panel.assessment_saved):
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        row = s.scalars(select(Assessment)).one()
        assert (row.model_version, row.ssvc_table, row.ssvc_decision) == (
            "1.1",
            "cisa:DT_CO:2.0.3",
            "Act",
        )
        assert [(r["table"], r["decision"]) for r in row.ssvc_recorded] == [
            ("ssvc:DT_COORD_TRIAGE:1.0.0", "Coordinate"),
            ("ssvc:DT_COORD_PUBLISH:1.0.0", "Publish"),
        ]
        assert row.ssvc_recorded[0]["inputs"] == ANSWERS["coordinator-triage"]
    cell = panel.history.table.item(0, 4)
    assert cell is not None and cell.text() == "Act; Coordinate; Publish"

    # A panel opened later has every table's answers back, the tier table shown.
    again = make_panel(qtbot, ws, case_id)
    assert again.walkthrough.table_name() == "cisa"
    assert again.ssvc_groups() == [
        [f"table={name}", *(f"{k}={v}" for k, v in ANSWERS[name].items())]
        for name in ("coordinator-triage", "coordinator-publication")
    ]
    # A later triage answer changes the record, not the tier, and the history says so.
    answer(qtbot, again, "coordinator-triage")
    qtbot.mouseClick(again.walkthrough.row("PSI").buttons["M"], Qt.MouseButton.LeftButton)
    assert again.preview()["tier"] == "High"  # type: ignore[index]
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert "SSVC Coordinator Triage PSI S → M" in again.history.change_text(0)
