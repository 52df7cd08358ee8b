"""The Affected & identifiers and Notes tabs and the Merge tool, driven as a user would, with
the result checked in the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget
from sqlalchemy import select

from app.casework import affected, cases, identifiers, merging, notes
from app.workspaces.lifecycle import Workspace
from i18n import _
from models import AuditEvent, Case, CaseStatus, Report
from views.case.editing import AffectedPanel, MergePanel, NotesPanel


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return item.text()


def _first_key(ws: Workspace) -> str:
    with ws.session() as s:
        return str(s.scalar(select(Case.key).order_by(Case.id).limit(1)))


def _case_id(ws: Workspace, key: str) -> int:
    with ws.session() as s:
        return cases.get_case(s, key).id


def _actions(ws: Workspace, key: str) -> list[str]:
    with ws.session() as s:
        return list(
            s.scalars(
                select(AuditEvent.action).where(AuditEvent.case_key == key).order_by(AuditEvent.seq)
            )
        )


def test_identifiers_and_products_edited_from_the_tab(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = case_ws
    key = _first_key(ws)
    panel = AffectedPanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    panel.show()
    panel.id_type.setCurrentIndex(panel.id_type.findData("cve"))
    qtbot.keyClicks(panel.id_value, "cve-2026-41234")
    qtbot.keyClick(panel.id_value, Qt.Key.Key_Return)
    assert panel.ids.rowCount() == 1 and _text(panel.ids, 0, 1) == "CVE-2026-41234"
    qtbot.keyClicks(panel.id_value, "CVE-26-1")  # malformed: refused, said so, nothing stored
    qtbot.mouseClick(panel.id_add, Qt.MouseButton.LeftButton)
    assert "not a CVE id" in panel.error.text() and panel.ids.rowCount() == 1

    qtbot.keyClicks(panel.name, "Portico LLM Gateway")
    qtbot.keyClicks(panel.vendor, "Helix")
    panel.version_kind.setCurrentIndex(panel.version_kind.findData("range"))
    qtbot.keyClicks(panel.version_text, "3.2.0 - 3.4.1")
    qtbot.keyClicks(panel.purl, "pkg:pypi/portico@3.4.1")
    qtbot.mouseClick(panel.product_add, Qt.MouseButton.LeftButton)
    assert panel.error.text() == ""
    assert panel.products.rowCount() == 1
    assert _text(panel.products, 0, 3) == "vers:pypi/>=3.2.0|<=3.4.1"
    with ws.session() as s:
        case = cases.get_case(s, key)
        assert [i.value for i in identifiers.of_case(s, case)] == ["CVE-2026-41234"]
        [product] = affected.of_case(s, case)
        assert (product.name, product.vendor) == ("Portico LLM Gateway", "Helix")

    panel.products.selectRow(0)
    qtbot.mouseClick(panel.product_remove, Qt.MouseButton.LeftButton)
    panel.ids.selectRow(0)
    qtbot.mouseClick(panel.id_remove, Qt.MouseButton.LeftButton)
    assert panel.products.rowCount() == 0 and panel.ids.rowCount() == 0
    acts = _actions(ws, key)
    for action in (
        "case.identifier.add", "case.affected.add", "case.affected.remove",
        "case.identifier.remove",
    ):  # fmt: skip
        assert action in acts

    qtbot.keyClicks(panel.embargo_edit, "2099-01-15T09:00Z")
    qtbot.mouseClick(panel.embargo_set, Qt.MouseButton.LeftButton)
    assert "1/15/2099, 9:00\u202fAM UTC" in panel.trust_label.text()  # the reader's zone
    with ws.session() as s:
        assert cases.get_case(s, key).embargo_until is not None


def _headers(table: QTableWidget) -> list[str]:
    return [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]


def _row(table: QTableWidget, row: int) -> list[str]:
    return [_text(table, row, c) for c in range(table.columnCount())]


def test_identifiers_are_shown_whole_in_a_narrow_pane(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The identifier column takes the width an analyst needs to read a GHSA id whole; the
    scheme and the origin columns only what their words need."""
    ws = case_ws
    key = _first_key(ws)
    panel = AffectedPanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    panel.resize(440, 600)  # the case pane beside the queue at 1366x768
    panel.show()
    panel.id_type.setCurrentIndex(panel.id_type.findData("ghsa"))
    qtbot.keyClicks(panel.id_value, "GHSA-qcp4-725w-4jx9")
    qtbot.keyClick(panel.id_value, Qt.Key.Key_Return)
    assert panel.error.text() == ""
    shown = _text(panel.ids, 0, 1)
    assert shown == "GHSA-QCP4-725W-4JX9"
    needed = panel.ids.fontMetrics().horizontalAdvance(shown)
    assert panel.ids.columnWidth(1) > needed
    assert panel.ids.columnWidth(1) > max(panel.ids.columnWidth(0), panel.ids.columnWidth(2))
    with ws.session() as s:
        assert [i.value for i in identifiers.of_case(s, cases.get_case(s, key))] == [shown]


