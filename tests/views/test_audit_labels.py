"""Every audit action code the application writes has a human, translated label, and the
case's History tab shows that label rather than the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.advisories.fields import ReviewState
from app.auditing import chain as audit
from i18n.labels import AUDIT_ACTION_LABELS, audit_action_label

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z]+(\.[a-z_\-]+)+$")
RECORDERS = {"record", "record_with_key", "Event"}


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return [node.value]
    return []


def written_codes() -> set[str]:
    """Codes passed to ``audit.record`` and its wrappers in app/, or assigned to ``action``."""
    codes = {f"advisory.{state.value}" for state in ReviewState}  # app/advisories/review.py
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                # The action comes before the entity id (which may look like a code).
                for arg in node.args[:4] if name in RECORDERS else ():
                    codes.update(_strings(arg))
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "action" for t in node.targets
            ):
                codes.update(_strings(node.value))
    return codes


def test_every_written_code_has_a_label() -> None:
    codes = written_codes()
    assert {"case.partners", "case.create", "deadline.override", "advisory.published"} <= codes
    assert len(codes) > 80
    assert sorted(codes - AUDIT_ACTION_LABELS.keys()) == []


def test_labels_are_translated(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from i18n import gettext_in

    missing = [c for c, text in AUDIT_ACTION_LABELS.items() if gettext_in("ja", text) == text]
    # The lead re-extracts the catalogs; until then labels fall back to English, never a code.
    assert all(audit_action_label(c) for c in missing)
    assert audit_action_label("case.partners") == "partners changed"
    assert audit_action_label("team.own-code") == "team.own-code"


def test_history_tab_names_actions(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    key = window.model.queue_row(0).key
    with ws.session() as s:
        from app.casework.cases import get_case

        case = get_case(s, key)
        audit.record(s, ws.require_actor(), "case.partners", "case", case.id, case_key=key,
                     details={"partners": [1]})  # fmt: skip
    window.refresh_queue()
    window.queue.select_row(window.model.row_of(case.id))
    qtbot.waitUntil(lambda: window.detail.case_id == case.id, timeout=3000)
    history = window.detail.history
    whats = [history.item(r, 2).text() for r in range(history.rowCount())]
    assert "partners changed" in whats and "opened" in whats
    assert not any(CODE.match(w) for w in whats), whats
    row = whats.index("partners changed")
    assert history.item(row, 2).toolTip() == "case.partners"


def test_history_details_in_words(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Details read as named fields in the reader's language: states and tiers by their
    labels, booleans as yes/no, no raw keys such as ``previous_tier``."""
    from i18n import gettext_in
    from views.shell.language import switch_language

    ws = window.workspace
    key = window.model.queue_row(0).key
    with ws.session() as s:
        from app.casework.cases import get_case

        case = get_case(s, key)
        audit.record(s, ws.require_actor(), "case.transition", "case", case.id, case_key=key,
                     details={"from": "new", "to": "needs-info",
                              "reason": "asked the reporter"})  # fmt: skip
        audit.record(s, ws.require_actor(), "assessment.create", "case", case.id, case_key=key,
                     details={"tier": "High", "previous_tier": None, "late": False})  # fmt: skip
    window.refresh_queue()
    window.queue.select_row(window.model.row_of(case.id))
    qtbot.waitUntil(lambda: window.detail.case_id == case.id, timeout=3000)

    def details() -> list[str]:
        history = window.detail.history
        return [history.item(r, 3).text() for r in range(history.rowCount())]

    shown = details()
    assert "Late: no; Previous tier: —; Tier: High" in shown
    assert any(t.startswith("new → needs info — asked the reporter") for t in shown), shown
    assert not any("previous_tier" in t or "needs-info" in t for t in shown)
    try:
        switch_language("ja")
        window.queue.select_row(window.model.row_of(case.id))
        assert any(gettext_in("ja", "Previous tier") in t for t in details())
    finally:
        switch_language("en")
