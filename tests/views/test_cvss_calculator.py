"""The CVSS calculator: clicks build the exact vector and score, a pasted vector sets the
buttons, a bad paste names the metric, the keyboard works (also right-to-left)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app import severity
from taxonomy.cvss_scores import metric_groups, split_vector
from tests.conftest import shared_data
from views.severity.cvss_calculator import CvssCalculator

V31 = {"AV": "N", "AC": "L", "PR": "N", "UI": "R", "S": "C", "C": "H", "I": "L", "A": "N"}
V40 = {
    "AV": "N", "AC": "L", "AT": "N", "PR": "L", "UI": "N",
    "VC": "H", "VI": "H", "VA": "N", "SC": "L", "SI": "N", "SA": "N",
}  # fmt: skip


# Fail on Qt's own warnings; the offscreen platform cannot do these two (real ones can).
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


@pytest.fixture
def calc(qtbot) -> CvssCalculator:  # type: ignore[no-untyped-def]
    widget = CvssCalculator("3.1")
    qtbot.addWidget(widget)
    widget.resize(760, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click(qtbot, calc: CvssCalculator, metric: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Show the metric's group tab, then click its button as a user would."""
    version = calc.version()
    tabs = calc.group_tabs[version]
    for index, (_group, metrics) in enumerate(metric_groups(version)):
        if metric in metrics:
            tabs.setCurrentIndex(index)
    button = calc.button(metric, value)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.isChecked()


def test_clicking_31_metrics_builds_the_vector_and_score(qtbot, calc: CvssCalculator) -> None:  # type: ignore[no-untyped-def]
    assert calc.vector() == ""
    assert "AV" in calc.score_label.text()  # lists what is still missing
    with qtbot.waitSignal(calc.vector_changed) as signal:
        for metric, value in V31.items():
            click(qtbot, calc, metric, value)
    expected = "CVSS:3.1/" + "/".join(f"{m}:{v}" for m, v in V31.items())
    assert signal.args == [expected]
    assert calc.vector() == expected
    assert calc.result() == severity.score_vector(expected)
    assert calc.vector_label.text() == expected
    assert "8.2 (High)" in calc.score_label.text()  # FIRST v3.1 calculator: 8.2
    # a temporal and an environmental metric: the 3.1 temporal/environmental scores apply
    click(qtbot, calc, "E", "U")
    click(qtbot, calc, "MAV", "L")
    expected += "/E:U/MAV:L"
    assert calc.vector() == expected
    assert calc.result() == severity.score_vector(expected)
    assert calc.result()["nomenclature"] == "environmental"  # type: ignore[index]
    # back to Not Defined drops the metric from the vector
    click(qtbot, calc, "MAV", "X")
    assert calc.vector() == expected.removesuffix("/MAV:L")


def test_clicking_40_metrics_builds_the_vector_and_score(qtbot, calc: CvssCalculator) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(calc.version_row.buttons["4.0"], Qt.MouseButton.LeftButton)
    assert calc.version() == "4.0"
    for metric, value in V40.items():
        click(qtbot, calc, metric, value)
    base = "CVSS:4.0/" + "/".join(f"{m}:{v}" for m, v in V40.items())
    assert calc.vector() == base
    assert calc.result() == severity.score_vector(base)
    click(qtbot, calc, "E", "U")
    click(qtbot, calc, "AU", "Y")
    full = base + "/E:U/AU:Y"
    assert calc.vector() == full
    result = severity.score_vector(full)
    assert calc.result() == result
    assert result["nomenclature"] == "CVSS-BT"
    assert str(result["score"]) in calc.score_label.text()
    # each version keeps its own choices
    qtbot.mouseClick(calc.version_row.buttons["3.1"], Qt.MouseButton.LeftButton)
    assert calc.vector() == ""
    qtbot.mouseClick(calc.version_row.buttons["4.0"], Qt.MouseButton.LeftButton)
    assert calc.vector() == full


