"""Shared fixtures: workspaces on every backend, a CLI runner, the shared data folder."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.identity import keyslots
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSPHRASE = "correct horse battery"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Hundreds of unlocks: a cheap Argon2id here (each slot records its own parameters).
keyslots.KDF = keyslots.KdfParams(iterations=1, lanes=1, memory_cost=64)
for _var in (
    "ACCORD_WORKSPACE", "ACCORD_DB", "ACCORD_ANALYST", "ACCORD_PASSPHRASE",
    "ACCORD_NEW_PASSPHRASE",
):  # fmt: skip
    os.environ.pop(_var, None)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test cleanly where it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    url = os.environ.get("ACCORD_TEST_PG_URL")
    if url:
        yield url
        return
    from tests.pg_server import PgServer

    server = PgServer()
    try:
        url = server.start()
    except (FileNotFoundError, OSError, Exception) as exc:
        server.stop()
        if os.environ.get("ACCORD_REQUIRE_POSTGRES") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required here but could not start: {exc}")
        pytest.skip(f"no PostgreSQL server available: {exc}")
    yield url
    server.stop()


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_base_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_workspace(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Workspace:
    if backend == "memory":
        return ws_mod.create(None, None, "CERT-Test", "alice", db_url="sqlite://")
    if backend == "sqlcipher":
        return ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    url = request.getfixturevalue("pg_url")
    return ws_mod.create(None, None, "CERT-Test", "alice", db_url=url)


@pytest.fixture
def ws(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A fresh in-memory workspace; alice (coordinator) is acting."""
    w = new_workspace("memory", tmp_path, request)
    yield w
    w.engine.dispose()


@pytest.fixture(
    params=["memory", "sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_ws(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """The same workspace on every backend: in-memory SQLite, a SQLCipher file, PostgreSQL."""
    w = new_workspace(request.param, tmp_path, request)
    yield w
    w.engine.dispose()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> object:
        import json

        return json.loads(self.out)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``accord`` in-process against a SQLCipher workspace in tmp_path/ws."""
    from app.cli.main import main

    monkeypatch.setenv("ACCORD_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("ACCORD_PASSPHRASE", PASSPHRASE)
    # No ACCORD_ANALYST: in a workspace file, the passphrase says who is acting.

    def run(*argv: str, env: dict[str, str] | None = None) -> CliResult:
        """``env`` overrides environment variables for this one run (another analyst's
        passphrase, say)."""
        # The CLI removes the passphrase variables from the environment (child processes must
        # not inherit them); put back what the test set, as a new process would see it.
        names = ("ACCORD_PASSPHRASE", "ACCORD_NEW_PASSPHRASE")
        secrets = {k: os.environ[k] for k in names if k in os.environ}
        out, err = io.StringIO(), io.StringIO()
        saved = {k: os.environ.get(k) for k in env or {}}
        os.environ.update(env or {})
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    code = main(list(argv))
                except SystemExit as exc:
                    code = int(exc.code or 0)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            os.environ.update(secrets)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def initialised_cli(cli):  # type: ignore[no-untyped-def]
    """``cli`` on a workspace already created by ``accord init`` (alice is the coordinator)."""
    result = cli("init", "--org", "CERT-Test", "--analyst", "alice")
    assert result.code == 0, result.err
    return cli


def own_passphrase(name: str) -> str:
    """The passphrase ``enrol`` gives an analyst in tests."""
    return f"{name}'s own passphrase"


def enrol(cli, name: str, role: str | None = "analyst") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """``analyst add`` by the acting coordinator (``analyst reset`` for an analyst who exists,
    ``role=None``), then the analyst's first unlock with the one-time passphrase, choosing
    ``own_passphrase(name)``. Returns the env to act as them."""
    if role is None:
        added = cli("analyst", "reset", name, "--json")
    else:
        added = cli("analyst", "add", name, "--role", role, "--json")
    assert added.code == 0, added.err
    otp = added.json()["one_time_passphrase"]
    env = {"ACCORD_PASSPHRASE": otp, "ACCORD_NEW_PASSPHRASE": own_passphrase(name)}
    changed = cli("--as", name, "analyst", "passphrase", env=env)
    assert changed.code == 0, changed.err
    return {"ACCORD_PASSPHRASE": own_passphrase(name), "ACCORD_ANALYST": name}


def file_engine(directory: Path, passphrase: str = PASSPHRASE):  # type: ignore[no-untyped-def]
    """A raw engine on a workspace file, keyed through the slot ``passphrase`` opens (tests that
    tamper with the database behind Accord's back)."""
    from app.workspaces.engines import sqlcipher_engine

    slots = keyslots.read(directory / keyslots.SLOTS_FILE)
    assert slots is not None
    opened = keyslots.open_slots(slots, passphrase)
    assert opened is not None
    return sqlcipher_engine(directory / ws_mod.DB_FILE, keyslots.raw_key_literal(opened.db_key))
