"""Each analyst unlocks as themselves (issue 13, item 1): key slots, --as, deactivation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.errors import LockedError
from app.identity import keyslots, unlock
from app.workspaces import lifecycle as ws_mod
from models import Analyst
from tests.conftest import PASSPHRASE, enrol, own_passphrase


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_the_passphrase_says_who_is_acting(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    bob = enrol(cli, "bob")
    new = cli(
        "case", "new", "--title", "x", "--json", env={"ACCORD_PASSPHRASE": bob["ACCORD_PASSPHRASE"]}
    )
    assert new.code == 0, new.err
    log = cli("audit", "log", "--json").json()
    assert log[-1]["action"] == "case.create" and log[-1]["actor"] == "bob"


def test_as_a_colleague_is_refused(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    """The issue's bypass: refused four eyes, then the same person approves with --as."""
    cli = initialised_cli
    bob = enrol(cli, "bob", "shift-lead")
    # alice's passphrase does not open bob's slot: --as only selects among her own.
    r = cli("--as", "bob", "case", "new", "--title", "x")
    assert r.code == 3 and "wrong passphrase" in r.err
    # Nor can bob make himself a coordinator under alice's name.
    r = cli("--as", "alice", "analyst", "add", "mallory", "--role", "coordinator", env=bob)
    assert r.code == 3
    assert [a["name"] for a in cli("analyst", "list", "--json").json()] == ["alice", "bob"]