def test_a_pasted_vector_sets_the_buttons(qtbot, calc: CvssCalculator) -> None:  # type: ignore[no-untyped-def]
    vector = "CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:H/SC:H/SI:L/SA:N/E:P/MAV:L/S:P"
    qtbot.keyClicks(calc.paste, vector)
    qtbot.keyClick(calc.paste, Qt.Key.Key_Return)
    assert calc.version() == "4.0"
    assert calc.paste_error.isHidden()
    _version, metrics = split_vector(vector)
    for metric, row in calc.rows["4.0"].items():
        assert row.value() == metrics.get(metric, "X"), metric
        assert calc.button(metric, row.value() or "").isChecked()
    assert calc.vector() == severity.score_vector(vector)["vector"]
    assert calc.result() == severity.score_vector(vector)
    assert calc.paste.text() == ""
    # a 3.1 vector switches back and fills the 3.1 buttons
    calc.paste.setText("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/RL:O")
    qtbot.mouseClick(calc.paste_button, Qt.MouseButton.LeftButton)
    assert calc.version() == "3.1"
    assert calc.button("RL", "O").isChecked() and calc.button("E", "X").isChecked()
    assert calc.result()["score"] == 7.5  # type: ignore[index]


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Z", "E"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:A", "ZZ"),
    ],
)
def test_an_invalid_paste_names_the_metric_and_keeps_the_buttons(  # type: ignore[no-untyped-def]
    qtbot, calc: CvssCalculator, bad: str, named: str
) -> None:
    calc.set_vector("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N")
    before = (calc.version(), calc.chosen("3.1"), calc.chosen("4.0"), calc.vector())
    calc.paste.setText(bad)
    qtbot.mouseClick(calc.paste_button, Qt.MouseButton.LeftButton)
    assert calc.paste_error.isVisible()
    text = calc.paste_error.text()
    assert f"metric {named}" in text or f"metric(s) {named}" in text or f"'{named}'" in text
    assert (calc.version(), calc.chosen("3.1"), calc.chosen("4.0"), calc.vector()) == before
    assert calc.paste.text() == bad  # kept, so it can be corrected
    calc.paste.setText("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    qtbot.keyClick(calc.paste, Qt.Key.Key_Return)
    assert calc.paste_error.isHidden()
    assert calc.result()["score"] == 9.8  # type: ignore[index]


def test_keyboard_arrows_change_a_metric_and_tab_moves_between_metrics(  # type: ignore[no-untyped-def]
    qtbot, calc: CvssCalculator
) -> None:
    calc.set_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    network = calc.button("AV", "N")
    network.setFocus()
    qtbot.waitUntil(network.hasFocus)
    qtbot.keyClick(network, Qt.Key.Key_Right)
    assert calc.button("AV", "A").isChecked() and calc.button("AV", "A").hasFocus()
    assert calc.vector().startswith("CVSS:3.1/AV:A/")
    assert calc.result() == severity.score_vector(calc.vector())
    qtbot.keyClick(calc.button("AV", "A"), Qt.Key.Key_Down)
    assert calc.button("AV", "L").isChecked()
    qtbot.keyClick(calc.button("AV", "L"), Qt.Key.Key_Left)
    qtbot.keyClick(calc.button("AV", "A"), Qt.Key.Key_Up)
    assert calc.button("AV", "N").isChecked()
    # only the chosen value of each metric is a Tab stop: Tab goes to the next metric
    assert calc.button("AV", "N").focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert calc.button("AV", "A").focusPolicy() == Qt.FocusPolicy.ClickFocus
    qtbot.keyClick(calc.button("AV", "N"), Qt.Key.Key_Tab)
    assert calc.button("AC", "L").hasFocus()
    qtbot.keyClick(calc.button("AC", "L"), Qt.Key.Key_Right)
    assert calc.vector().startswith("CVSS:3.1/AV:N/AC:H/")
    # Space on a focused, unchosen value chooses it
    calc.button("PR", "H").setFocus()
    qtbot.keyClick(calc.button("PR", "H"), Qt.Key.Key_Space)
    assert calc.button("PR", "H").isChecked()
    assert "/PR:H/" in calc.vector()


def test_right_to_left_mirrors_the_rows_and_the_arrows(qtbot, calc: CvssCalculator) -> None:  # type: ignore[no-untyped-def]
    calc.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    calc.set_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    qtbot.wait(10)
    network, adjacent = calc.button("AV", "N"), calc.button("AV", "A")
    assert (
        network.mapTo(calc, network.rect().center()).x()
        > adjacent.mapTo(calc, adjacent.rect().center()).x()
    )
    network.setFocus()
    qtbot.keyClick(network, Qt.Key.Key_Left)  # visually next, right-to-left
    assert adjacent.isChecked()
    assert calc.paste.layoutDirection() == Qt.LayoutDirection.LeftToRight


def _expected_vectors(name: str, every: int) -> list[tuple[str, float]]:
    path: Path = shared_data("cvss", "redhat-test-vectors", "tests", name)
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if n % every or " - " not in line:
            continue
        vector, scores = line.split(" - ", 1)
        numbers = [s for s in scores.strip("() ").split(",") if s.strip() not in ("", "None")]
        rows.append((vector.strip(), float(numbers[-1])))
    return rows


@pytest.mark.parametrize(("name", "every"), [("vectors_simple31", 97), ("vectors_simple4", 41)])
def test_red_hat_vectors_clicked_in_give_their_published_scores(  # type: ignore[no-untyped-def]
    qtbot, calc: CvssCalculator, name: str, every: int
) -> None:
    """A sample of Red Hat's test vectors, entered button by button."""
    for vector, expected in _expected_vectors(name, every):
        version, metrics = split_vector(vector)
        calc.set_version(version)
        calc.clear()
        for metric, value in metrics.items():
            calc.button(metric, value).click()
        assert calc.result() is not None, vector
        assert calc.result()["score"] == expected, vector  # type: ignore[index]
        assert calc.vector() == severity.score_vector(vector)["vector"]


def test_screenshot_of_the_calculator(qtbot, calc: CvssCalculator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    calc.set_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A")
    target = tmp_path / "cvss-calculator.png"
    assert calc.grab().save(str(target))
    assert target.stat().st_size > 0
