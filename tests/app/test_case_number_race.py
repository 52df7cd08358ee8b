"""Two analysts open a case at the same moment: both get one, with different numbers.

Real processes against a SQLCipher file and a real PostgreSQL server; a barrier right before
each draws its number makes every iteration a true race.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.casework import cases
from app.cli.main import build_parser
from app.workspaces import lifecycle as ws_mod
from models import Case
from tests.conftest import PASSPHRASE

ITERATIONS = 10
CTX = mp.get_context("fork")
build_parser()


def _racer(env: dict[str, str], title: str, barrier: Any, results: Any) -> None:
    os.environ.update(env)
    from app.cli.main import main

    draw = cases.next_key

    def wait_then_draw(session: Any, year: int) -> Any:
        barrier.wait(timeout=60)
        return draw(session, year)

    cases.next_key = wait_then_draw
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(["case", "new", "--title", title, "--json"])
        except SystemExit as exc:
            code = int(exc.code or 0)
    results.put((title, code, out.getvalue(), err.getvalue()))


@pytest.mark.parametrize(
    "backend", ["sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_racing_case_creation_gives_each_case_its_own_number(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = {"ACCORD_ANALYST": "alice"}
    if backend == "sqlcipher":
        ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
        env |= {"ACCORD_WORKSPACE": str(tmp_path / "ws"), "ACCORD_PASSPHRASE": PASSPHRASE}
    else:
        url = request.getfixturevalue("pg_url")
        ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url=url)
        env["ACCORD_DB"] = url
    ws.engine.dispose()
    for i in range(ITERATIONS):
        barrier, results = CTX.Barrier(2), CTX.Queue()
        titles = (f"Race {i} a", f"Race {i} b")
        procs = [CTX.Process(target=_racer, args=(env, t, barrier, results)) for t in titles]
        for p in procs:
            p.start()
        outcome = {
            t: (code, out, err) for t, code, out, err in (results.get(timeout=90) for _ in procs)
        }
        for p in procs:
            p.join(timeout=30)
        assert [outcome[t][0] for t in titles] == [0, 0], (i, outcome)
        assert all("Traceback" not in v[2] for v in outcome.values())
    with ws.session() as s:
        rows = s.execute(select(Case.key, Case.title)).all()
        assert len(rows) == 2 * ITERATIONS
        assert len({key for key, _t in rows}) == 2 * ITERATIONS
        audit.verify_session(s)
    ws.engine.dispose()
