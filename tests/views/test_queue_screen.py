"""The queue opens on work (issue 15, items 1 and 8), driven as a user would: keyboard, mouse,
menus and dialogs, with the result checked in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QMessageBox, QWidget
from sqlalchemy import select

from app.casework import cases
from app.queueing.queue import COLUMN_KEYS
from app.workspaces.lifecycle import Workspace
from models import Analyst, Case, CaseStatus, utcnow
from views.queue.model import URGENCY_COLOURS
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

DEADLINE = COLUMN_KEYS.index("next_deadline")


def _deadlines(ws: Workspace) -> dict[str, str]:
    """Give the six cases of ``case_ws`` deadlines: one overdue, one due in 5 h, one later; and
    move one to disclosed and one to closed (no longer open)."""
    now = utcnow()
    with ws.session() as s:
        rows = list(s.scalars(select(Case).order_by(Case.id)))
        plan = {
            "later": (rows[0], now + timedelta(days=6, hours=1), None),
            "overdue": (rows[1], now - timedelta(days=3, hours=2), None),
            "soon": (rows[2], now + timedelta(hours=5, minutes=10), None),
            "undated": (rows[3], None, None),
            "disclosed": (rows[4], now - timedelta(days=9), CaseStatus.DISCLOSED),
            "closed": (rows[5], None, CaseStatus.CLOSED),
        }
        tiers = ("High", "Critical", "Medium", None, "Low", "Informational")
        tlps = ("AMBER", "RED", "GREEN", "CLEAR", "AMBER+STRICT", "CLEAR")
        for (case, due, status), tier, tlp in zip(plan.values(), tiers, tlps, strict=True):
            case.next_deadline_utc = due
            case.tier, case.tlp = tier, tlp
            if status is not None:
                case.status = status
        return {name: case.key for name, (case, _due, _status) in plan.items()}


def _shown(window: MainWindow) -> list[str]:
    model = window.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _new_window(qtbot, ws: Workspace, settings: QSettings) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(ws, prefs=Prefs(settings))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _answer_modal(qtbot, action: Callable[[QWidget], None]) -> list[str]:  # type: ignore[no-untyped-def]
    """Act on the next modal dialog as a user would (it blocks the test until answered)."""
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.objectName() or type(dialog).__name__)
        if isinstance(dialog, QMessageBox):
            seen.append(dialog.text())
        action(dialog)

    QTimer.singleShot(0, answer)
    return seen


def test_queue_opens_on_open_cases_most_urgent_first(qtbot, case_ws, qsettings) -> None:  # type: ignore[no-untyped-def]
    keys = _deadlines(case_ws)
    w = _new_window(qtbot, case_ws, qsettings)
    assert _shown(w) == [keys["overdue"], keys["soon"], keys["later"], keys["undated"]]
    assert w.queue.status_filter.currentData() == "@open"
    assert w.saved_filters.filters.currentData() == "open"
    assert w.queue.count_label.text() == "4 cases"
    # The most urgent case is selected and shown (right after the rows first paint).
    qtbot.waitUntil(lambda: w.queue.selected_case_id() == w.model.case_id(0), timeout=3000)
    assert w.detail.detail is not None and w.detail.detail.key == keys["overdue"]
    header = w.queue.table.horizontalHeader()
    assert header.sortIndicatorSection() == DEADLINE
    # A readable countdown, coloured by urgency, the exact time with its zone in a tooltip.
    cell = w.model.index(0, DEADLINE)
    assert cell.data() == "overdue 3 d"
    assert w.model.index(1, DEADLINE).data() == "due in 5 h"
    assert w.model.index(2, DEADLINE).data() == "due in 6 d"
    assert w.model.index(3, DEADLINE).data() == "—"
    colours = [
        w.model.index(r, DEADLINE).data(Qt.ItemDataRole.BackgroundRole).color().name()
        for r in range(3)
    ]
    assert colours == [URGENCY_COLOURS[u][1] for u in ("overdue", "due-24h", "later")]
    assert "UTC" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert "overdue" in cell.data(Qt.ItemDataRole.AccessibleTextRole)
    tier = w.model.index(0, COLUMN_KEYS.index("tier"))
    assert tier.data(Qt.ItemDataRole.AccessibleTextRole).startswith("Tier: ")
    assert w.model.index(0, COLUMN_KEYS.index("tlp")).data() == "TLP:RED"


def test_key_columns_fit_at_1366(qtbot, case_ws, qsettings) -> None:  # type: ignore[no-untyped-def]
    w = MainWindow(case_ws, prefs=Prefs(qsettings))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    w.fit_queue()
    qtbot.wait(20)
    table = w.queue.table
    assignee = COLUMN_KEYS.index("assignee")
    right = table.columnViewportPosition(assignee) + table.columnWidth(assignee)
    assert right <= table.viewport().width()
    assert w.detail_area.width() >= 240


def test_the_split_is_remembered(qtbot, case_ws, qsettings) -> None:  # type: ignore[no-untyped-def]
    w = _new_window(qtbot, case_ws, qsettings)
    w.resize(780, 560)  # within the offscreen screen, so the geometry comes back as it was
    qtbot.wait(20)
    handle = w.splitter.handle(1)
    start = QPoint(handle.width() // 2, handle.height() // 2)
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(handle, start + QPoint(-120, 0))
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=start + QPoint(-120, 0))
    sizes = w.splitter.sizes()
    qtbot.waitUntil(lambda: qsettings.value("main/splitter") is not None, timeout=3000)
    w.close()
    again = _new_window(qtbot, case_ws, qsettings)
    assert again.splitter.sizes() == sizes


def test_filter_bars_stay_in_step(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    keys = _deadlines(window.workspace)
    window.refresh_queue()
    bar, panel = window.saved_filters, window.queue
    # A saved filter chosen from the bar: the queue's own boxes follow.
    index = bar.filters.findData("unassigned")
    bar.filters.setCurrentIndex(index)
    bar.filters.activated.emit(index)
    assert panel.status_filter.currentData() == "@open"
    assert panel.assignee_filter.currentData() == "unassigned"
    # The queue's own status box, used with the keyboard: the bar says what is shown.
    bar.apply("overdue")
    panel.status_filter.setFocus()
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("triage"))
    panel.status_filter.activated.emit(panel.status_filter.currentIndex())
    assert bar.filters.currentText() == "status:triage+overdue"
    assert _shown(window) == [keys["overdue"]]  # the triage case is the overdue one
    # Ctrl+5 is "Overdue", shown in View → Saved filters.
    action = window.filter_actions[4]
    assert action.shortcut().toString() == "Ctrl+5" and action.text() == "Overdue"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window.queue.table, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert bar.filters.currentData() == "open"
    assert panel.status_filter.currentData() == "@open"
    assert len(_shown(window)) == 4
    # Ctrl+6 is "Watch" (obligations others owe, issue 16); Ctrl+7 "All cases".
    qtbot.keyClick(window.queue.table, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert panel.status_filter.currentData() == ""  # All cases
    assert len(_shown(window)) == 6


def test_empty_result_says_so_and_the_detail_clears(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(1)
    assert window.detail.case_id
    assert not window.queue.empty.isVisible()
    qtbot.keyClicks(window.queue.search, "no such words anywhere")
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Return)
    assert window.model.rowCount() == 0
    assert window.queue.empty.isVisible()
    assert "All states" in window.queue.empty.text()
    assert window.detail.case_id == 0 and window.detail.detail is None
    window.queue.search.setFocus()
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Escape)
    assert window.model.rowCount() == 6 and not window.queue.empty.isVisible()
    # Sorting and filtering select the first row (and show it).
    assert window.detail.case_id == window.model.case_id(0)


def test_a_case_that_leaves_the_list_leaves_the_detail(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    key = window.detail.detail.key
    ws = window.workspace
    with ws.session() as s:
        cases.get_case(s, key).status = CaseStatus.CLOSED
    window.refresh_queue()
    assert key not in _shown(window)
    assert window.detail.detail is None


def _assignees(ws: Workspace) -> dict[str, str | None]:
    with ws.session() as s:
        rows = s.execute(
            select(Case.key, Analyst.name).outerjoin(Analyst, Analyst.id == Case.assignee_id)
        )
        return {key: name for key, name in rows}


def test_bulk_assign_asks_first_and_is_one_undo_step(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    bar = window.saved_filters
    before = _assignees(ws)
    bar.assignee.setCurrentIndex(bar.assignee.findData("bob"))
    depth = window.undo_stack.count()
    # Enter takes the default answer, which is No: nothing changes.
    seen = _answer_modal(qtbot, lambda d: qtbot.keyClick(d, Qt.Key.Key_Return))
    qtbot.mouseClick(bar.assign_all_button, Qt.MouseButton.LeftButton)
    assert seen == ["confirmBulkAssign", "Assign 6 cases to bob?"]
    assert _assignees(ws) == before and window.undo_stack.count() == depth
    # Yes assigns all six in one step, which one undo reverts.
    seen = _answer_modal(
        qtbot,
        lambda d: qtbot.mouseClick(
            d.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton
        ),
    )
    qtbot.mouseClick(bar.assign_all_button, Qt.MouseButton.LeftButton)
    assert seen[0] == "confirmBulkAssign"
    assert set(_assignees(ws).values()) == {"bob"}
    assert window.undo_stack.count() == depth + 1
    window.undo_stack.undo()
    assert _assignees(ws) == before


def test_unassigning_many_names_the_target(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    bar = window.saved_filters
    bar.assignee.setCurrentIndex(bar.assignee.findData(None))
    seen = _answer_modal(qtbot, lambda d: qtbot.keyClick(d, Qt.Key.Key_Escape))
    qtbot.mouseClick(bar.assign_all_button, Qt.MouseButton.LeftButton)
    assert seen[1] == "Assign 6 cases to (unassigned)?"


def _menu(window: MainWindow, row: int) -> QMenu:
    menu = window.queue.context_menu(row)
    assert menu is not None
    return menu


def _action(menu: QMenu, starts: str):  # type: ignore[no-untyped-def]
    for action in menu.actions():
        if action.text().replace("&", "").startswith(starts):
            return action
    raise AssertionError(f"no {starts!r} in {[a.text() for a in menu.actions()]}")


def test_row_context_menu(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    table = window.queue.table
    # A right click on a row opens the menu for it.
    rect = table.visualRect(window.model.index(2, 0))
    table.customContextMenuRequested.emit(rect.center())
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=2000)
    popup = QApplication.activePopupWidget()
    assert popup.objectName() == "queueContextMenu"
    popup.close()
    key = window.model.queue_row(2).key
    assert window.detail.detail.key == key

    _action(_menu(window, 2), "Copy key").trigger()
    assert QGuiApplication.clipboard().text() == key

    _action(_menu(window, 2), "Assign to me").trigger()
    assert _assignees(ws)[key] == "alice"
    window.undo_stack.undo()
    assert _assignees(ws)[key] is None

    # Move to… asks why, then moves the case (and Undo moves it back).
    state = window.model.queue_row(2).status
    move = _action(_menu(window, 2), "Move to").menu()
    target = next(a for a in move.actions() if a.data() == "rejected")

    def give_reason(dialog: QWidget) -> None:
        assert isinstance(dialog, QInputDialog)
        qtbot.keyClicks(dialog.findChild(type(window.queue.search)), "spam report")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    _answer_modal(qtbot, give_reason)
    target.trigger()
    with ws.session() as s:
        assert cases.detail(s, key).status == "rejected"
    assert key not in _shown(window)  # rejected is not open
    window.undo_stack.undo()
    with ws.session() as s:
        assert cases.detail(s, key).status == state


def test_assign_several_to_me_is_one_undo_step(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    table = window.queue.table
    for row in range(3):
        modifier = Qt.KeyboardModifier.ControlModifier if row else Qt.KeyboardModifier.NoModifier
        rect = table.visualRect(window.model.index(row, 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
    keys = window.queue.selected_keys()
    assert len(keys) == 3
    depth = window.undo_stack.count()
    _action(_menu(window, 0), "Assign 3 cases to me").trigger()
    assert all(_assignees(ws)[k] == "alice" for k in keys)
    assert window.undo_stack.count() == depth + 1
    window.undo_stack.undo()
    assert all(_assignees(ws)[k] is None for k in keys)


def test_about_and_status_bar(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from app import about

    text = window.about_text()
    assert f"Version {about.version()}" in text
    assert about.version() != "unknown"
    revision = about.schema_revision(window.workspace)
    assert revision and f"Schema revision: {revision}" in text
    assert "Workspace: " in text
    assert window.analyst_label.text() == "Unlocked by alice · coordinator"
