"""The Assessment tab over a real workspace: live preview equals the CLI's evaluation, Save
stores an Assessment (model id, tier) and updates the case's tier, the history shows who,
when and what changed; in the main window; right-to-left; screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app import severity
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import Assessment, AuditEvent, Case
from views.severity.assessment_panel import AssessmentPanel

LOW = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


# Fail on Qt's own warnings; the offscreen platform cannot do these (real ones can): the
# completer popup of the AI class field grabs the keyboard.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore(
        "propagateSizeHints", "does not support raise", "does not support grabbing"
    ),
]


@pytest.fixture
def case_id(ws: Workspace) -> int:
    with ws.session() as s:
        return cases.create_case(s, ws.require_actor(), "Indirect prompt injection via tools").id


def make_panel(qtbot, ws: Workspace, case_id: int) -> AssessmentPanel:  # type: ignore[no-untyped-def]
    panel = AssessmentPanel(ws, case_id)
    qtbot.addWidget(panel)
    panel.resize(760, 900)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def panel(qtbot, ws: Workspace, case_id: int) -> AssessmentPanel:  # type: ignore[no-untyped-def]
    return make_panel(qtbot, ws, case_id)


def paste(qtbot, panel: AssessmentPanel, vector: str) -> None:  # type: ignore[no-untyped-def]
    panel.calculator.paste.setText(vector)
    qtbot.keyClick(panel.calculator.paste, Qt.Key.Key_Return)
    assert panel.calculator.vector() == severity.score_vector(vector)["vector"]


def choose(panel: AssessmentPanel, factor: str, value: str) -> None:
    combo = panel.factors.combos[factor]
    index = combo.findData(value)
    assert index >= 0, (factor, value)
    combo.setCurrentIndex(index)


def stored(ws: Workspace) -> list[Assessment]:
    with ws.session() as s:
        return list(s.scalars(select(Assessment).order_by(Assessment.id)))


def test_preview_is_the_cli_evaluation_and_save_stores_it(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, panel: AssessmentPanel, case_id: int
) -> None:
    assert not panel.save_button.isEnabled()
    assert panel.tier_label.text() == "—"
    paste(qtbot, panel, CRITICAL.replace("A:H", "A:N").replace("I:H", "I:N"))  # 7.5 High
    for key, value in {"E": "A", "A": "Y", "TI": "P", "MWI": "M"}.items():
        qtbot.mouseClick(panel.walkthrough.row(key).buttons[value], Qt.MouseButton.LeftButton)
    choose(panel, "access", "public-api")
    choose(panel, "transferability", "cross-vendor")
    panel.factors.success_n.setValue(20)
    panel.factors.success_k.setValue(18)
    panel.factors.combos["ai_class"].setCurrentIndex(
        panel.factors.combos["ai_class"].findData("LLM06:2025")
    )
    choose(panel, "sector", "finance")
    assert "LLM06:2025" in panel.factors.class_description.text()  # help from the taxonomy

    expected = severity.evaluate(
        severity.build_inputs(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            ["E=A", "A=Y", "TI=P", "MWI=M"],
            ["access=public-api", "success=18/20", "transferability=cross-vendor",
             "class=LLM06:2025"],
            "finance",
        )
    )  # fmt: skip
    assert panel.preview() == expected
    assert panel.tier_label.text() == expected["tier"]
    assert panel.explanation.toPlainText() == expected["explanation"]
    assert panel.save_button.isEnabled()

    panel.rationale.setText("agent tools reach payment APIs")
    with qtbot.waitSignal(panel.assessment_saved) as signal:
        qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert signal.args == [case_id, expected["tier"]]

    (row,) = stored(ws)
    assert (row.model_id, row.model_version) == ("accord-severity", "1.1")
    assert row.tier == expected["tier"]
    assert row.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    assert row.ssvc_table == "cisa:DT_CO:2.0.3"
    assert row.ssvc_decision == expected["ssvc_decision"]
    assert row.ssvc_inputs == {"E": "A", "A": "Y", "TI": "P", "MWI": "M"}
    assert row.ai_factors == {
        "access": "public-api", "transferability": "cross-vendor", "ai_class": "LLM06:2025",
        "success": {"k": 18, "n": 20},
    }  # fmt: skip
    assert row.sector == "finance"
    assert row.rationale == "agent tools reach payment APIs"
    assert row.analyst_id == ws.require_actor().id
    with ws.session() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.tier == expected["tier"]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.case_key == case.key))
        assert "assessment.create" in list(actions)
    assert panel.rationale.text() == ""
    assert panel.history.table.rowCount() == 1
    assert panel.history.change_text(0) == "first assessment"


def test_history_shows_both_assessments_and_what_changed(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, panel: AssessmentPanel, case_id: int
) -> None:
    paste(qtbot, panel, LOW)
    assert panel.preview()["tier"] == "Low"  # type: ignore[index]
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    paste(qtbot, panel, CRITICAL)
    for key, value in {"E": "A", "A": "Y", "TI": "T", "MWI": "H"}.items():
        qtbot.mouseClick(panel.walkthrough.row(key).buttons[value], Qt.MouseButton.LeftButton)
    choose(panel, "sector", "health")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)

    assert [a.tier for a in stored(ws)] == ["Low", "Critical"]
    table = panel.history.table
    assert table.rowCount() == 2

    def cell(row: int, column: int) -> str:
        item = table.item(row, column)
        return item.text() if item is not None else ""

    assert cell(0, 2) == "Critical" and cell(1, 2) == "Low"
    assert cell(0, 1) == "alice"
    assert cell(0, 4) == "Act"
    changed = panel.history.change_text(0)
    for part in ("tier Low → Critical", "CVSS AV P → N", "CVSS AC H → L", "CVSS C L → H",
                 "SSVC decision — → Act", "SSVC MWI — → H", "sector general → health"):  # fmt: skip
        assert part in changed, (part, changed)
    assert panel.history.change_text(1) == "first assessment"
    table.selectRow(1)
    assert "CVSS 3.1 score 1.6" in panel.history.detail.toPlainText()
    assert "accord-severity/1.1" in panel.history.detail.toPlainText()

    # a panel opened later starts from the latest assessment
    again = make_panel(qtbot, ws, case_id)
    assert again.calculator.vector() == CRITICAL
    assert again.walkthrough.inputs() == {"E": "A", "A": "Y", "TI": "T", "MWI": "H"}
    assert again.factors.sector() == "health"
    assert again.preview()["tier"] == "Critical"  # type: ignore[index]
    assert again.history.table.rowCount() == 2


def test_a_coordinator_table_is_shown_but_does_not_set_the_tier(  # type: ignore[no-untyped-def]
    qtbot, panel: AssessmentPanel
) -> None:
    paste(qtbot, panel, LOW)
    walk = panel.walkthrough
    walk.table_combo.setCurrentIndex(walk.table_combo.findData("coordinator-publication"))
    for key, value in {"SINV": "FR", "E": "A", "PVA": "P"}.items():
        qtbot.mouseClick(walk.row(key).buttons[value], Qt.MouseButton.LeftButton)
    assert walk.decision() is not None
    assert panel.ssvc_note.isVisible() and "cisa" in panel.ssvc_note.text()
    assert panel.preview()["ssvc_decision"] is None  # type: ignore[index]
    assert panel.preview()["tier"] == "Low"  # type: ignore[index]
    walk.table_combo.setCurrentIndex(walk.table_combo.findData("supplier"))
    for key, value in {"E": "A", "U": "S", "TI": "T", "PSI": "S"}.items():
        qtbot.mouseClick(walk.row(key).buttons[value], Qt.MouseButton.LeftButton)
    assert panel.preview()["ssvc_decision"] == "Immediate"  # type: ignore[index]
    assert panel.preview()["tier"] == "High"  # type: ignore[index]  # the decision's floor
    assert panel.ssvc_note.isHidden()


def test_bad_input_is_explained_and_cannot_be_saved(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, panel: AssessmentPanel
) -> None:
    paste(qtbot, panel, LOW)
    combo = panel.factors.combos["ai_class"]
    combo.setEditText("")
    qtbot.keyClicks(combo.lineEdit(), "LLM99:2030")
    assert "LLM99:2030" in panel.explanation.toPlainText()
    assert not panel.save_button.isEnabled()
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert stored(ws) == []
    combo.setEditText("")
    assert panel.save_button.isEnabled()


def test_the_tab_in_the_main_window_updates_the_queue_tier(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.case_id != 0)
    tabs = window.detail.tabs
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert "Assessment" in titles
    tabs.setCurrentIndex(titles.index("Assessment"))  # built when first shown
    panel = tabs.widget(titles.index("Assessment"))
    assert isinstance(panel, AssessmentPanel)
    assert panel.case_id == window.detail.case_id
    tabs.setCurrentWidget(panel)
    paste(qtbot, panel, CRITICAL)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.detail.values["tier"].text() == "Critical")
    assert window.detail.detail.tier == "Critical"
    assert tabs.widget(titles.index("Assessment")) is panel  # the tab survives the refresh


def test_right_to_left_layout(qtbot, ws: Workspace, case_id: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = make_panel(qtbot, ws, case_id)
    panel.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    paste(qtbot, panel, CRITICAL)
    qtbot.wait(10)
    save = panel.save_button
    status = panel.status
    assert (
        save.mapTo(panel, save.rect().center()).x()
        < status.mapTo(panel, status.rect().center()).x()
    )
    first, second = panel.walkthrough.row("E").buttons["N"], panel.walkthrough.row("E").buttons["P"]
    assert (
        first.mapTo(panel, first.rect().center()).x()
        > second.mapTo(panel, second.rect().center()).x()
    )
    for key, value in {"E": "A", "A": "Y"}.items():
        qtbot.mouseClick(panel.walkthrough.row(key).buttons[value], Qt.MouseButton.LeftButton)
    assert "Exploitation: Active ← Automatable: Yes" in panel.walkthrough.path_text()
    target = tmp_path / "assessment-rtl.png"
    assert panel.grab().save(str(target))
    assert target.stat().st_size > 0


def test_screenshot_of_the_panel(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, panel: AssessmentPanel, tmp_path: Path
) -> None:
    paste(qtbot, panel, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N")
    for key, value in {"E": "P", "A": "Y", "TI": "T", "MWI": "M"}.items():
        qtbot.mouseClick(panel.walkthrough.row(key).buttons[value], Qt.MouseButton.LeftButton)
    choose(panel, "access", "none")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    target = tmp_path / "assessment-panel.png"
    assert panel.grab().save(str(target))
    assert target.stat().st_size > 0
