"""Workspace safety (issue 12: items 1, 8, 9, 11, 12): each test reproduces an attack or a
fault on the landed code and checks it is refused, with nothing changed on disk."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases
from app.cli.main import main
from app.errors import LockedError, NotFound, PermissionDenied, UsageError, VerificationError
from app.workspaces import lifecycle as ws_mod
from app.workspaces.backup import manifest_path
from models import AuditEvent, Case, QuarantineItem, Role
from tests.conftest import PASSPHRASE, REPO, CliResult, enrol

Cli = Callable[..., CliResult]

# ---------------------------------------------------------------- helpers


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _j(result: CliResult) -> Any:
    return result.json()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _backup(cli: Cli, tmp_path: Path) -> Path:
    cli("case", "new", "--title", "t1")
    target = tmp_path / "b.accord"
    result = cli("workspace", "backup", str(target), "--json")
    assert result.code == 0, result.err
    return target


def _python_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    return env


def _actions(directory: Path, passphrase: str = PASSPHRASE) -> list[str]:
    ws = ws_mod.open_workspace(directory, passphrase)
    try:
        with ws.session() as s:
            return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    finally:
        ws.engine.dispose()


# ---------------------------------------------------------------- 1. backup and restore


def test_backup_has_a_private_manifest_and_restores(initialised_cli: Cli, tmp_path: Path) -> None:
    target = _backup(initialised_cli, tmp_path)
    manifest = manifest_path(target)
    body = json.loads(manifest.read_text())
    data = target.read_bytes()
    assert body["format"] == "accord-backup-manifest/1"
    assert body["size"] == len(data) and body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["counts"]["case"] == 1 and body["counts"]["analyst"] == 1
    assert body["audit_head"]["seq"] >= 3 and len(body["audit_head"]["hash"]) == 64
    assert body["schema_revision"] and body["created"]
    assert "t1" not in manifest.read_text()  # counts and hashes, no content
    assert _mode(target) == 0o600 and _mode(manifest) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    restored = initialised_cli("workspace", "restore", str(target), str(tmp_path / "r"), "--json")
    assert restored.code == 0, restored.err
    assert _mode(tmp_path / "r") == 0o700 and _mode(tmp_path / "r" / ws_mod.DB_FILE) == 0o600
    assert initialised_cli("--workspace", str(tmp_path / "r"), "audit", "verify").code == 0
    # The backup event is written once the backup is whole (it is not in the copy itself).
    actions = _actions(tmp_path / "ws")
    assert actions[-1] == "workspace.backup"
    assert _actions(tmp_path / "r")[-1] == "workspace.restore"


def test_truncated_backup_is_refused_and_target_untouched(
    initialised_cli: Cli, tmp_path: Path
) -> None:
    target = _backup(initialised_cli, tmp_path)
    size = target.stat().st_size
    with target.open("r+b") as fh:  # what a kill midway leaves: the first pages only
        fh.truncate(size // 2)
    result = initialised_cli("workspace", "restore", str(target), str(tmp_path / "r"))
    assert result.code == 4 and "incomplete" in result.err
    assert not (tmp_path / "r").exists()


def test_missing_backup_is_refused_with_exit_1(initialised_cli: Cli, tmp_path: Path) -> None:
    result = initialised_cli("workspace", "restore", str(tmp_path / "nothing"), str(tmp_path / "r"))
    assert result.code == 1 and "no backup file" in result.err
    assert not (tmp_path / "r").exists()


def test_backup_without_manifest_is_refused(initialised_cli: Cli, tmp_path: Path) -> None:
    target = _backup(initialised_cli, tmp_path)
    manifest_path(target).unlink()
    result = initialised_cli("workspace", "restore", str(target), str(tmp_path / "r"))
    assert result.code == 4 and "no manifest" in result.err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("field", ["sha256", "counts", "audit_head", "schema_revision"])
def test_tampered_manifest_is_refused(initialised_cli: Cli, tmp_path: Path, field: str) -> None:
    target = _backup(initialised_cli, tmp_path)
    manifest = manifest_path(target)
    body = json.loads(manifest.read_text())
    if field == "sha256":
        body["sha256"] = "0" * 64
    elif field == "counts":
        body["counts"]["report"] = 1824  # the copy holds none
    elif field == "audit_head":
        body["audit_head"]["seq"] += 1
    else:
        body["schema_revision"] = "0001"
    manifest.write_text(json.dumps(body))
    result = initialised_cli("workspace", "restore", str(target), str(tmp_path / "r"))
    assert result.code == 4, result.err
    assert not (tmp_path / "r").exists()


def test_restore_does_not_overwrite_and_wrong_passphrase_is_3(
    initialised_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _backup(initialised_cli, tmp_path)
    monkeypatch.setenv("ACCORD_PASSPHRASE", "wrong passphrase!")
    result = initialised_cli("workspace", "restore", str(target), str(tmp_path / "r"))
    assert result.code == 3
    assert not (tmp_path / "r").exists()


BIG_WORKSPACE = """
import os, sys
from pathlib import Path
from app.workspaces import lifecycle as ws_mod
from models import QuarantineItem
ws = ws_mod.create(Path(sys.argv[1]), sys.argv[2], "CERT-Test", "alice")
with ws.session() as s:
    for i in range(12):
        s.add(QuarantineItem(path=f"f{i}", reason="r", content=os.urandom(4 << 20), size=4 << 20))
