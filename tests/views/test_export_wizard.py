"""The export wizard, driven page by page: cases, partners, TLP, preview, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import select

from app import cases
from app.exchange import keys, partners
from app.workspace import Workspace
from models import Attachment, AuditEvent, Bundle, Case
from tests.app.exchange.conftest import Org, make_org
from views.export_wizard import ExportWizard


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


def _wizard(qtbot, ws: Workspace) -> ExportWizard:  # type: ignore[no-untyped-def]
    wizard = ExportWizard(lambda: ws)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_export_through_the_wizard(qtbot, exporting_ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = exporting_ws
    wizard = _wizard(qtbot, ws)
    nxt = wizard.button(QWizard.WizardButton.NextButton)
    assert not nxt.isEnabled()  # no case chosen yet
    wizard.cases_page.list.item(0).setCheckState(Qt.CheckState.Checked)
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


def test_export_wizard_screenshot(qtbot, exporting_ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wizard = _wizard(qtbot, exporting_ws)
    wizard.resize(900, 600)
    wizard.cases_page.list.item(0).setCheckState(Qt.CheckState.Checked)
    wizard.next()
    wizard.partners_page.list.item(0).setCheckState(Qt.CheckState.Checked)
    wizard.next()
    wizard.next()
    out = tmp_path / "export_wizard.png"
    assert wizard.grab().save(str(out))
    assert out.stat().st_size > 0