def test_four_eyes_not_bypassable_from_the_cli(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.app.advisories.conftest import SOURCE

    cli = initialised_cli
    bob = enrol(cli, "bob", "shift-lead")
    key = cli("case", "new", "--title", "Prompt injection", "--json").json()["id"]
    assert cli("advisory", "new", key, "--lang", "en").code == 0
    for name in ("title", "summary", "description"):
        assert cli("advisory", "set", key, name, "--lang", "en", "--text", SOURCE[name]).code == 0
    assert cli("advisory", "submit", key).code == 0
    own = cli("advisory", "approve", key)
    assert own.code == 1 and "another analyst must approve" in own.err
    bypass = cli("--as", "bob", "advisory", "approve", key)
    assert bypass.code == 3
    assert cli("advisory", "approve", key, env=bob).code == 0


def test_one_time_passphrase_must_be_changed(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    added = cli("analyst", "add", "bob", "--role", "analyst", "--json").json()
    otp = added["one_time_passphrase"]
    assert len(otp) >= 20 and otp not in (tmp_path / "ws" / "keyslots.json").read_text()
    r = cli("cases", "list", env={"ACCORD_PASSPHRASE": otp, "ACCORD_ANALYST": "bob"})
    assert r.code == 3 and "one-time passphrase" in r.err
    env = {"ACCORD_PASSPHRASE": otp, "ACCORD_ANALYST": "bob", "ACCORD_NEW_PASSPHRASE": "short"}
    assert cli("cases", "list", env=env).code == 2
    env["ACCORD_NEW_PASSPHRASE"] = own_passphrase("bob")
    assert cli("cases", "list", env=env).code == 0
    # The one-time passphrase is spent; bob's own opens, and bob now signs his events.
    assert cli("cases", "list", env={"ACCORD_PASSPHRASE": otp, "ACCORD_ANALYST": "bob"}).code == 3
    bob = {"ACCORD_PASSPHRASE": own_passphrase("bob"), "ACCORD_ANALYST": "bob"}
    assert cli("case", "new", "--title", "y", env=bob).code == 0
    last = cli("audit", "log", "--json").json()[-1]
    assert last["actor"] == "bob" and last["signature"] and last["key_id"]
    assert cli("audit", "verify").code == 0


def test_deactivated_analyst_is_locked_out_after_rekey(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    directory = tmp_path / "ws"
    bob = enrol(cli, "bob")
    stolen = (directory / "keyslots.json").read_bytes()  # bob keeps a copy of the slot file
    assert cli("analyst", "deactivate", "bob", env=bob).code == 1  # only coordinators
    r = cli("analyst", "deactivate", "bob", "--json")
    assert r.code == 0, r.err
    assert r.json() == {"analyst": "bob", "active": False, "rekeyed": True}
    assert cli("cases", "list", env=bob).code == 3
    (directory / "keyslots.json.bak").write_bytes((directory / "keyslots.json").read_bytes())
    (directory / "keyslots.json").write_bytes(stolen)
    assert cli("cases", "list", env=bob).code == 3  # his old slot holds a key that opens nothing
    (directory / "keyslots.json").write_bytes((directory / "keyslots.json.bak").read_bytes())
    assert cli("cases", "list").code == 0 and cli("audit", "verify").code == 0
    rows = cli("analyst", "list", "--json").json()
    assert {r["name"]: r["active"] for r in rows} == {"alice": True, "bob": False}


def test_wrong_passphrase_writes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    ws.engine.dispose()
    before = _files(directory)
    for selector in (None, "alice", "nobody"):
        with pytest.raises(LockedError, match="wrong passphrase"):
            ws_mod.open_workspace(directory, "not the passphrase", analyst=selector)
    assert _files(directory) == before


def test_crash_between_rekey_and_slot_rename_recovers(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The database took the new key but the process died before keyslots.json.next was
    promoted: the next unlock finds the key that fits and finishes the rotation."""
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")

    def crash(_directory: Path) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(keyslots, "promote_next", crash)
    with pytest.raises(SystemExit):
        ws_mod.rekey(ws)
    monkeypatch.undo()
    ws.engine.dispose()
    assert (directory / "keyslots.json.next").exists()
    again = ws_mod.open_workspace(directory, PASSPHRASE)
    assert again.actor is not None and again.actor.name == "alice"
    assert not (directory / "keyslots.json.next").exists()
    again.engine.dispose()


def test_crash_before_rekey_keeps_the_old_key(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    real = keyslots.write_atomic

    def stage_then_crash(path: Path, slots: keyslots.SlotFile) -> None:
        real(path, slots)
        if path.name == keyslots.NEXT_FILE:
            raise SystemExit("killed")

    monkeypatch.setattr(keyslots, "write_atomic", stage_then_crash)
    with pytest.raises(SystemExit):
        ws_mod.rekey(ws)
    monkeypatch.undo()
    ws.engine.dispose()
    again = ws_mod.open_workspace(directory, PASSPHRASE)
    assert again.actor is not None and again.actor.name == "alice"
    again.engine.dispose()


def test_slot_file_names_nobody_and_binds_each_slot(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    ws.engine.dispose()
    path = directory / "keyslots.json"
    assert path.stat().st_mode & 0o777 == 0o600
    data = json.loads(path.read_text())
    assert "alice" not in path.read_text()
    # Moving alice's slot to another analyst id breaks its authentication.
    data["slots"][0]["analyst_id"] = 2
    path.write_text(json.dumps(data))
    with pytest.raises(LockedError):
        ws_mod.open_workspace(directory, PASSPHRASE)


def test_legacy_workspace_gets_slots_from_its_coordinator(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from app.identity.actor import Actor
    from app.workspaces.engines import migrate, sqlcipher_engine
    from models import Role

    directory = tmp_path / "ws"
    directory.mkdir()
    engine = sqlcipher_engine(directory / ws_mod.DB_FILE, PASSPHRASE)  # a passphrase-keyed file
    migrate(engine)
    legacy = ws_mod.Workspace(engine, str(directory), directory)
    from app.auditing import chain as audit
    from app.identity import analysts

    with legacy.session() as s:
        s.add(Analyst(name="alice", role=Role.COORDINATOR))
        s.add(Analyst(name="bob", role=Role.ANALYST))
        s.flush()
        audit.record(s, Actor(1, "alice", Role.COORDINATOR), "workspace.create", "workspace", 1)
        assert analysts.list_all(s)
    engine.dispose()
    with pytest.raises(Exception, match="coordinator must unlock"):
        ws_mod.open_workspace(directory, PASSPHRASE, analyst="bob")
    assert not (directory / "keyslots.json").exists()
    ws = ws_mod.open_workspace(directory, PASSPHRASE, analyst="alice")
    assert ws.actor is not None and ws.actor.name == "alice" and set(ws.issued) == {"bob"}
    otp = ws.issued["bob"]
    with ws.session() as s:
        assert audit.verify_session(s).events == 2
    ws.engine.dispose()
    # The old passphrase now opens alice's slot only; bob has a one-time passphrase.
    again = ws_mod.open_workspace(directory, PASSPHRASE)
    assert again.actor is not None and again.actor.name == "alice"
    again.engine.dispose()
    bob = ws_mod.open_workspace(directory, otp, new_passphrase=lambda: own_passphrase("bob"))
    assert bob.actor is not None and bob.actor.name == "bob"
    with bob.session() as s:
        assert audit.verify_session(s).signed == 2
        assert s.execute(text("SELECT count(*) FROM analyst_key")).scalar() == 2
        assert s.scalar(select(Analyst.name).where(Analyst.id == bob.actor.id)) == "bob"
    bob.engine.dispose()
    assert unlock.has_slots(directory)
