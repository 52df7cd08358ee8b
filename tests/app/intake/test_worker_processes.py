"""Import worker processes hold no passphrase and die with the importing process (issue 12.11).

Real processes: an ``accord import`` runs in a child process with ``ACCORD_PASSPHRASE`` set;
its parsing stops after the first document (a slowed ``_stream``) so the workers can be
inspected; then the importer is killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.workspaces import lifecycle as ws_mod
from tests.app.intake.helpers import csaf_doc
from tests.conftest import PASSPHRASE, REPO

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

DRIVER = """
import sys, time
import app.intake.importer as imp
from app.cli.main import main

original = imp._stream

def slow(*args, **kwargs):
    for i, item in enumerate(original(*args, **kwargs)):
        if i == 0:
            print("WORKING", flush=True)
            time.sleep(120)
        yield item

imp._stream = slow
sys.exit(main(sys.argv[1:]))
"""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_hold_no_passphrase_and_die_with_the_importer(tmp_path: Path) -> None:
    directory = tmp_path / "ws"
    ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice").engine.dispose()
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(80):
        doc = csaf_doc(tracking_id=f"ACME-2026-{i:03}", cve=f"CVE-2026-{10000 + i}")
        (docs / f"advisory-{i:03}.json").write_text(json.dumps(doc))
    env = dict(os.environ, ACCORD_PASSPHRASE=PASSPHRASE, ACCORD_WORKSPACE=str(directory))
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "--as", "alice", "import", str(docs), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "WORKING", proc.stderr.read() if proc.stderr else ""
        workers = _descendants(proc.pid)
        assert len(workers) >= 2  # the fork server and its workers
        for pid in workers:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            assert b"ACCORD_PASSPHRASE" not in environ, f"process {pid} inherited it"
            assert PASSPHRASE.encode() not in environ
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_running(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _running(p)], "workers survived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