ws.engine.dispose()
"""


def test_backup_killed_midway_is_never_restored(tmp_path: Path) -> None:
    """A real ``kill -9`` of ``accord workspace backup`` at different moments: either the
    backup is whole (file and manifest) and restores, or restore refuses it."""
    directory = tmp_path / "ws"
    subprocess.run(
        [sys.executable, "-c", BIG_WORKSPACE, str(directory), PASSPHRASE],
        cwd=REPO,
        env=_python_env(),
        check=True,
    )
    env = _python_env(ACCORD_PASSPHRASE=PASSPHRASE, ACCORD_WORKSPACE=str(directory))
    refused = 0
    for i, delay in enumerate((0.0, 0.3, 1.0)):
        target = tmp_path / f"b{i}.accord"
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "workspace", "backup", str(target)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Kill it once the copy is under way (its temporary file has bytes), plus a delay.
        started = time.monotonic()
        while time.monotonic() - started < 60 and proc.poll() is None:
            if any(p.stat().st_size for p in tmp_path.glob(f".b{i}.accord.*.tmp")):
                break
            time.sleep(0.01)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        restored = tmp_path / f"r{i}"
        if target.exists() and manifest_path(target).exists():
            ws_mod.restore(target, restored, PASSPHRASE).engine.dispose()
            continue
        refused += 1
        with pytest.raises((NotFound, VerificationError)):  # exit 1 or 4
            ws_mod.restore(target, restored, PASSPHRASE)
        assert not restored.exists()
        for partial in tmp_path.glob(f".b{i}.accord.*.tmp"):  # what the killed copy left
            with pytest.raises(VerificationError):
                ws_mod.restore(partial, restored, PASSPHRASE)
            assert not restored.exists()
    assert refused, "every backup finished before its kill: make the workspace bigger"
    # Killed backups wrote no audit event; only finished ones did.
    finished = sum(1 for i in range(3) if manifest_path(tmp_path / f"b{i}.accord").exists())
    assert _actions(directory).count("workspace.backup") == finished


# ---------------------------------------------------------------- 8. wrong passphrase, WAL

CRASH_WITH_WAL = """
import os, signal, sys
from pathlib import Path
from app.casework import cases
from app.workspaces import lifecycle as ws_mod
ws = ws_mod.open_workspace(Path(sys.argv[1]), sys.argv[2])
ws.act_as(None)
with ws.session() as s:
    for i in range(30):
        cases.create_case(s, ws.require_actor(), f"committed {i}", "x" * 400)
