"""The queue's search box finds a case by a CVE id, a document id or a purl."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.intake import import_paths
from tests.app.intake.helpers import write_json
from tests.app.test_search import CVE, DOC_ID, PURL, advisory


def test_typing_a_cve_id_in_the_search_box_finds_its_case(  # type: ignore[no-untyped-def]
    qtbot, window, case_ws, tmp_path: Path
) -> None:
    assert import_paths(case_ws, [write_json(tmp_path / "hlx.json", advisory())]).imported == 1
    window.refresh_queue()
    assert window.model.rowCount() == 7
    panel = window.queue
    qtbot.keyClicks(panel.search, CVE)
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=3000)
    assert window.model.index(0, 1).data() == "Tool-call injection in the gateway's router"
    for text in (DOC_ID, PURL):
        panel.search.clear()
        qtbot.keyClicks(panel.search, text)
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
        assert window.model.rowCount() == 1, text
    panel.search.clear()
    qtbot.keyClicks(panel.search, "CVE-2026-99999")
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert window.model.rowCount() == 0
