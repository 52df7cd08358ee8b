"""The foundation CLI: contracts, exit codes, JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import enrol, file_engine


def test_help_lists_the_commands(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--help")
    assert result.code == 0
    for word in ("init", "demo", "workspace", "analyst", "cases", "case", "audit"):
        assert word in result.out
    case_help = cli("case", "--help").out
    for word in ("new", "show", "transition", "assign"):
        assert word in case_help


def test_init_refuses_short_passphrase(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACCORD_PASSPHRASE", "tiny")
    result = cli("init", "--org", "X", "--analyst", "alice")
    assert result.code == 2 and "at least 10" in result.err


def test_case_lifecycle_json(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    new = cli("case", "new", "--title", "Jailbreak of assistant v2", "--json")
    assert new.code == 0
    key = new.json()["id"]
    assert cli("analyst", "add", "bob", "--role", "analyst").code == 0
    assert cli("case", "assign", key, "bob", "--json").json() == {
        "id": key,
        "from": None,
        "to": "bob",
    }
    bad = cli("case", "transition", key, "closed", "--reason", "x")
    assert bad.code == 1 and "allowed: triage" in bad.err
    ok = cli("case", "transition", key, "triage", "--reason", "looks real", "--json")
    assert ok.json() == {"id": key, "from": "new", "to": "triage"}
    rows = cli("cases", "list", "--status", "triage", "--assignee", "bob", "--json").json()
    assert [r["id"] for r in rows] == [key]
    assert cli("cases", "list", "--search", "jailbr", "--json").json()[0]["id"] == key
    assert cli("cases", "list", "--search", "nothinglikethis", "--json").json() == []
    log = cli("audit", "log", "--case", key, "--json").json()
    assert [e["action"] for e in log] == ["case.create", "case.assign", "case.transition"]


def test_permissions_enforced_from_cli(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    bob = enrol(cli, "bob", "analyst")
    carol = enrol(cli, "carol", "shift-lead")
    key = cli("case", "new", "--title", "Model theft via API", "--json").json()["id"]
    denied = cli("case", "assign", key, "carol", env=bob)
    assert denied.code == 1 and "may not" in denied.err
    assert cli("case", "assign", key, "bob", env=carol).code == 0


def test_wrong_passphrase_exit_3(initialised_cli, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACCORD_PASSPHRASE", "definitely wrong")
    result = initialised_cli("cases", "list")
    assert result.code == 3
    assert f"wrong passphrase for workspace {tmp_path / 'ws'}" in result.err


def test_audit_verify_exit_4_on_tamper(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "t1")
    assert cli("audit", "verify").code == 0
    engine = file_engine(tmp_path / "ws")
    with engine.begin() as c:
        c.execute(text("UPDATE audit_event SET action='x' WHERE seq=2"))
    engine.dispose()
    result = cli("audit", "verify")
    assert result.code == 4 and "event 2" in result.err


def test_audit_export_and_file_verify(initialised_cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "t1")
    out = tmp_path / "audit.jsonl"
    assert cli("audit", "export", "--out", str(out)).code == 0
    monkeypatch.delenv("ACCORD_PASSPHRASE")
    result = cli("audit", "verify", "--file", str(out), "--json")
    assert result.code == 0 and result.json()["events"] == 3


def test_backup_restore_cli(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "t1")
    backup = tmp_path / "b.accord"
    assert cli("workspace", "backup", str(backup)).code == 0
    restored = cli("workspace", "restore", str(backup), str(tmp_path / "r"), "--json")
    assert restored.code == 0, restored.err
    assert cli("--workspace", str(tmp_path / "r"), "audit", "verify").code == 0


def test_rekey_cli(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # `workspace rekey` rotates the database key; each analyst keeps their own passphrase.
    old_slots = (tmp_path / "ws" / "keyslots.json").read_bytes()
    assert initialised_cli("workspace", "rekey").code == 0
    assert initialised_cli("cases", "list").code == 0
    (tmp_path / "ws" / "keyslots.json").write_bytes(old_slots)
    assert initialised_cli("cases", "list").code == 3  # the old key opens nothing now


def test_team_database_cli(cli, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("--db", pg_url, "init", "--org", "Team", "--analyst", "alice").code == 0
    assert cli("--db", pg_url, "case", "new", "--title", "Poisoned adapter").code == 0
    rows = cli("--db", pg_url, "cases", "list", "--search", "poison", "--json").json()
    assert len(rows) == 1
    engine = create_engine(pg_url)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_event")).scalar() == 3
    engine.dispose()
