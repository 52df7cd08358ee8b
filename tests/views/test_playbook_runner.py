"""The Playbooks tab: start a playbook, complete steps by typing and clicking, pick a branch."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit
from sqlalchemy import select

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import PlaybookRun, PlaybookStep
from views.playbooks.runner import BRANCH, COLUMNS, COMPLETED_BY, FULL_TABLE, PlaybookRunner


def make_runner(qtbot, ws: Workspace) -> PlaybookRunner:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), "Malicious pickle in a checkpoint")
    panel = PlaybookRunner(ws, case.id)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    return panel


def steps_in_db(ws: Workspace) -> dict[str, PlaybookStep]:
    with ws.session() as s:
        return {r.step_id: r for r in s.scalars(select(PlaybookStep)).all()}


def type_into(qtbot, panel: PlaybookRunner, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field = panel.findChild(QLineEdit, f"input-{name}")
    assert field is not None and field.isEnabled()
    field.clear()
    qtbot.keyClicks(field, text)


def test_start_complete_and_branch(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = make_runner(qtbot, ws)
    assert panel.table.rowCount() == 0
    panel.playbook_box.setCurrentIndex(panel.playbook_box.findData("model-supply-chain"))
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        run = s.scalars(select(PlaybookRun)).one()
        assert run.playbook_id == "model-supply-chain" and run.state == "running"
    assert panel.table.rowCount() == 9
    assert panel.selected_step_id() == "pin-artifact"
    assert panel.table.item(1, 0).text() == "blocked"

    # Completing without the required inputs shows the problem and stores nothing.
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    assert "needs: artifact_sha256, repository" in panel.status.text()
    assert steps_in_db(ws)["pin-artifact"].state == "pending"

    type_into(qtbot, panel, "artifact_sha256", "ab12cd")
    type_into(qtbot, panel, "repository", "hub/org/model@rev1")
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    db = steps_in_db(ws)
    assert db["pin-artifact"].state == "done" and db["pin-artifact"].completed_by == "alice"
    assert db["pin-artifact"].outputs == {
        "artifact_sha256": "ab12cd",
        "repository": "hub/org/model@rev1",
    }
    assert panel.selected_step_id() == "serialization"

    # The decision: pick "safetensors" in the list; the sandbox branch becomes not applicable.
    combo = panel.findChild(QComboBox, "input-format")
    assert combo is not None
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "pickle",
        "safetensors",
        "gguf",
        "other",
    ]
    combo.setCurrentText("safetensors")
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    db = steps_in_db(ws)
    assert db["serialization"].outputs == {"format": "safetensors"}
    assert db["sandbox-load"].state == "not-applicable"
    assert db["config-review"].state == "pending"
    row = panel.row_of("sandbox-load")
    assert panel.table.item(row, 0).text() == "not applicable"
    assert panel.table.item(row, 0).font().strikeOut()
    assert panel.table.item(panel.row_of("config-review"), 5).text() == "format=safetensors/gguf"

    # Skip with a reason, typed.
    panel.select_step("config-review")
    qtbot.mouseClick(panel.skip_button, Qt.MouseButton.LeftButton)
    assert "reason" in panel.status.text()
    qtbot.keyClicks(panel.skip_reason, "reviewed upstream already")
    qtbot.mouseClick(panel.skip_button, Qt.MouseButton.LeftButton)
    db = steps_in_db(ws)
    assert db["config-review"].state == "skipped"
    assert db["config-review"].skip_reason == "reviewed upstream already"
    assert panel.selected_step_id() == "verdict"

    # Partner-owned steps cannot be completed here.
    panel.select_step("partner-hunt")
    assert not panel.complete_button.isEnabled()


def test_blocked_tooltip_and_run_switch(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = make_runner(qtbot, ws)
    panel.start_playbook("publication")
    panel.start_playbook("initial-triage")
    assert panel.run_box.count() == 2
    assert panel.run is not None and panel.run.playbook == "initial-triage"
    panel.run_box.setCurrentIndex(panel.run_box.findData("publication"))
    assert panel.run is not None and panel.run.playbook == "publication"
    item = panel.table.item(panel.row_of("translate"), 0)
    assert item.text() == "blocked" and "draft" in item.toolTip()


def test_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = make_runner(qtbot, ws)
    panel.start_playbook("jailbreak-probabilistic")
    out = tmp_path / "playbook_runner.png"
    assert panel.grab().save(str(out))
    assert out.exists() and out.stat().st_size > 0


def test_attached_as_case_tabs(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from views.impact.impact_panel import ImpactPanel

    window.queue.select_row(0)
    qtbot.waitUntil(lambda: bool(window.detail.case_id))
    kinds = {type(w) for w in window.detail.feature_tabs}
    assert PlaybookRunner in kinds and ImpactPanel in kinds
    runner = next(w for w in window.detail.feature_tabs if isinstance(w, PlaybookRunner))
    assert runner.case_id == window.detail.case_id
    runner.start_playbook("initial-triage")
    assert runner.table.rowCount() == 8


def test_a_narrow_checklist_leaves_its_room_to_the_steps(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """Beside the queue (about 450 px) the checklist shows state, step, owner and due, and the
    chosen step's details say who completed it and its branch; wide, the columns are back."""
    panel = make_runner(qtbot, ws)
    panel.start_playbook("model-supply-chain")
    type_into(qtbot, panel, "artifact_sha256", "ab12cd")
    type_into(qtbot, panel, "repository", "hub/org/model@rev1")
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    assert steps_in_db(ws)["pin-artifact"].completed_by == "alice"

    panel.resize(450, 700)
    qtbot.waitUntil(lambda: panel.table.width() < FULL_TABLE)
    assert panel.table.isColumnHidden(COMPLETED_BY) and panel.table.isColumnHidden(BRANCH)
    header = panel.table.horizontalHeader()
    shown = [header.sectionSize(c) for c in range(COLUMNS) if not panel.table.isColumnHidden(c)]
    assert header.sectionSize(1) == max(shown)  # the step's title has the most room
    panel.select_step("pin-artifact")
    assert "Completed by: alice" in panel.step_info.text()
    panel.select_step("config-review")
    assert "Branch: format=" in panel.step_info.text()

    panel.resize(1900, 700)
    qtbot.waitUntil(lambda: panel.table.width() >= FULL_TABLE)
    assert not panel.table.isColumnHidden(COMPLETED_BY)
    assert not panel.table.isColumnHidden(BRANCH)
