"""The case view and the administration screens render offscreen at 1366x768 and 1440x900 in
English, Arabic (right to left) and Japanese. ``ACCORD_SHOTS=DIR`` keeps the images to look at."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from app import trust
from app.casework import embargo, reporters
from app.deadlines import service as dl
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from models import Case, Partner
from views.admin.analysts_screen import AnalystsScreen
from views.admin.audit_screen import AuditScreen
from views.admin.backup_screen import BackupScreen
from views.case.scope_panel import ScopePanel
from views.deadlines.panel import DeadlinesPanel
from views.impact.impact_panel import ImpactPanel
from views.severity.assessment_panel import AssessmentPanel
from views.shell.language import switch_language

SIZES = [(1366, 768), (1440, 900)]
LANGUAGES = ["en", "ar", "ja"]


@pytest.fixture
def catalogs() -> None:
    compile_catalogs()
    reload_catalogs()


def _out(tmp_path: Path) -> Path:
    out = Path(os.environ.get("ACCORD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000


def _dress(window) -> str:  # type: ignore[no-untyped-def]
    """Give the first case what the header shows: TLP, embargo, reporter, jurisdictions,
    a partner on its sharing list."""
    ws = window.workspace
    actor = ws.require_actor()
    window.queue.select_row(0)
    key = window.detail.detail.key
    with ws.session() as s:
        s.add(Partner(name="CERT-EE", country="EE"))
        s.flush()
        trust.raise_tlp(s, actor, key, "AMBER")
        trust.share(s, actor, key, "CERT-EE", False)
        dl.set_jurisdictions(s, actor, key, ["EU", "JP"], [])
        rid = reporters.add(s, actor, "nightjar", credit_preference="Nightjar Labs")
        case = s.query(Case).filter_by(key=key).one()
        case.reporter_id = rid
    with ws.session() as s:
        embargo.set_embargo(s, actor, key, datetime.now(UTC) + timedelta(days=5, hours=3))
    window.refresh_queue()
    return key


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_case_view_and_admin_screens(qtbot, catalogs, window, tmp_path, language, size) -> None:  # type: ignore[no-untyped-def]
    _dress(window)
    switch_language(language)
    try:
        _render(qtbot, window, _out(tmp_path), language, size)
    finally:
        switch_language("en")  # while the workspace is still open: tabs retranslate


def _render(qtbot, window, out: Path, language: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    window.resize(*size)
    window.splitter.setSizes([size[0] * 2 // 5, size[0] * 3 // 5])
    stem = f"{language}-{size[0]}x{size[1]}"
    for kind in (ScopePanel, AssessmentPanel, DeadlinesPanel, ImpactPanel):
        tab = next(w for w in window.detail.feature_tabs if isinstance(w, kind))
        window.detail.tabs.setCurrentWidget(tab)
        _save(window, out / f"case-{kind.__name__}-{stem}.png")

    window.open_new_case()
    dialog = window.new_case_dialog
    dialog.title.setText("Model weights exfiltrated through a tool call")
    _save(dialog, out / f"new-case-{stem}.png")
    dialog.reject()

    analysts = window.open_tool(window.analysts_action)
    assert isinstance(analysts, AnalystsScreen)
    analysts.resize(size[0] // 2, size[1] * 2 // 3)
    _save(analysts, out / f"analysts-{stem}.png")

    backup = window.open_tool(window.backup_action)
    assert isinstance(backup, BackupScreen)
    _save(backup, out / f"backup-{stem}.png")

    audit = window.open_tool(window.audit_action)
    assert isinstance(audit, AuditScreen)
    audit.verify()
    qtbot.waitUntil(lambda: audit.report is not None, timeout=30000)
    _save(audit, out / f"audit-{stem}.png")