os.kill(os.getpid(), signal.SIGKILL)  # committed in the WAL, never checkpointed
"""


def test_wrong_passphrase_leaves_a_crashed_wal_byte_identical(
    initialised_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "ws"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_WITH_WAL, str(directory), PASSPHRASE],
        cwd=REPO,
        env=_python_env(),
    )
    assert proc.returncode == -signal.SIGKILL
    before = _snapshot(directory)
    assert {ws_mod.DB_FILE + "-wal", ws_mod.DB_FILE + "-shm"} <= set(before)
    assert len(before[ws_mod.DB_FILE + "-wal"]) > 0
    monkeypatch.setenv("ACCORD_PASSPHRASE", "definitely wrong")
    for argv in (("cases", "list"), ("audit", "verify"), ("workspace", "backup", "x")):
        assert initialised_cli(*argv).code == 3
        assert _snapshot(directory) == before  # same names, same bytes: nothing merged
    with pytest.raises(LockedError):
        ws_mod.open_workspace(directory, "another wrong one")
    assert _snapshot(directory) == before
    monkeypatch.setenv("ACCORD_PASSPHRASE", PASSPHRASE)
    listed = initialised_cli("cases", "list", "--json")
    assert listed.code == 0 and len(_j(listed)) == 30


# ---------------------------------------------------------------- 9. roles


def test_privileged_workspace_actions_need_the_role(
    initialised_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = initialised_cli
    # Each analyst acts through their own passphrase (key slots): no one can claim a name.
    envs = {"ann": enrol(cli, "ann", "analyst"), "sam": enrol(cli, "sam", "shift-lead")}
    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    with ws.session() as s:
        s.add(QuarantineItem(path="bad.json", reason="not JSON", content=b"{", size=1))
    ws.engine.dispose()
    [item] = _j(cli("quarantine", "list", "--json"))
    backup = _backup(cli, tmp_path)

    def refused(who: str, *argv: str) -> None:
        result = cli(*argv, env=envs[who])
        assert result.code == 1 and "may not" in result.err, (argv, result.err)

    for who in ("ann", "sam"):
        refused(who, "workspace", "rekey")
        refused(who, "workspace", "restore", str(backup), str(tmp_path / f"r-{who}"))
        assert not (tmp_path / f"r-{who}").exists()
        refused(who, "quarantine", "discard", str(item["id"]))
    refused("ann", "workspace", "backup", str(tmp_path / "ann.accord"))
    refused("ann", "audit", "export", "--out", str(tmp_path / "ann.jsonl"))
    assert not (tmp_path / "ann.accord").exists() and not (tmp_path / "ann.jsonl").exists()
    # The database key is the one it was: nobody rotated it.
    assert cli("cases", "list").code == 0
    sam = envs["sam"]
    assert cli("workspace", "backup", str(tmp_path / "sam.accord"), env=sam).code == 0
    assert cli("audit", "export", "--out", str(tmp_path / "sam.jsonl"), env=sam).code == 0
    assert cli("quarantine", "discard", str(item["id"])).code == 0  # alice, the coordinator
    assert cli("workspace", "rekey").code == 0


# ---------------------------------------------------------------- 11. passphrase variables


def test_cli_removes_the_passphrase_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("ACCORD_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("ACCORD_NEW_PASSPHRASE", "another long passphrase")
    assert main(["init", "--org", "CERT-Test", "--analyst", "alice"]) == 0
    assert "ACCORD_PASSPHRASE" not in os.environ
    assert "ACCORD_NEW_PASSPHRASE" not in os.environ


# ---------------------------------------------------------------- 12. smaller


def test_workspace_folder_and_files_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    with ws.session() as s:
        cases.create_case(s, ws.require_actor(), "t", "d")
    assert _mode(directory) == 0o700
    for path in directory.iterdir():
        assert _mode(path) == 0o600, path
    ws.engine.dispose()


def test_refused_rekey_and_backup_write_no_event(tmp_path: Path) -> None:
    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    coordinator = ws.require_actor()
    ws.actor = dataclasses.replace(coordinator, role=Role.ANALYST)
    with pytest.raises(PermissionDenied):
        ws_mod.rekey(ws)
    ws.actor = coordinator
    with pytest.raises(NotFound):
        ws_mod.backup(ws, tmp_path / "no-such-folder" / "b.accord", PASSPHRASE)
    ws.engine.dispose()
    actions = _actions(tmp_path / "ws")
    assert "workspace.rekey" not in actions and "workspace.backup" not in actions


def test_audit_export_says_free_text_is_included_or_redacts_it(
    initialised_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = initialised_cli
    key = _j(cli("case", "new", "--title", "t1", "--json"))["id"]
    reason = "vendor Zebrafish confirmed privately"
    assert cli("case", "transition", key, "triage", "--reason", reason).code == 0
    full, redacted = tmp_path / "full.jsonl", tmp_path / "redacted.jsonl"
    assert cli("audit", "export", "--out", str(full)).code == 0
    assert _j(cli("audit", "export", "--out", str(redacted), "--redact", "--json"))["redacted"]
    header = json.loads(full.read_text().splitlines()[0])
    assert header["free_text"] == "included" and "reason" in header["notice"]
    assert reason in full.read_text()
    text = redacted.read_text()
    assert reason not in text and "Zebrafish" not in text
    assert json.loads(text.splitlines()[0])["free_text"] == "redacted"
    assert hashlib.sha256(reason.encode()).hexdigest() in text
    assert _mode(full) == 0o600 and _mode(redacted) == 0o600
    monkeypatch.delenv("ACCORD_PASSPHRASE")
    for path in (full, redacted):
        result = cli("audit", "verify", "--file", str(path), "--json")
        assert result.code == 0, result.err
        assert _j(result)["events"] == 4 and _j(result)["unchecked"] == 0
    # Editing a redacted event is still caught.
    lines = text.splitlines()
    event = json.loads(lines[-1])
    event["details"]["to"] = "rejected"
    lines[-1] = json.dumps(event)
    redacted.write_text("\n".join(lines) + "\n")
    assert cli("audit", "verify", "--file", str(redacted)).code == 4


def test_redacting_events_hashed_before_the_commitment(tmp_path: Path) -> None:
    """Events hashed with the text itself (before this change) still verify as they are;
    redacted, their place in the chain is checked and they are counted as unchecked."""
    first = {"seq": 1, "at": "2026-01-01T00:00:00+00:00", "actor": "a", "action": "x"}
    first |= {"entity": "case", "entity_id": "1", "case": None, "prev_hash": audit.GENESIS}
    first["details"] = {"reason": "old free text"}
    first["hash"] = audit.legacy_event_hash(first)
    second = dict(first, seq=2, prev_hash=first["hash"], details={})
    second["hash"] = audit.event_hash(second)
    assert audit.verify_events([first, second]).unchecked == 0
    red = audit.redact(first)
    assert red["redacted"] == "legacy" and "old free text" not in json.dumps(red)
    result = audit.verify_events([red, second])
    assert result.events == 2 and result.unchecked == 1
    with pytest.raises(VerificationError):
        audit.verify_events([dict(red, redacted="text"), second])


def test_blank_passphrase_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_PASSPHRASE", " " * 10)
    result = cli("init", "--org", "X", "--analyst", "alice")
    assert result.code == 2 and "blank" in result.err
    with pytest.raises(UsageError):
        ws_mod.check_passphrase_strength("\u3000" * 12)


def test_nfc_and_nfd_passphrases_unlock_the_same_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    nfc = unicodedata.normalize("NFC", "Élégie à Noël, café")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    monkeypatch.setenv("ACCORD_PASSPHRASE", nfd)
    assert cli("init", "--org", "X", "--analyst", "alice").code == 0
    monkeypatch.setenv("ACCORD_PASSPHRASE", nfc)
    assert cli("cases", "list").code == 0
    ws_mod.open_workspace(tmp_path / "ws", nfd).engine.dispose()
    # The analyst's own new passphrase, typed in NFD, opens in NFC too.
    monkeypatch.setenv("ACCORD_NEW_PASSPHRASE", unicodedata.normalize("NFD", "Ångström über"))
    assert cli("analyst", "passphrase").code == 0
    ws_mod.open_workspace(tmp_path / "ws", "Ångström über").engine.dispose()


def test_an_unlocked_file_is_keyed_with_the_raw_key_form(tmp_path: Path) -> None:
    """SQLCipher takes ``"x'<64 hex>'"`` as the key itself; any other string it would stretch
    with its own PBKDF2 (256,000 iterations) on every connection, after our Argon2id."""
    ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice").engine.dispose()
    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    try:
        password = ws.engine.url.password or ""
        assert password.startswith("x'") and password.endswith("'") and len(password) == 67
        int(password[2:-1], 16)
    finally:
        ws.lock()


def test_locking_forgets_the_report_texts_kept_in_memory(tmp_path: Path) -> None:
    """Texts kept across calls to save work (near-duplicate comparisons, search text made
    plain) hold report content: a locked workspace leaves none of it in the process."""
    from app.intake import dedup, import_paths
    from app.queueing import search
    from app.workspaces import lifecycle as ws_mod
    from tests.app.intake.helpers import csaf_doc, write_json

    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    try:
        for i in range(2):  # the same product twice: the second is compared with the first
            doc = csaf_doc(f"MEMO-{i}", cve=f"CVE-2026-{8800 + i}", note=f"Secret note {i}.")
            import_paths(ws, [write_json(tmp_path / f"d{i}.json", doc)])
        with ws.session() as s:
            case = s.scalars(select(Case)).first()
            assert case is not None
            search.reindex(s, case)
        assert dedup._alike.cache_info().currsize and search._plain_again.cache_info().currsize
        ws.lock()
        assert dedup._alike.cache_info().currsize == 0
        assert search._plain_again.cache_info().currsize == 0
    finally:
        ws.engine.dispose()
