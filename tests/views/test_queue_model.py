"""The queue model and panel: model contract, SQL sort order, filters, search, selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt
from sqlalchemy import select

from app.casework import cases
from app.queueing import queue
from app.queueing.queue import COLUMN_KEYS, QueueQuery
from models import Analyst, Case, CaseStatus
from views.queue.model import Formatter, QueueModel


def _keys(model: QueueModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester, case_ws) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel(case_ws)
    model.refresh()
    assert model.rowCount() == 6
    qtmodeltester.check(model, force_py=True)


def test_sort_by_each_column_matches_sql_order(case_ws) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel(case_ws)
    model.refresh()
    for key in queue.SORTABLE:
        column = COLUMN_KEYS.index(key)
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            model.sort(column, order)
            desc = order == Qt.SortOrder.DescendingOrder
            with case_ws.session() as s:
                expected = queue.ids(s, QueueQuery(sort=key, descending=desc))
            assert [model.case_id(r) for r in range(model.rowCount())] == expected, key


def test_sort_by_title_reorders_rows(case_ws) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel(case_ws)
    model.refresh()
    before = [model.index(r, 1).data() for r in range(model.rowCount())]
    model.sort(1, Qt.SortOrder.AscendingOrder)
    titles = [model.index(r, 1).data() for r in range(model.rowCount())]
    with case_ws.session() as s:
        sql = list(s.scalars(select(Case.title).order_by(Case.title, Case.id)))
    assert titles == sql
    assert titles != before
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == sql[::-1]


def test_display_formats_status_age_and_deadline(case_ws) -> None:  # type: ignore[no-untyped-def]
    with case_ws.session() as s:
        case = s.scalar(select(Case).where(Case.status == CaseStatus.NEEDS_INFO).limit(1))
        case = case or s.scalar(select(Case).order_by(Case.id).limit(1))
        case.next_deadline_utc = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        case.tier = "High"
        case.status = CaseStatus.NEEDS_INFO
    model = QueueModel(case_ws, Formatter("de", "Europe/Berlin"))
    model.now = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    model.set_query(QueueQuery(statuses=("needs-info",)))
    assert model.rowCount() == 1
    row = {k: model.index(0, c).data() for c, k in enumerate(COLUMN_KEYS)}
    assert row["status"] == "needs info"
    assert row["tier"] == "High"
    assert row["next_deadline"] == "due in 3 d"
    # The exact time, in the analyst's zone with its name, and in UTC (Berlin is UTC+1).
    tip = model.index(0, COLUMN_KEYS.index("next_deadline")).data(Qt.ItemDataRole.ToolTipRole)
    assert "01.12.2026, 10:30:00 (Europe/Berlin) · 09:30 UTC" in tip
    assert "Tag" in row["age"] or "Woche" in row["age"] or "Monat" in row["age"]


def test_rows_are_fetched_by_page_and_the_cache_is_bounded(ws) -> None:  # type: ignore[no-untyped-def]
    actor = ws.require_actor()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with ws.session() as s:
        for i in range(450):
            cases.create_case(s, actor, f"case {i:03d}", created_at=start + timedelta(minutes=i))
    model = QueueModel(ws, cache_size=200)
    model.refresh()
    assert model.rowCount() == 450
    assert model.index(0, 0).data() == "ACC-2026-0001"
    assert model.queries == 1
    assert model.index(199, 1).data() == "case 199"
    assert model.queries == 1  # the same page
    assert model.index(449, 1).data() == "case 449"
    assert model.queries == 2
    assert model.cached_rows() <= 200
    assert model.index(0, 1).data() == "case 000"
    assert model.queries == 3


def test_status_filter_from_the_panel(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.queue
    combo = panel.status_filter
    combo.setCurrentIndex(combo.findData("new"))
    combo.activated.emit(combo.currentIndex())
    with window.workspace.session() as s:
        expected = list(
            s.scalars(select(Case.key).where(Case.status == CaseStatus.NEW).order_by(Case.id))
        )
    assert sorted(_keys(window.model)) == expected  # most urgent first, not by key
    assert len(expected) == 2
    assert panel.count_label.text() == "2 cases"
    combo.setCurrentIndex(combo.findData("@open"))
    combo.activated.emit(combo.currentIndex())
    assert window.model.rowCount() == 6


def test_assignee_filter(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    with ws.session() as s:
        key = s.scalar(select(Case.key).order_by(Case.id).limit(1))
        cases.assign(s, ws.require_actor(), key, "bob")
    window.refresh_queue()
    combo = window.queue.assignee_filter
    combo.setCurrentIndex(combo.findData("bob"))
    combo.activated.emit(combo.currentIndex())
    assert _keys(window.model) == [key]
    combo.setCurrentIndex(combo.findData("unassigned"))
    combo.activated.emit(combo.currentIndex())
    assert window.model.rowCount() == 5


def test_search_box_is_debounced_full_text(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    panel = window.queue
    qtbot.keyClicks(panel.search, "pickle")
    assert window.model.rowCount() == 6  # not yet: debounced
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=2000)
    assert "pickle" in window.model.index(0, 1).data()
    assert window.model.query.text == "pickle"
    panel.search.clear()
    qtbot.keyClicks(panel.search, "Details of: Jailbreak")
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)  # Enter searches at once
    assert window.model.rowCount() == 1
    assert "Jailbreak" in window.model.index(0, 1).data()
    assert window.queue.table.hasFocus() or not window.isActiveWindow()


def test_selecting_a_row_shows_its_detail(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    model = window.model
    window.queue.table.selectRow(2)
    key = model.index(2, 0).data()
    assert window.detail.detail is not None
    assert window.detail.detail.key == key
    assert key in window.detail.heading.text()
    with window.workspace.session() as s:
        assert window.detail.history.rowCount() == len(cases.history(s, key))
    assert window.detail.history.item(0, 2).text() == "opened"


def test_keyboard_navigation_moves_the_selection(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    table = window.queue.table
    window.queue.select_row(0)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert window.queue.selected_case_id() == window.model.case_id(2)
    assert window.detail.detail is not None
    assert window.detail.detail.id == window.model.case_id(2)
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.selected_case_id() == window.model.case_id(5)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.queue.search.hasFocus()
    qtbot.keyClicks(window.queue.search, "pickle")
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Return)
    assert window.model.rowCount() == 1 and table.hasFocus()
    window.queue.search.setFocus()
    qtbot.keyClick(window.queue.search, Qt.Key.Key_Escape)
    assert window.queue.search.text() == "" and window.model.rowCount() == 6


def test_sort_selects_the_first_row(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """After a sort the top of the list is in view and selected, not the old selection."""
    window.queue.select_row(4)
    window.queue.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert window.model.query.sort == "title" and window.model.query.descending
    assert window.queue.selected_case_id() == window.model.case_id(0)
    assert window.detail.case_id == window.model.case_id(0)
    assert window.queue.table.verticalScrollBar().value() == 0
    assert window.model.rowCount(QModelIndex()) == 6


def test_assignee_sort_uses_analyst_names(case_ws) -> None:  # type: ignore[no-untyped-def]
    with case_ws.session() as s:
        keys = list(s.scalars(select(Case.key).order_by(Case.id)))
        cases.assign(s, case_ws.require_actor(), keys[0], "carol")
        cases.assign(s, case_ws.require_actor(), keys[1], "bob")
        assert s.scalar(select(Analyst.id).where(Analyst.name == "bob")) is not None
    model = QueueModel(case_ws)
    model.refresh()
    model.sort(COLUMN_KEYS.index("assignee"), Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 0).data() for r in range(2)] == [keys[1], keys[0]]
