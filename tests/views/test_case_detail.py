"""Transition and assign from the detail pane, undone and redone with Edit ▸ Undo/Redo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, Case, CaseStatus


def _select(window, key: str) -> None:  # type: ignore[no-untyped-def]
    for row in range(window.model.rowCount()):
        if window.model.index(row, 0).data() == key:
            window.queue.select_row(row)
            return
    raise AssertionError(key)


def _status(ws: Workspace, key: str) -> CaseStatus:
    with ws.session() as s:
        return s.scalar(select(Case.status).where(Case.key == key))


def _assignee(ws: Workspace, key: str) -> str | None:
    with ws.session() as s:
        return cases.detail(s, key).assignee


def _actions(ws: Workspace, key: str) -> list[tuple[str, dict]]:
    with ws.session() as s:
        return [
            (e.action, e.details)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.case_key == key).order_by(AuditEvent.seq)
            )
        ]


def _new_case_key(ws: Workspace) -> str:
    with ws.session() as s:
        return s.scalar(
            select(Case.key).where(Case.status == CaseStatus.NEW).order_by(Case.id).limit(1)
        )


def test_transition_from_the_gui_and_undo_redo(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    key = _new_case_key(ws)
    _select(window, key)
    pane = window.detail
    assert pane.target.findData("triage") >= 0
    assert pane.target.findData("closed") < 0  # not allowed from new
    pane.target.setCurrentIndex(pane.target.findData("triage"))
    qtbot.keyClicks(pane.reason, "reproduced on the vendor's demo")
    qtbot.mouseClick(pane.move_button, Qt.MouseButton.LeftButton)

    assert _status(ws, key) == CaseStatus.TRIAGE
    assert pane.values["status"].text() == "triage"
    assert pane.reason.text() == ""
    assert pane.history.item(0, 2).text() == "moved"
    assert window.model.index(window.model.row_of(pane.case_id), 2).data() == "triage"
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == f"&Undo move {key} to triage"

    window.undo_action.trigger()
    assert _status(ws, key) == CaseStatus.NEW
    assert pane.values["status"].text() == "new"
    window.redo_action.trigger()
    assert _status(ws, key) == CaseStatus.TRIAGE

    actions = _actions(ws, key)
    assert [a for a, _ in actions] == [
        "case.create",
        "case.transition",
        "case.transition.undo",
        "case.transition",
    ]
    assert actions[1][1] == {
        "from": "new",
        "to": "triage",
        "reason": "reproduced on the vendor's demo",
    }
    assert actions[2][1]["from"] == "triage" and actions[2][1]["to"] == "new"
    with ws.session() as s:
        from app.auditing import chain as audit

        assert audit.verify_session(s).events > 0


def test_transition_without_reason_is_refused_in_the_pane(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    key = _new_case_key(ws)
    _select(window, key)
    qtbot.mouseClick(window.detail.move_button, Qt.MouseButton.LeftButton)
    assert not window.detail.error.isHidden()
    assert "reason" in window.detail.error.text()
    assert _status(ws, key) == CaseStatus.NEW
    assert window.undo_stack.count() == 0


def test_assign_from_the_gui_and_undo(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    key = _new_case_key(ws)
    _select(window, key)
    pane = window.detail
    pane.assignee.setCurrentIndex(pane.assignee.findData("bob"))
    qtbot.mouseClick(pane.assign_button, Qt.MouseButton.LeftButton)
    assert _assignee(ws, key) == "bob"
    assert pane.values["assignee"].text() == "bob"

    pane.assignee.setCurrentIndex(pane.assignee.findData("carol"))
    qtbot.mouseClick(pane.assign_button, Qt.MouseButton.LeftButton)
    assert _assignee(ws, key) == "carol"

    window.undo_action.trigger()
    assert _assignee(ws, key) == "bob"
    window.undo_action.trigger()
    assert _assignee(ws, key) is None
    assert pane.values["assignee"].text() == "unassigned"
    assert not window.undo_action.isEnabled()

    assigns = [d for a, d in _actions(ws, key) if a == "case.assign"]
    assert assigns == [
        {"from": None, "to": "bob"},
        {"from": "bob", "to": "carol"},
        {"from": "carol", "to": "bob"},
        {"from": "bob", "to": None},
    ]


def test_an_analyst_may_not_assign_others(qtbot, case_ws, qsettings) -> None:  # type: ignore[no-untyped-def]
    from views.shell.main_window import MainWindow
    from views.shell.prefs import Prefs

    case_ws.act_as("bob")
    w = MainWindow(case_ws, prefs=Prefs(qsettings))
    qtbot.addWidget(w)
    key = _new_case_key(case_ws)
    _select(w, key)
    w.detail.assignee.setCurrentIndex(w.detail.assignee.findData("carol"))
    qtbot.mouseClick(w.detail.assign_button, Qt.MouseButton.LeftButton)
    assert "may not assign" in w.detail.error.text()
    assert _assignee(case_ws, key) is None
    assert w.undo_stack.count() == 0
    # assigning to oneself is allowed
    w.detail.assignee.setCurrentIndex(w.detail.assignee.findData("bob"))
    qtbot.mouseClick(w.detail.assign_button, Qt.MouseButton.LeftButton)
    assert _assignee(case_ws, key) == "bob"
    assert w.detail.error.isHidden()


def test_undo_that_is_refused_later_reports_and_drops_the_command(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from models import Analyst

    ws = window.workspace
    key = _new_case_key(ws)
    _select(window, key)
    pane = window.detail
    for name in ("bob", "carol"):
        pane.assignee.setCurrentIndex(pane.assignee.findData(name))
        qtbot.mouseClick(pane.assign_button, Qt.MouseButton.LeftButton)
    assert _assignee(ws, key) == "carol"
    with ws.session() as s:  # bob left the team meanwhile
        s.scalar(select(Analyst).where(Analyst.name == "bob")).active = False
    window.undo_action.trigger()
    assert _assignee(ws, key) == "carol"
    assert "no active analyst named bob" in pane.error.text()
    assert window.undo_stack.count() == 1  # the refused command was dropped
    window.undo_action.trigger()  # the first assign can still be undone
    assert _assignee(ws, key) is None


def test_detail_tabs_list_reports_and_history(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from models import Report

    ws = window.workspace
    key = _new_case_key(ws)
    with ws.session() as s:
        case_id = s.scalar(select(Case.id).where(Case.key == key))
        s.add(Report(case_id=case_id, title="Email agent leaks calendar", source="researcher"))
    window.refresh_queue()
    _select(window, key)
    pane = window.detail
    assert pane.reports.rowCount() == 1
    assert pane.reports.item(0, 1).text() == "Email agent leaks calendar"
    assert pane.description.toPlainText().startswith("Details of:")


def test_next_deadline_shows_overdue_marker_countdown_and_zone(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Like the queue column: "⚠ overdue 3 h · … UTC", the overdue colours, and the exact
    time with its zone in the tooltip; a later deadline has no marker."""
    from datetime import UTC, datetime, timedelta

    from app.casework import cases as cases_mod

    ws = window.workspace
    first, second = window.model.queue_row(0).key, window.model.queue_row(1).key
    now = datetime.now(UTC)
    with ws.session() as s:
        cases_mod.get_case(s, first).next_deadline_utc = now - timedelta(hours=3, minutes=5)
        cases_mod.get_case(s, second).next_deadline_utc = now + timedelta(days=4, hours=1)
    window.refresh_queue()
    for key, marker, urgency in ((first, True, "overdue"), (second, False, "later")):
        with ws.session() as s:
            case_id = cases_mod.get_case(s, key).id
        window.queue.select_row(window.model.row_of(case_id))
        qtbot.waitUntil(lambda cid=case_id: window.detail.case_id == cid, timeout=3000)
        label = window.detail.values["deadline"]
        text = label.text()
        assert text.startswith("⚠ overdue 3 h") == marker, text
        assert ("due in 4 d" in text) != marker, text
        assert text.endswith("UTC"), text
        assert label.property("urgency") == urgency
        assert "UTC" in label.toolTip() and urgency.split("-")[0] in label.toolTip()
        assert "background" in label.styleSheet()
