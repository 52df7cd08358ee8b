"""Workspace storage: encryption at rest, wrong passphrase, rekey, backup and restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases
from app.errors import LockedError, UsageError
from app.workspaces import lifecycle as ws_mod
from models import Analyst, Case
from tests.conftest import PASSPHRASE

SECRET_TITLE = "Zebrafish exfiltration via calendar tool"
SECRET_DESC = "the quokka-marmalade payload leaks the system prompt"


def _seed(ws: ws_mod.Workspace) -> str:
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), SECRET_TITLE, SECRET_DESC)
        return case.key


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


def test_sqlcipher_file_holds_no_plaintext(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    _seed(ws)
    ws.engine.dispose()
    blob = _all_bytes(directory)
    for needle in (SECRET_TITLE, SECRET_DESC, "quokka", "alice", "CERT-Test"):
        assert needle.encode() not in blob
    assert not blob.startswith(b"SQLite format 3")


def test_wrong_passphrase_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    _seed(ws)
    ws.engine.dispose()
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    with pytest.raises(LockedError, match=f"wrong passphrase for workspace {directory}"):
        ws_mod.open_workspace(directory, "not the passphrase")
    after = {p.name: p.read_bytes() for p in directory.iterdir()}
    assert before == after


def test_short_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least 10"):
        ws_mod.create(tmp_path / "ws", "short", "CERT-Test", "alice")
    assert not (tmp_path / "ws" / ws_mod.DB_FILE).exists()


def test_rekey_rotates_the_key_and_an_old_slot_file_opens_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    key = _seed(ws)
    old_slots = (directory / "keyslots.json").read_bytes()
    ws_mod.rekey(ws)
    with ws.session() as s:
        assert cases.detail(s, key).title == SECRET_TITLE
    ws.engine.dispose()
    again = ws_mod.open_workspace(directory, PASSPHRASE)  # the passphrase stays alice's
    with again.session() as s:
        audit.verify_session(s)
        assert s.scalar(select(Case.title)) == SECRET_TITLE
    again.engine.dispose()
    (directory / "keyslots.json").write_bytes(old_slots)
    with pytest.raises(LockedError):
        ws_mod.open_workspace(directory, PASSPHRASE)


def test_backup_while_in_use_and_restore(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    key = _seed(ws)
    target = tmp_path / "backup.accord"
    with ws.session() as open_session:  # a reader holds the workspace open meanwhile
        open_session.scalar(select(Case.id))
        ws_mod.backup(ws, target, PASSPHRASE)
    assert SECRET_TITLE.encode() not in target.read_bytes()
    restored = ws_mod.restore(target, tmp_path / "restored", PASSPHRASE)
    with restored.session() as s:
        assert cases.detail(s, key).title == SECRET_TITLE
        result = audit.verify_session(s)
    assert result.events >= 4
    restored.engine.dispose()
    ws.engine.dispose()


def test_restore_refuses_wrong_passphrase(tmp_path: Path) -> None:
    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    ws_mod.backup(ws, tmp_path / "b.accord", PASSPHRASE)
    ws.engine.dispose()
    with pytest.raises(LockedError):
        ws_mod.restore(tmp_path / "b.accord", tmp_path / "r", "wrong passphrase!")
    assert not (tmp_path / "r" / ws_mod.DB_FILE).exists()


def test_storage_round_trip_on_every_backend(any_ws: ws_mod.Workspace) -> None:
    key = _seed(any_ws)
    with any_ws.session() as s:
        info = cases.detail(s, key)
        assert info.title == SECRET_TITLE and info.status == "new"
        assert s.scalar(select(Analyst.name)) == "alice"
        audit.verify_session(s)
    assert info.created_at.tzinfo is not None


def test_case_keys_are_sequential_per_year(any_ws: ws_mod.Workspace) -> None:
    with any_ws.session() as s:
        keys = [cases.create_case(s, any_ws.require_actor(), f"case {i}").key for i in range(3)]
    year = keys[0].split("-")[1]
    assert keys == [f"ACC-{year}-000{i}" for i in (1, 2, 3)]
