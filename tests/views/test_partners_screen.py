"""The partners screen, driven as a coordinator would: add, compare blocks, verify, roll over."""

from __future__ import annotations

from pathlib import Path

import pysequoia as ps
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSplitter
from sqlalchemy import select

from app.exchange import partners, pgp
from app.workspaces.lifecycle import Workspace
from i18n.catalog import set_language
from models import Partner, PartnerKey
from views.exchange.partners_screen import (
    FINGERPRINT,
    VERIFIED,
    PartnersScreen,
    compare_blocks,
)


def _cert(tmp_path: Path, name: str) -> tuple[Path, str]:
    tsk = ps.Tsk.generate(name, profile=ps.Profile.RFC4880)
    cert = tsk.extract_certificate()
    path = tmp_path / f"{name}.asc"
    path.write_text(str(cert))
    return path, cert.fingerprint.upper()


def test_add_compare_verify_and_roll_over(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    path, fpr = _cert(tmp_path, "CERT-DE")
    qtbot.keyClicks(screen.name, "CERT-DE")
    qtbot.keyClicks(screen.country, "de")
    screen.zone.clear()
    qtbot.keyClicks(screen.zone, "Europe/Berlin")
    qtbot.keyClicks(screen.languages, "de, en")
    screen.cert_file.setText(str(path))
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    assert "Added CERT-DE" in screen.message.text()
    assert screen.table.rowCount() == 1 and screen.table.item(0, VERIFIED).text() == "no"
    assert screen.table.item(0, FINGERPRINT).text() == pgp.group_fingerprint(fpr)

    # a fingerprint read out wrongly: blocks differ, the button stays off
    wrong = fpr[:-4] + ("0000" if not fpr.endswith("0000") else "1111")
    qtbot.keyClicks(screen.typed, pgp.group_fingerprint(wrong))
    assert "1 of 10 blocks differ" in screen.match.text()
    assert not screen.verify_button.isEnabled()
    screen.typed.clear()
    qtbot.keyClicks(screen.typed, pgp.group_fingerprint(fpr).lower())
    assert screen.verify_button.isEnabled()
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    assert screen.table.item(0, VERIFIED).text() == "yes"
    with ws.session() as s:
        partner = s.scalar(select(Partner))
        assert partner is not None and partner.verified_fingerprint == fpr
        assert partner.languages == ["de", "en"] and partner.timezone == "Europe/Berlin"

    new_path, new_fpr = _cert(tmp_path, "CERT-DE-2027")
    screen.rollover_file.setText(str(new_path))
    qtbot.mouseClick(screen.rollover_button, Qt.MouseButton.LeftButton)
    assert screen.table.item(0, VERIFIED).text() == "no"
    assert "previous" in screen.details.text() and "current" in screen.details.text()
    with ws.session() as s:
        rows = s.scalars(select(PartnerKey).order_by(PartnerKey.id)).all()
        assert [(k.fingerprint, k.current) for k in rows] == [(fpr, False), (new_fpr, True)]


def test_errors_are_shown_not_raised(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    bad = tmp_path / "bad.asc"
    bad.write_text("not a key")
    qtbot.keyClicks(screen.name, "X")
    qtbot.keyClicks(screen.country, "FR")
    screen.cert_file.setText(str(bad))
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    assert "not an OpenPGP certificate" in screen.message.text()
    assert screen.table.rowCount() == 0


def test_compare_blocks() -> None:
    fpr = "ABCD" * 10
    assert all(ok for _b, ok in compare_blocks(fpr, "abcd " * 10))
    assert [ok for _b, ok in compare_blocks(fpr, "ABCD ABCD")][:3] == [True, True, False]


def test_partners_screenshot(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _fpr = _cert(tmp_path, "CERT-JP")
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    qtbot.keyClicks(screen.name, "CERT-JP")
    qtbot.keyClicks(screen.country, "JP")
    screen.cert_file.setText(str(path))
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(screen.typed, "ABCD")
    out = tmp_path / "partners.png"
    assert screen.grab().save(str(out))
    assert out.stat().st_size > 0


def test_exchange_tools_in_the_main_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from views.exchange.bundle_import import BundleImportScreen
    from views.exchange.export_wizard import ExportWizard

    actions = {a.text(): a for a in window.tools_menu.actions()}
    opened = {
        name: window.open_tool(actions[name])
        for name in ("Partners", "Export bundle…", "Import bundle…")
    }
    assert isinstance(opened["Partners"], PartnersScreen)
    assert isinstance(opened["Export bundle…"], ExportWizard)
    assert isinstance(opened["Import bundle…"], BundleImportScreen)
    for widget in opened.values():
        widget.close()


def test_partner_names_and_uids_are_text(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A certificate's user id and a partner's name are the partner's words: markup in them
    (an image that phones home, a fake "verified") must show as typed, never render."""
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    hostile = '<img src="http://x.test/p.png">CERT <b>verified</b>'
    cert = ps.Tsk.generate(hostile, profile=ps.Profile.RFC4880).extract_certificate()
    path = tmp_path / "hostile.asc"
    path.write_text(str(cert))
    qtbot.keyClicks(screen.name, "<i>Evil</i> CERT")
    qtbot.keyClicks(screen.country, "fr")
    screen.cert_file.setText(str(path))
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    screen.table.selectRow(0)
    details = screen.details.text()
    assert "&lt;i&gt;Evil&lt;/i&gt; CERT" in details and "<i>" not in details
    assert "&lt;img" in details and "<img" not in details


def _whole(screen: PartnersScreen, column: int) -> bool:
    """Whether the list shows ``column`` whole, without scrolling."""
    table = screen.table
    left = table.columnViewportPosition(column)
    return left >= 0 and left + table.columnWidth(column) <= table.viewport().width()


def test_trust_columns_are_seen_without_scrolling(qtbot, ws: Workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """In the list's half of the window a coordinator sees, beside each partner's name,
    whether its key is verified and valid, without scrolling the list sideways."""
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(screen.sizeHint())
    screen.show()
    qtbot.waitExposed(screen)
    path, _fpr = _cert(tmp_path, "Pacific Coast PSIRT Alliance")
    qtbot.keyClicks(screen.name, "Pacific Coast PSIRT Alliance")
    qtbot.keyClicks(screen.country, "us")
    screen.zone.clear()
    qtbot.keyClicks(screen.zone, "America/Los_Angeles")
    screen.cert_file.setText(str(path))
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    assert screen.table.rowCount() == 1
    # The list's half of the window, as the tool window opens at 1366x768 (about 450 px).
    split = screen.findChild(QSplitter)
    assert split is not None
    split.setSizes([450, 510])
    QApplication.processEvents()
    table = screen.table
    assert table.horizontalScrollBar().value() == 0
    titles = [table.horizontalHeaderItem(c) for c in range(table.columnCount())]
    by_title = {t.text(): c for c, t in enumerate(titles) if t is not None}
    for title in ("Partner", "Verified", "Key"):
        assert _whole(screen, by_title[title]), title
    key = table.item(0, by_title["Key"])
    assert key is not None and key.text() == "valid"
    with ws.session() as s:
        assert s.scalars(select(Partner.name)).all() == ["Pacific Coast PSIRT Alliance"]


@pytest.fixture
def french(back_to_english: None) -> None:
    set_language("fr")


@pytest.mark.parametrize(("width", "fits"), [(683, False), (1366, True)])
def test_half_a_window_keeps_each_column_whole(  # type: ignore[no-untyped-def]
    qtbot, ws: Workspace, tmp_path: Path, french, width: int, fits: bool
) -> None:
    """In French, in half a 1366×768 screen, the list dropped its fingerprints rather than
    scroll sideways with the time zones cut: the selected partner's fingerprint is in full
    beside it, the key on file above the field it is compared with. A whole screen shows
    every column, the two side by side."""
    with ws.session() as s:
        for name, zone in (("CERT-DE", "Europe/Berlin"), ("JPCERT/CC", "Asia/Tokyo")):
            cert = ps.Tsk.generate(name, profile=ps.Profile.RFC4880).extract_certificate()
            partners.add_partner(s, ws.require_actor(), name, "DE", zone, str(cert), ["de"])
        s.commit()
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.resize(width, 648)
    screen.show()
    qtbot.waitExposed(screen)
    screen.refresh()
    QApplication.processEvents()
    table = screen.table
    assert table.horizontalHeaderItem(4).text() == "Fuseau horaire"
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways to
    assert table.isColumnHidden(FINGERPRINT) is not fits
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    assert all(_whole(screen, c) for c in shown)
    assert table.item(0, 4).text() == "Europe/Berlin"
    selected = screen.selected
    assert selected is not None and selected.current_key is not None
    assert selected.current_key.grouped in screen.details.text()
    on_file = screen.on_file.mapTo(screen, screen.on_file.rect().topLeft())
    typed = screen.typed.mapTo(screen, screen.typed.rect().topLeft())
    assert (typed.y() > on_file.y() + screen.on_file.height()) is not fits  # one above the other
    qtbot.keyClicks(screen.typed, selected.current_key.grouped)  # as the partner reads it
    assert screen.verify_button.isEnabled()
