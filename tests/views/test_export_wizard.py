"""The export wizard, driven page by page: cases, partners, TLP, preview, export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWizard
from sqlalchemy import insert, select

from app.casework import cases
from app.exchange import keys, partners
from app.workspaces.lifecycle import Workspace
from models import Attachment, AuditEvent, Bundle, Case, CaseSearch
from tests.app.exchange.conftest import Org, make_org
from views.exchange.export_wizard import ExportWizard


@pytest.fixture
def partner_b() -> Iterator[Org]:
    org = make_org("CERT-B")
    yield org
    org.ws.engine.dispose()


@pytest.fixture
def exporting_ws(ws: Workspace, partner_b: Org) -> Workspace:
    actor = ws.require_actor()
    with ws.session() as s:
        keys.generate(s, actor)
        partners.add_partner(s, actor, "CERT-B", "DE", "Europe/Berlin", partner_b.certificate)
        partners.verify_partner(s, actor, "CERT-B", partner_b.fingerprint)
        case = cases.create_case(s, actor, "Model weights exfiltrated through a plugin")
        s.add(
            Attachment(
                case_id=case.id,
                filename="poc.py",
                content=b"print(1)",
                sha256="3" * 64,
                size=8,
                hazardous=True,
                hazard_kind="working exploit",
            )
        )
        s.add(
            Attachment(
                case_id=case.id, filename="timeline.txt", content=b"t", sha256="4" * 64, size=1
            )
        )
        c = make_org("CERT-C")
        partners.add_partner(s, actor, "CERT-C", "FR", "Europe/Paris", c.certificate)
        c.ws.engine.dispose()
    return ws


def _wizard(qtbot, ws: Workspace, **kw: Any) -> ExportWizard:  # type: ignore[no-untyped-def]
    wizard = ExportWizard(lambda: ws, **kw)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _tick(qtbot, wizard: ExportWizard, row: int) -> None:  # type: ignore[no-untyped-def]
    """Tick a case as a user does: go to its row and press Space."""
    view = wizard.cases_page.list
    view.setFocus()
    view.setCurrentIndex(wizard.cases_page.model.index(row))
    qtbot.keyClick(view, Qt.Key.Key_Space)


def test_export_through_the_wizard(qtbot, exporting_ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = exporting_ws
    wizard = _wizard(qtbot, ws)
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    assert not nxt.isEnabled()  # no case chosen yet
    _tick(qtbot, wizard, 0)
    assert wizard.cases_page.count.text() == "1 case ticked: ACC-2026-0001"
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    plist = wizard.partners_page.list
    texts = [plist.item(i).text() for i in range(plist.count())]
    assert texts == ["CERT-B", "CERT-C (not verified)"]
    assert not plist.item(1).flags() & Qt.ItemFlag.ItemIsEnabled
    plist.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.tlp.setCurrentText("RED")
    assert "named recipients" in wizard.tlp_help.text()
    assert wizard.hazards.count() == 1 and "poc.py" in wizard.hazards.item(0).text()
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    files = [wizard.files.item(r, 0).text() for r in range(wizard.files.rowCount())]
    assert any(f.endswith("timeline.txt") for f in files)
    assert "manifest.json" in files and "manifest.json.asc" in files
    assert not any("poc" in f for f in files)
    assert "poc.py" in wizard.excluded.text()
    assert "1 hazardous attachment is not sent" in wizard.excluded.text()
    assert "encrypted" in wizard.summary.text()
    out = tmp_path / "red.zip.gpg"
    wizard.out.setText(str(out))
    with qtbot.waitSignal(wizard.exported, timeout=10000):
        qtbot.mouseClick(
            wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton
        )
    assert out.exists() and not out.read_bytes().startswith(b"PK")
    with ws.session() as s:
        bundle = s.scalar(select(Bundle).where(Bundle.direction == "out"))
        assert bundle is not None and bundle.tlp == "RED"
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.export"))
        assert ev is not None and ev.details["excluded_attachments"]


def test_hazardous_attachment_included_one_by_one(
    qtbot,
    exporting_ws: Workspace,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    ws = exporting_ws
    with ws.session() as s:
        key = s.scalar(select(Case.key))
    assert key is not None
    wizard = ExportWizard(lambda: ws, case_keys=[key])
    qtbot.addWidget(wizard)
    wizard.show()
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.partners_page.list.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.hazards.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    files = [wizard.files.item(r, 0).text() for r in range(wizard.files.rowCount())]
    assert any(f.endswith("poc.py") for f in files)
    assert wizard.excluded.text() == ""
    # GREEN refuses a hazardous attachment: the preview says why and Export stays off
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
    wizard.tlp.setCurrentText("GREEN")
    wizard.hazards.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert "encrypted bundle" in wizard.summary.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


def test_trust_rule_refusal_shows_in_the_preview(qtbot, exporting_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from app import deadlines

    ws = exporting_ws
    with ws.session() as s:
        key = s.scalar(select(Case.key))
        assert key is not None
        until = datetime.now(UTC) + timedelta(days=30)
        deadlines.set_fact(s, ws.require_actor(), key, "embargo-until", until)
    wizard = ExportWizard(lambda: ws, case_keys=[key])
    qtbot.addWidget(wizard)
    wizard.show()
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.partners_page.list.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.tlp.setCurrentText("AMBER")
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert "under embargo" in wizard.summary.text() and "sharing list" in wizard.summary.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()


@pytest.mark.parametrize("language", ["en", "ar", "ja"])
@pytest.mark.parametrize("size", [(1366, 768), (1440, 900)])
def test_export_wizard_screenshot(  # type: ignore[no-untyped-def]
    qtbot, exporting_ws: Workspace, tmp_path: Path, language: str, size: tuple[int, int]
) -> None:
    from views.shell.language import switch_language

    switch_language(language)
    try:
        wizard = _wizard(qtbot, exporting_ws)
        wizard.resize(int(size[0] * 0.6), int(size[1] * 0.7))
        _tick(qtbot, wizard, 0)
        for page in ("cases", "partners"):
            out = tmp_path / f"export_wizard-{page}-{language}-{size[0]}.png"
            assert wizard.grab().save(str(out))
            assert out.stat().st_size > 1000
            wizard.next()
        wizard.partners_page.list.item(0).setCheckState(Qt.CheckState.Checked)
        wizard.next()
        wizard.next()
        out = tmp_path / f"export_wizard-preview-{language}-{size[0]}.png"
        assert wizard.grab().save(str(out))
        assert out.stat().st_size > 1000
    finally:
        switch_language("en")


def _many_cases(ws: Workspace, n: int) -> None:
    """``n`` cases inserted in bulk (the wizard reads, it does not care how they came)."""
    at = datetime(2025, 3, 1, tzinfo=UTC)
    with ws.session() as s:
        start = int(s.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0)
        rows = [
            {"id": start + i, "key": f"ACC-2025-{i:04d}", "year": 2025, "number": i,
             "title": f"Bulk case {i}" + (" gradient inversion" if i == 7 else ""),
             "description": "", "status": "triage", "partners_label": "",
             "created_at": at, "updated_at": at}
            for i in range(1, n + 1)
        ]  # fmt: skip
        s.execute(insert(Case), rows)
        s.execute(
            insert(CaseSearch),
            [{"case_id": r["id"], "document": f"{r['key']}\n{r['title']}"} for r in rows],
        )


def test_case_list_searches_every_case_fetching_pages(qtbot, exporting_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """No 1,000 cap: every case can be found (SQL search) and the list fills as it scrolls."""
    ws = exporting_ws
    _many_cases(ws, 1200)
    wizard = _wizard(qtbot, ws)
    page, model = wizard.cases_page, wizard.cases_page.model
    assert len(model.ids) == 1201 and page.matches.text() == "1,201 cases"
    assert model.rowCount() == 200  # only the first page is fetched
    page.list.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > 200)
    # The oldest case, far beyond the old newest-1,000 cut, is found by typing its key.
    qtbot.keyClicks(page.search, "ACC-2025-0001")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert model.ids and model.choice(0) is not None
    assert model.choice(0).key == "ACC-2025-0001"  # type: ignore[union-attr]
    _tick(qtbot, wizard, 0)
    # Words search the same index as the queue; ticks survive a new search.
    page.search.clear()
    qtbot.keyClicks(page.search, "gradient inversion")
    qtbot.waitUntil(lambda: model.text == "gradient inversion", timeout=2000)  # as typing pauses
    assert len(model.ids) == 1
    assert model.choice(0).key == "ACC-2025-0007"  # type: ignore[union-attr]
    _tick(qtbot, wizard, 0)
    assert page.count.text() == "2 cases ticked: ACC-2025-0001, ACC-2025-0007"
    assert page.values() == ["ACC-2025-0001", "ACC-2025-0007"]
    page.search.clear()
    qtbot.keyClicks(page.search, "no such words anywhere")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert model.rowCount() == 0 and "Clear the search" in page.matches.text()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()  # two still ticked


def test_case_model_passes_the_model_tester(qtmodeltester, exporting_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    from views.exchange.export_cases import CaseChoiceModel

    _many_cases(exporting_ws, 250)
    model = CaseChoiceModel(lambda: exporting_ws)
    model.search("")
    qtmodeltester.check(model)


def test_queue_selection_is_pre_ticked_and_a_bundle_written(
    qtbot, exporting_ws: Workspace, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ws = exporting_ws
    _many_cases(ws, 30)
    chosen = ["ACC-2025-0003", "ACC-2025-0004"]
    wizard = _wizard(qtbot, ws, selection=lambda: chosen)
    assert wizard.cases_page.values() == chosen
    assert wizard.cases_page.count.text() == "2 cases ticked: ACC-2025-0003, ACC-2025-0004"
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert wizard.partners_help.isHidden()  # CERT-B is verified: nothing to explain
    wizard.partners_page.list.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    wizard.tlp.setCurrentText("GREEN")
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    out = tmp_path / "green.zip"
    wizard.out.setText(str(out))
    with qtbot.waitSignal(wizard.exported, timeout=10000):
        qtbot.mouseClick(
            wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton
        )
    assert out.read_bytes().startswith(b"PK")
    with ws.session() as s:
        bundle = s.scalar(select(Bundle).where(Bundle.direction == "out"))
        assert bundle is not None and bundle.tlp == "GREEN"
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.export"))
        assert ev is not None and sorted(ev.details["cases"]) == chosen


def test_no_verified_partner_says_what_to_do(qtbot, ws: Workspace, partner_b: Org) -> None:  # type: ignore[no-untyped-def]
    actor = ws.require_actor()
    with ws.session() as s:
        keys.generate(s, actor)
        partners.add_partner(s, actor, "CERT-B", "DE", "Europe/Berlin", partner_b.certificate)
        cases.create_case(s, actor, "Prompt injection through a calendar invite")
    wizard = _wizard(qtbot, ws)
    opened: list[bool] = []
    wizard.partners_requested.connect(lambda: opened.append(True))
    _tick(qtbot, wizard, 0)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    help_text = wizard.partners_help.text()
    assert not wizard.partners_help.isHidden()
    assert "Verify CERT-B's fingerprint in Tools → Partners" in help_text
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.mouseClick(wizard.open_partners, Qt.MouseButton.LeftButton)
    assert opened == [True]
    # Verified meanwhile (in the Partners screen): "Check again" makes CERT-B choosable.
    with ws.session() as s:
        partners.verify_partner(s, actor, "CERT-B", partner_b.fingerprint)
    qtbot.mouseClick(
        wizard.findChild(QPushButton, "exportRecheckPartners"), Qt.MouseButton.LeftButton
    )
    assert wizard.partners_help.isHidden() and wizard.open_partners.isHidden()
    item = wizard.partners_page.list.item(0)
    assert item.text() == "CERT-B" and item.flags() & Qt.ItemFlag.ItemIsEnabled


def test_partner_help_texts() -> None:
    from views.exchange.export_wizard import partner_help

    assert "No partner CERT is registered" in partner_help([])
