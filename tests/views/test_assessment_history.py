"""The history widget and ``app.severity.changes`` behind its "what changed" column."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app import severity
from views.severity.assessment_history import AssessmentHistory, describe_change

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def row(ident: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": ident, "at": f"2026-11-2{ident}T10:00:00+00:00", "analyst": "alice",
        "model": "accord-severity/1.0", "tier": "Low",
        "cvss_vector": "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "cvss_score": 1.6,
        "ssvc_table": None, "ssvc_inputs": {}, "ssvc_decision": None, "ai_factors": {},
        "sector": "general", "sla_hours": 720, "explanation": "why", "rationale": "",
    }  # fmt: skip
    base.update(fields)
    return base


def test_changes_compare_metric_by_metric_and_key_by_key() -> None:
    first = row(1)
    assert severity.changes(None, first) == []
    assert severity.changes(first, row(2)) == []
    second = row(
        2, tier="High", cvss_vector="CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N/E:F",
        ssvc_table="cisa:DT_CO:2.0.3", ssvc_inputs={"E": "A"}, ssvc_decision="Act",
        ai_factors={"access": "none", "success": {"k": 3, "n": 4}}, sector="health",
    )  # fmt: skip
    found = {c["field"]: (c["from"], c["to"]) for c in severity.changes(first, second)}
    assert found == {
        "tier": ("Low", "High"),
        "cvss:AV": ("P", "N"),
        "cvss:E": (None, "F"),
        "ssvc_table": (None, "cisa:DT_CO:2.0.3"),
        "ssvc_decision": (None, "Act"),
        "ssvc:E": (None, "A"),
        "ai:access": (None, "none"),
        "ai:success": (None, {"k": 3, "n": 4}),
        "sector": ("general", "health"),
    }
    # another CVSS version: the whole vector changed
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    (change,) = severity.changes(first, row(3, cvss_vector=v4))
    assert change == {"field": "cvss_vector", "from": first["cvss_vector"], "to": v4}
    assert describe_change(change).startswith("vector CVSS:3.1/")
    assert describe_change({"field": "ai:success", "from": None, "to": {"k": 3, "n": 4}}) == (
        "AI success — → 3/4"
    )


def test_the_widget_lists_newest_first_and_shows_the_selected_explanation(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = AssessmentHistory()
    qtbot.addWidget(widget)
    widget.show()
    rows = [row(1), row(2, tier="Medium", analyst="bob", rationale="new PoC", cvss_score=4.2)]
    widget.set_rows(rows)
    assert widget.table.rowCount() == 2
    assert widget.change_text(0) == "tier Low → Medium"
    assert widget.change_text(1) == "first assessment"
    who = widget.table.item(0, 1)
    assert who is not None and who.text() == "bob"
    assert widget.detail.toPlainText() == ""
    widget.table.selectRow(0)
    assert "Rationale: new PoC" in widget.detail.toPlainText()
    widget.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    widget.retranslate()
    assert widget.change_text(0) == "tier Low ← Medium"
