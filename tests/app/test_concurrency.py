"""Two writers, one case: exactly one change wins, the other is told who won and when.

The races run in real processes against a SQLCipher file and a real PostgreSQL server. A
barrier after each process has read the case makes every iteration a true race (both read
``new``); without it most runs would simply take turns.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases
from app.cli.main import build_parser
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import AuditEvent
from tests.conftest import PASSPHRASE, REPO

ITERATIONS = 20
CTX = mp.get_context("fork")
build_parser()  # every command module imported once here: forked racers start warm


def _cli_env(ws_dir: Path | None, db_url: str | None) -> dict[str, str]:
    env = {"ACCORD_ANALYST": "alice"}
    if db_url:
        env["ACCORD_DB"] = db_url
    else:
        env["ACCORD_WORKSPACE"] = str(ws_dir)
        env["ACCORD_PASSPHRASE"] = PASSPHRASE
    return env


def _racer(env: dict[str, str], argv: list[str], barrier: Any, results: Any, tag: str) -> None:
    """A child process: the CLI, held at the barrier right after it has read the case."""
    os.environ.update(env)
    from app.cli.main import main

    read_case = cases.get_case

    def read_then_wait(session: Any, key: str) -> Any:
        case = read_case(session, key)
        barrier.wait(timeout=60)
        return case

    cases.get_case = read_then_wait
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    results.put((tag, code, out.getvalue(), err.getvalue()))


def _workspace(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Workspace:
    if backend == "sqlcipher":
        return ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    url = request.getfixturevalue("pg_url")
    return ws_mod.create(None, None, "CERT-Test", "alice", db_url=url)


def _transition_events(ws: Workspace, key: str) -> list[AuditEvent]:
    with ws.session() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.case_key == key, AuditEvent.action == "case.transition")
                .order_by(AuditEvent.seq)
            )
        )


@pytest.mark.parametrize(
    "backend", ["sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_racing_transitions_one_wins_the_other_is_told(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    ws = _workspace(backend, tmp_path, request)
    db_url = None if backend == "sqlcipher" else request.getfixturevalue("pg_url")
    env = _cli_env(tmp_path / "ws", db_url)
    actor = ws.require_actor()
    for i in range(ITERATIONS):
        with ws.session() as s:
            key = cases.create_case(s, actor, f"Race {i}").key
        ws.engine.dispose()  # the children start with no inherited connection
        barrier, results = CTX.Barrier(2), CTX.Queue()
        procs = [
            CTX.Process(
                target=_racer,
                args=(
                    env,
                    ["case", "transition", key, state, "--reason", "race"],
                    barrier,
                    results,
                    state,
                ),
            )
            for state in ("triage", "rejected")
        ]
        for p in procs:
            p.start()
        outcome = {
            tag: (code, out, err)
            for tag, code, out, err in (results.get(timeout=90) for _p in procs)
        }
        for p in procs:
            p.join(timeout=30)
        codes = sorted(code for code, _o, _e in outcome.values())
        assert codes == [0, 1], (i, outcome)
        loser = next(v for v in outcome.values() if v[0] == 1)
        assert f"{key} was changed by alice at" in loser[2], loser
        assert "reload and try again" in loser[2]
        assert "Traceback" not in loser[2]
        events = _transition_events(ws, key)
        assert len(events) == 1, (i, [e.details for e in events])
        assert events[0].details["from"] == "new"
        winner = next(tag for tag, v in outcome.items() if v[0] == 0)
        with ws.session() as s:
            assert cases.detail(s, key).status == winner
    with ws.session() as s:
        audit.verify_session(s)
    ws.engine.dispose()


def test_unsynchronised_cli_processes_never_lose_an_update(tmp_path: Path) -> None:
    """The plain race, two ``accord`` processes started together: whatever the timing, no
    two transitions both start from ``new``, and a refused one says why."""
    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    env = {**os.environ, **_cli_env(tmp_path / "ws", None), "PYTHONPATH": str(REPO)}
    actor = ws.require_actor()
    for i in range(3):
        with ws.session() as s:
            key = cases.create_case(s, actor, f"Plain race {i}").key
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.cli.main",
                    "case",
                    "transition",
                    key,
                    state,
                    "--reason",
                    "race",
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for state in ("triage", "rejected")
        ]
        done = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
        for code, err in done:
            assert code in (0, 1), err
            assert "Traceback" not in err
            if code == 1:
                assert "reload and try again" in err, err
        starts = [e.details["from"] for e in _transition_events(ws, key)]
        assert starts.count("new") == 1, starts
    with ws.session() as s:
        audit.verify_session(s)
    ws.engine.dispose()
