"""Importing a partner's bundle from the screen: the verification report, the merge, and a
replay refused into quarantine."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from app.exchange import export
from models import Case, QuarantineItem
from tests.app.exchange.conftest import Org, open_case, orgs  # noqa: F401 - fixture
from views.exchange.bundle_import import BundleImportScreen


def _bundle(a: Org, tmp_path: Path) -> Path:
    key = open_case(a)
    with a.ws.session() as s:
        data = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER").data
    path = tmp_path / "from-a.zip.gpg"
    path.write_bytes(data)
    return path


def test_verify_then_import_then_replay(qtbot, orgs: tuple[Org, Org], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a, b = orgs
    path = _bundle(a, tmp_path)
    screen = BundleImportScreen(lambda: b.ws)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.keyClicks(screen.path, str(path))
    with qtbot.waitSignal(screen.verified, timeout=10000):
        qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    lines = [screen.checks.item(i).text() for i in range(screen.checks.count())]
    assert lines and all(line.startswith("✔") for line in lines)
    assert any("OpenPGP signature" in line for line in lines)
    assert "Valid bundle from CERT-A" in screen.summary.text()
    assert b.case_count() == 0  # verifying merged nothing

    with qtbot.waitSignal(screen.imported, timeout=10000):
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert "Imported — cases: 1" in screen.summary.text()
    assert "new case" in screen.details.item(0).text()
    with b.ws.session() as s:
        case = s.scalar(select(Case))
        assert case is not None and case.source_partner_id is not None

    with qtbot.waitSignal(screen.imported, timeout=10000):
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert "Refused: replayed bundle" in screen.summary.text()
    assert any(screen.checks.item(i).text().startswith("✘") for i in range(screen.checks.count()))
    assert "quarantine" in screen.details.item(0).text()
    with b.ws.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineItem)) == 1
    assert b.case_count() == 1


def test_missing_file_is_reported(qtbot, orgs: tuple[Org, Org], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _a, b = orgs
    screen = BundleImportScreen(lambda: b.ws)
    qtbot.addWidget(screen)
    screen.path.setText(str(tmp_path / "nope.zip"))
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    assert "cannot read" in screen.summary.text()


def test_bundle_import_screenshot(qtbot, orgs: tuple[Org, Org], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a, b = orgs
    path = _bundle(a, tmp_path)
    screen = BundleImportScreen(lambda: b.ws)
    qtbot.addWidget(screen)
    screen.resize(900, 500)
    screen.path.setText(str(path))
    with qtbot.waitSignal(screen.verified, timeout=10000):
        screen.verify_requested.emit(str(path))
    out = tmp_path / "bundle_import.png"
    assert screen.grab().save(str(out))
    assert out.stat().st_size > 0


def test_a_refusal_reason_is_shown_as_text(qtbot, orgs: tuple[Org, Org]) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Senders and reasons come from the bundle, so the summary never renders markup."""
    from app.exchange.verify import BundleReport

    _a, b = orgs
    screen = BundleImportScreen(lambda: b.ws)
    qtbot.addWidget(screen)
    reason = 'bad manifest <img src="http://x.test/p.png">'
    screen.show_report(BundleReport(False, reason, "manifest", ()))
    assert screen.summary.textFormat() == Qt.TextFormat.PlainText
    assert reason in screen.summary.text()
