"""The administration screens (issue 15.2): analysts (add shows the one-time passphrase once,
deactivate, reset; coordinators only), backup (a file, progress, the manifest's summary) and
audit verification (in a worker; signed and unsigned counts, checkpoints, the first bad event)
with a checkpoint on demand. Each is driven as a user would and checked in the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, text

from app.identity import keyslots
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import Analyst, AuditCheckpoint
from tests.conftest import PASSPHRASE, own_passphrase
from views.admin.analysts_screen import AnalystsScreen
from views.admin.audit_screen import AuditScreen
from views.admin.backup_screen import BackupScreen


@pytest.fixture
def file_ws(cipher_dir: Path):  # type: ignore[no-untyped-def]
    ws = ws_mod.open_workspace(cipher_dir, PASSPHRASE)  # alice, coordinator
    yield ws
    ws.lock()


def _yes(_parent, _title, _question) -> bool:  # type: ignore[no-untyped-def]
    return True


def test_add_analyst_shows_the_one_time_passphrase_once(qtbot, file_ws: Workspace) -> None:
    screen = AnalystsScreen(lambda: file_ws, confirm=_yes)
    qtbot.addWidget(screen)
    screen.show()
    assert screen.table.rowCount() == 3
    qtbot.keyClicks(screen.name, "Dora Nakamura")
    screen.role.setCurrentIndex(screen.role.findData("shift-lead"))
    screen.timezone.setText("Asia/Tokyo")
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    with file_ws.session() as s:
        row = s.scalar(select(Analyst).where(Analyst.name == "Dora Nakamura"))
        assert row is not None and row.role.value == "shift-lead" and row.timezone == "Asia/Tokyo"
    dialog = screen.passphrase_dialog
    assert dialog is not None and dialog.isVisible()
    phrase = dialog.phrase.text()
    assert phrase and dialog.phrase.isReadOnly()
    # The passphrase shown opens Dora's key slot, and only hers.
    slots = keyslots.read(file_ws.directory / keyslots.SLOTS_FILE)
    opened = keyslots.open_slots(slots, phrase)
    assert opened is not None
    dialog.reject()
    qtbot.waitUntil(lambda: screen.passphrase_dialog is None)
    assert dialog.phrase.text() == ""  # forgotten once closed
    assert "Dora Nakamura" in [screen.table.item(r, 0).text() for r in range(4)]


def test_reset_and_deactivate(qtbot, file_ws: Workspace, cipher_dir: Path) -> None:
    screen = AnalystsScreen(lambda: file_ws, confirm=_yes)
    qtbot.addWidget(screen)
    assert screen.select("bob")
    assert screen.reset_button.isEnabled()
    qtbot.mouseClick(screen.reset_button, Qt.MouseButton.LeftButton)
    phrase = screen.passphrase_dialog.phrase.text()
    screen.passphrase_dialog.reject()
    with pytest.raises(Exception):  # noqa: B017 - bob's old passphrase no longer opens
        ws_mod.open_workspace(cipher_dir, own_passphrase("bob"))
    assert keyslots.open_slots(
        keyslots.read(cipher_dir / keyslots.SLOTS_FILE), phrase
    ) is not None  # fmt: skip

    assert screen.select("carol")
    qtbot.mouseClick(screen.deactivate_button, Qt.MouseButton.LeftButton)
    with file_ws.session() as s:
        assert not s.scalar(select(Analyst.active).where(Analyst.name == "carol"))
    assert "deactivated" in screen.message.text()
    with pytest.raises(Exception):  # noqa: B017 - her slot went with the key rotation
        ws_mod.open_workspace(cipher_dir, own_passphrase("carol"))


def test_deactivation_asks_first_and_no_means_no(qtbot, file_ws: Workspace) -> None:
    screen = AnalystsScreen(lambda: file_ws, confirm=lambda *_args: False)
    qtbot.addWidget(screen)
    assert screen.select("carol")
    qtbot.mouseClick(screen.deactivate_button, Qt.MouseButton.LeftButton)
    with file_ws.session() as s:
        assert s.scalar(select(Analyst.active).where(Analyst.name == "carol"))


def test_only_coordinators_manage_analysts(qtbot, cipher_dir: Path) -> None:
    bob = ws_mod.open_workspace(cipher_dir, own_passphrase("bob"))
    screen = AnalystsScreen(lambda: bob)
    qtbot.addWidget(screen)
    assert screen.table.rowCount() == 3  # everyone sees who has which role
    assert not screen.add_box.isEnabled()
    assert screen.select("carol")
    assert not screen.deactivate_button.isEnabled() and not screen.reset_button.isEnabled()
    assert "coordinators" in screen.deactivate_button.toolTip()
    bob.lock()


def test_backup_writes_the_file_and_shows_its_manifest(
    qtbot, file_ws: Workspace, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    screen = BackupScreen(lambda: file_ws)
    qtbot.addWidget(screen)
    target = tmp_path / "copy.accord"
    qtbot.keyClicks(screen.path, str(target))
    qtbot.mouseClick(screen.start_button, Qt.MouseButton.LeftButton)
    assert screen.job is not None
    qtbot.waitUntil(lambda: not screen.job.running, timeout=30000)
    assert screen.manifest is not None, screen.status.text()
    assert target.exists() and (tmp_path / "copy.accord.manifest.json").exists()
    assert screen.summary_box.isVisibleTo(screen)
    from models import Case

    with file_ws.session() as s:
        n = len(s.scalars(select(Case.id)).all())
    assert screen.values["cases"].text() == str(n) == "6"
    assert screen.values["sha256"].toolTip() == screen.manifest["sha256"]
    assert "UTC" in screen.values["created"].text()
    # Audited once whole.
    with file_ws.session() as s:
        actions = s.scalars(text("SELECT action FROM audit_event ORDER BY seq DESC LIMIT 3"))
        assert "workspace.backup" in list(actions)
    # The same file again is refused, with the reason shown.
    qtbot.mouseClick(screen.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.job.running, timeout=30000)
    assert "exists already" in screen.status.text()


def test_backup_is_for_shift_leads_and_coordinators(qtbot, cipher_dir: Path) -> None:
    bob = ws_mod.open_workspace(cipher_dir, own_passphrase("bob"))  # an analyst
    screen = BackupScreen(lambda: bob)
    qtbot.addWidget(screen)
    assert not screen.start_button.isEnabled()
    assert "shift leads and coordinators" in screen.start_button.toolTip()
    bob.lock()


def test_audit_verification_intact_then_broken(qtbot, file_ws: Workspace, cipher_dir: Path) -> None:
    screen = AuditScreen(lambda: file_ws)
    qtbot.addWidget(screen)
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.report is not None, timeout=30000)
    report = screen.report
    assert report.ok and report.events > 0
    assert screen.values["result"].text() == "intact"
    assert screen.values["signed"].text() == str(report.signed)
    assert screen.values["unsigned"].text().startswith(str(report.unsigned))
    assert screen.values["bad"].isHidden()

    # Someone with the database key edits event 3 behind Accord's back.
    from tests.conftest import file_engine

    engine = file_engine(cipher_dir)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_event SET entity_id='999' WHERE seq=3"))
    engine.dispose()
    screen.report = None
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.report is not None, timeout=30000)
    assert not screen.report.ok
    assert screen.report.bad is not None and screen.report.bad.seq == 3
    assert screen.values["bad"].text().startswith("event 3")
    assert "BROKEN" in screen.values["result"].text()
    assert not screen.values["bad"].isHidden()


def test_checkpoint_needs_the_organisation_key(qtbot, file_ws: Workspace) -> None:
    screen = AuditScreen(lambda: file_ws)
    qtbot.addWidget(screen)
    assert screen.sign_checkpoint() is None
    assert "org key generate" in screen.status.text()


def test_checkpoint_on_demand(qtbot, file_ws: Workspace) -> None:
    from app.exchange import keys

    with file_ws.session() as s:  # GnuPG, or pysequoia where GnuPG is absent
        keys.generate(s, file_ws.require_actor())
    screen = AuditScreen(lambda: file_ws)
    qtbot.addWidget(screen)
    seq = screen.sign_checkpoint()
    assert seq is not None
    with file_ws.session() as s:
        assert s.scalar(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.id.desc())) == seq
    qtbot.waitUntil(lambda: screen.report is not None, timeout=30000)
    assert screen.report.ok and screen.report.checkpoints == 1
    assert f"Checkpoint signed at event {seq}." in screen.status.text()
    assert "UTC" in screen.values["last"].text()


def test_administration_menu_in_the_main_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    titles = [a.text() for a in window.admin_menu.actions()]
    assert titles == [
        "Analysts…", "Back up workspace…", "Audit log…", "Sign audit checkpoint now",
    ]  # fmt: skip
    screen = window.open_tool(window.analysts_action)
    assert isinstance(screen, AnalystsScreen) and screen.isVisible()
    assert window.new_case_action in window.file_menu.actions()
    assert window.new_case_action.shortcut().toString() == "Ctrl+N"
