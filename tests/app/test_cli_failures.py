"""Failures never print case data: a concurrent writer, an unexpected error, a closed pipe."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from app.identity import keyslots
from app.workspaces import lifecycle as ws_mod
from tests.app.intake.helpers import csaf_doc, write_json
from tests.conftest import PASSPHRASE, REPO

CANARY = "CANARY-7f3a9c-secret-title"

HOLD_LOCK = """
import sys, time
from pathlib import Path
from app.workspaces.engines import sqlcipher_engine
engine = sqlcipher_engine(Path(sys.argv[1]), sys.argv[2])
raw = engine.raw_connection()
cur = raw.cursor()
cur.execute("BEGIN IMMEDIATE")
cur.execute("UPDATE setting SET value = value WHERE key = 'org.name'")
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
raw.commit()
raw.close()
"""


def _documents(folder: Path, n: int = 6) -> list[str]:
    folder.mkdir()
    return [
        str(
            write_json(
                folder / f"d{i}.json",
                csaf_doc(
                    f"CAN-{i}",
                    cve=f"CVE-2026-{5000 + i}",
                    title=f"{CANARY} {i}",
                    note=f"{CANARY} description {i}",
                ),
            )
        )
        for i in range(n)
    ]


def _env(ws_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ACCORD_WORKSPACE": str(ws_dir),
        "ACCORD_PASSPHRASE": PASSPHRASE,
        "ACCORD_ANALYST": "alice",
        "PYTHONPATH": str(REPO),
    }


def _raw_key(ws_dir: Path) -> str:
    """The database key the analyst's slot wraps, in SQLCipher's raw-key form."""
    slots = keyslots.read(ws_dir / keyslots.SLOTS_FILE)
    assert slots is not None
    opened = keyslots.open_slots(slots, PASSPHRASE)
    assert opened is not None
    return keyslots.raw_key_literal(opened.db_key)


def _hold_lock(ws_dir: Path, seconds: float) -> subprocess.Popen[str]:
    key = _raw_key(ws_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(ws_dir / ws_mod.DB_FILE), key, str(seconds)],
        cwd=REPO, env=_env(ws_dir), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_import_waits_for_a_concurrent_writer_and_prints_no_content(tmp_path: Path) -> None:
    ws_dir = tmp_path / "ws"
    ws_mod.create(ws_dir, PASSPHRASE, "CERT-Test", "alice").engine.dispose()
    paths = _documents(tmp_path / "docs")
    for trial in range(3):
        holder = _hold_lock(ws_dir, 3.0)
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "app.cli.main", "import", "--source", f"t{trial}", *paths],
            cwd=REPO, env=_env(ws_dir), capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        holder.wait(timeout=30)
        for stream in (run.stdout, run.stderr):
            assert CANARY not in stream
            assert "parameters" not in stream
            assert "Traceback" not in stream
        assert run.returncode in (0, 1), run.stderr
        if run.returncode == 0:
            assert time.monotonic() - started >= 2.0  # it waited for the lock
        else:
            assert "busy" in run.stderr


def test_import_that_cannot_get_the_lock_says_so_without_content(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from app.intake import importer
    from app.workspaces import engines as storage

    assert cli("init", "--org", "CERT-Test", "--analyst", "alice").code == 0
    paths = _documents(tmp_path / "docs")
    monkeypatch.setattr(storage, "BUSY_SECONDS", 0.3)
    monkeypatch.setattr(importer, "BUSY_ATTEMPTS", 2)
    holder = _hold_lock(tmp_path / "ws", 8.0)
    try:
        with caplog.at_level(logging.DEBUG):
            result = cli("import", *paths)
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 1
    assert "busy" in result.err
    for text in (result.out, result.err, caplog.text):
        assert CANARY not in text
        assert "parameters" not in text


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError(CANARY),
        IntegrityError(
            "INSERT INTO report (title) VALUES (?)", {"title": CANARY}, Exception(CANARY)
        ),
    ],
    ids=["runtime", "sqlalchemy"],
)
def test_an_unexpected_error_prints_its_class_never_its_text(
    initialised_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    from app.casework import cases

    assert initialised_cli("case", "new", "--title", "A case").code == 0

    def boom(*_a: object, **_k: object) -> None:
        raise error

    monkeypatch.setattr(cases, "detail", boom)
    with caplog.at_level(logging.DEBUG):
        result = initialised_cli("case", "show", "ACC-2026-0001")
    assert result.code == 1
    assert type(error).__name__ in result.err
    assert "ref " in result.err
    for text in (result.out, result.err, caplog.text):
        assert CANARY not in text
        assert "parameters" not in text
        assert "INSERT" not in text


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    vectors = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n" * 20000
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "score", "--stdin", "--json"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(vectors.encode())
    proc.stdin.close()
    assert proc.stdout.readline()  # `| head -1`: one line, then the reader goes away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert code in (0, 141)
    assert err == ""