def test_products_shown_without_ids_and_removed_by_row(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """No database id on screen: each row says what the product is, and Remove takes the row
    the analyst selected (the tab maps rows to products itself)."""
    ws = case_ws
    key = _first_key(ws)
    panel = AffectedPanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    panel.show()
    for name, version in (("Portico LLM Gateway", "3.4.1"), ("Portico Admin Console", "1.2")):
        qtbot.keyClicks(panel.name, name)
        qtbot.keyClicks(panel.vendor, "Helix")
        qtbot.keyClicks(panel.version_text, version)
        panel.kind.setCurrentIndex(panel.kind.findData("model"))
        qtbot.mouseClick(panel.product_add, Qt.MouseButton.LeftButton)
        assert panel.error.text() == ""
    with ws.session() as s:
        ids = [str(p.id) for p in affected.of_case(s, cases.get_case(s, key))]

    assert _headers(panel.products) == [
        "Kind", "Vendor", "Name", "Version or range", "Hash", "Package URL",
    ]  # fmt: skip
    kind = _(affected.KIND_LABELS["model"])
    assert _row(panel.products, 0) == [kind, "Helix", "Portico LLM Gateway", "3.4.1", "—", "—"]
    assert _row(panel.products, 1) == [kind, "Helix", "Portico Admin Console", "1.2", "—", "—"]
    shown = {_text(panel.products, r, c) for r in range(2) for c in range(6)}
    assert not shown & set(ids)

    panel.products.selectRow(1)
    qtbot.mouseClick(panel.product_remove, Qt.MouseButton.LeftButton)
    assert panel.error.text() == ""
    assert [_text(panel.products, r, 2) for r in range(panel.products.rowCount())] == [
        "Portico LLM Gateway"
    ]
    with ws.session() as s:
        left = affected.of_case(s, cases.get_case(s, key))
    assert [(p.name, p.version) for p in left] == [("Portico LLM Gateway", "3.4.1")]


def test_an_edit_from_a_stale_tab_is_refused_and_reloaded(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = case_ws
    key = _first_key(ws)
    panel = AffectedPanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    with ws.session() as s:  # a colleague adds one meanwhile
        identifiers.add(s, ws.require_actor(), key, "cwe", "CWE-1427")
    qtbot.keyClicks(panel.id_value, "CVE-2026-41234")
    qtbot.mouseClick(panel.id_add, Qt.MouseButton.LeftButton)
    assert "changed by" in panel.error.text()
    assert [_text(panel.ids, r, 1) for r in range(panel.ids.rowCount())] == ["CWE-1427"]


def test_notes_timeline_internal_and_shared(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = case_ws
    key = _first_key(ws)
    panel = NotesPanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    qtbot.keyClicks(panel.text, "Called the vendor's PSIRT")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.text, "Fix confirmed in 3.4.2")
    panel.shared.setChecked(True)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.timeline.count() == 2
    assert "internal" in panel.timeline.item(0).text()
    assert "shared" in panel.timeline.item(1).text()
    assert panel.text.toPlainText() == "" and not panel.shared.isChecked()
    with ws.session() as s:
        got = notes.of_case(s, cases.get_case(s, key))
    assert [(n.text, n.shared) for n in got] == [
        ("Called the vendor's PSIRT", False),
        ("Fix confirmed in 3.4.2", True),
    ]


def test_merge_tool_fits_a_long_report_title(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A report's title is the reporter's text: a long one does not widen the Merge window
    past a 1366 px screen (the report list sized itself to it); the list shows it whole."""
    ws = case_ws
    key = _first_key(ws)
    title = "Prompt injection through a calendar invite " * 8
    with ws.session() as s:
        s.add(Report(case_id=cases.get_case(s, key).id, title=title))
    panel = MergePanel(ws, _case_id(ws, key))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.report.itemText(0).endswith(title)
    assert panel.minimumSizeHint().width() <= 1366
    assert panel.report.width() <= 1366


def test_merge_with_preview_then_split_and_link(qtbot, case_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = case_ws
    with ws.session() as s:
        keys = list(s.scalars(select(Case.key).order_by(Case.id)))
        for k in keys[:2]:
            s.add(Report(case_id=cases.get_case(s, k).id, title=f"report of {k}"))
    src, dst = keys[0], keys[1]
    panel = MergePanel(ws, _case_id(ws, src))
    qtbot.addWidget(panel)
    qtbot.keyClicks(panel.target, dst)
    assert not panel.merge_button.isEnabled()  # preview first
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    assert "moves 1 reports" in panel.plan.toPlainText()
    assert panel.merge_button.isEnabled()
    with ws.session() as s:
        assert cases.get_case(s, src).status != CaseStatus.DUPLICATE  # preview changed nothing
    qtbot.keyClicks(panel.reason, "same report twice")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert cases.get_case(s, src).status == CaseStatus.DUPLICATE
        assert merging.merged_into(s, cases.get_case(s, src)) == dst

    with qtbot.waitSignal(panel.changed):  # undone, and merged again
        qtbot.mouseClick(panel.unmerge_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert cases.get_case(s, src).status != CaseStatus.DUPLICATE
    qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.merge_button, Qt.MouseButton.LeftButton)

    panel.set_case(_case_id(ws, dst))
    assert panel.report.count() == 2
    panel.report.setCurrentIndex(0)
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.split_button, Qt.MouseButton.LeftButton)
    assert "new case" in panel.status.text()
    assert panel.report.count() == 1
    with ws.session() as s:
        linked = merging.links_of(s, cases.get_case(s, dst))
    assert len(linked) == 1  # the split-off case is linked back


def test_tabs_and_tool_in_the_main_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    tabs = window.detail.tabs
    # "&&" shows one "&" (a single one would underline the next letter).
    titles = [tabs.tabText(i).replace("&&", "&") for i in range(tabs.count())]
    assert "Affected & identifiers" in titles and "Notes" in titles
    panel = window.open_tool(window.merge_action)
    assert isinstance(panel, MergePanel)
    assert panel.case_key == window.detail.detail.key


def test_screenshot(qtbot, case_ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = case_ws
    key = _first_key(ws)
    with ws.session() as s:
        actor = ws.require_actor()
        identifiers.add(s, actor, key, "cve", "CVE-2026-41234")
        identifiers.add(s, actor, key, "vendor", "HLX-SA-2026-017")
        affected.add(s, actor, key, name="Portico LLM Gateway", vendor="Helix",
                     version_range="3.2.0 - 3.4.1", purl="pkg:pypi/portico")  # fmt: skip
        notes.add(s, actor, key, "Vendor acknowledged", shared=True)
    for kind, name in ((AffectedPanel, "affected"), (NotesPanel, "notes")):
        panel = kind(ws, _case_id(ws, key))
        qtbot.addWidget(panel)
        panel.resize(1000, 700)
        panel.show()
        qtbot.waitExposed(panel)
        out = tmp_path / f"case_{name}.png"
        assert panel.grab().save(str(out))
        assert out.stat().st_size > 0
