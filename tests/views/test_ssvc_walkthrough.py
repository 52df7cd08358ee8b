"""The SSVC walk-through reaches the official decision (CERT/CC CSV tables in
../shared/data/ssvc) and shows the path, in order, with the decision highlighted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from taxonomy import ssvc
from tests.conftest import shared_data
from views.severity.ssvc_walkthrough import SsvcWalkthrough

OFFICIAL = {
    "cisa": "cisa_DT_CO_2.0.3.csv",
    "deployer": "ssvc_DT_DP_1.0.0.csv",
    "supplier": "ssvc_DT_SP_1.0.0.csv",
    "coordinator-triage": "ssvc_DT_COORD_TRIAGE_1.0.0.csv",
    "coordinator-publication": "ssvc_DT_COORD_PUBLISH_1.0.0.csv",
}


# Fail on Qt's own warnings; the offscreen platform cannot do these two (real ones can).
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


@pytest.fixture
def walk(qtbot) -> SsvcWalkthrough:  # type: ignore[no-untyped-def]
    widget = SsvcWalkthrough()
    qtbot.addWidget(widget)
    widget.resize(760, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def official_rows(table: str) -> list[tuple[dict[str, str], str]]:
    """``({decision-point key: value key}, outcome key)`` from CERT/CC's CSV."""
    path = shared_data("ssvc", "decision-tables", OFFICIAL[table])
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = [column.split(":")[1] for column in next(reader)]
        return [(dict(zip(header[:-1], row[:-1], strict=True)), row[-1]) for row in reader]


def walk_through(qtbot, walk: SsvcWalkthrough, inputs: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for key, value in inputs.items():
        qtbot.mouseClick(walk.row(key).buttons[value], Qt.MouseButton.LeftButton)


def test_cisa_rows_reach_the_official_decision_and_show_the_path(  # type: ignore[no-untyped-def]
    qtbot, walk: SsvcWalkthrough
) -> None:
    assert walk.table().id == "cisa:DT_CO:2.0.3"
    rows = official_rows("cisa")
    assert len(rows) == 36
    table = ssvc.table("cisa")
    for inputs, outcome in [*rows[::5], rows[-1]]:
        walk.clear()
        assert walk.decision() is None
        walk_through(qtbot, walk, inputs)
        decision = walk.decision()
        assert decision is not None
        assert decision["outcome_key"] == outcome, inputs
        assert decision["table"] == "cisa:DT_CO:2.0.3"
        # the path names every decision point in order with its chosen value, then the decision
        path = walk.path_text()
        positions = []
        for dp in table.decision_points:
            step = f"{dp.name}: {dp.value(inputs[dp.key]).name}"
            assert step in path
            positions.append(path.index(step))
        assert positions == sorted(positions)
        assert path.rstrip().endswith(f"Decision: {decision['decision']}")
        chosen = [k for k, label in walk.outcome_labels.items() if label.property("chosen")]
        assert chosen == [outcome]


def test_the_path_grows_step_by_step(qtbot, walk: SsvcWalkthrough) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(walk.changed):
        qtbot.mouseClick(walk.row("E").buttons["A"], Qt.MouseButton.LeftButton)
    assert "Exploitation: Active" in walk.path_text()
    assert "next: Automatable" in walk.path_text()
    assert walk.decision() is None
    assert not any(label.property("chosen") for label in walk.outcome_labels.values())
    walk_through(qtbot, walk, {"A": "Y", "TI": "T", "MWI": "H"})
    assert walk.decision() == {
        "table": "cisa:DT_CO:2.0.3", "decision": "Act", "outcome_key": "AC",
        "inputs": {"E": "A", "A": "Y", "TI": "T", "MWI": "H"},
    }  # fmt: skip
    assert walk.outcome_labels["AC"].property("chosen") is True
    # keyboard: change Mission and Well-Being Impact down to Low with the arrow keys
    high = walk.row("MWI").buttons["H"]
    high.setFocus()
    qtbot.keyClick(high, Qt.Key.Key_Left)
    qtbot.keyClick(walk.row("MWI").buttons["M"], Qt.Key.Key_Left)
    assert walk.inputs()["MWI"] == "L"
    assert walk.decision()["decision"] == "Attend"  # type: ignore[index]
    walk.clear()
    assert walk.inputs() == {} and walk.decision() is None


@pytest.mark.parametrize("table", list(OFFICIAL))
def test_every_table_can_be_walked(qtbot, walk: SsvcWalkthrough, table: str) -> None:  # type: ignore[no-untyped-def]
    index = walk.table_combo.findData(table)
    walk.table_combo.setCurrentIndex(index)
    assert walk.table().cli_name == table
    rows = official_rows(table)
    for inputs, outcome in (rows[0], rows[len(rows) // 2], rows[-1]):
        walk.clear()
        walk_through(qtbot, walk, inputs)
        assert walk.decision()["outcome_key"] == outcome  # type: ignore[index]


def test_set_inputs_from_a_stored_assessment(qtbot, walk: SsvcWalkthrough) -> None:  # type: ignore[no-untyped-def]
    walk.set_inputs("ssvc:DT_DP:1.0.0", {"E": "A", "EXP": "O", "A": "Y", "HI": "VH"})
    assert walk.table_name() == "deployer"
    assert walk.row("EXP").buttons["O"].isChecked()
    assert walk.decision()["decision"] == "Immediate"  # type: ignore[index]


def test_screenshot_of_the_walkthrough(qtbot, walk: SsvcWalkthrough, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    walk_through(qtbot, walk, {"E": "P", "A": "N", "TI": "T", "MWI": "M"})
    target = tmp_path / "ssvc-walkthrough.png"
    assert walk.grab().save(str(target))
    assert target.stat().st_size > 0
