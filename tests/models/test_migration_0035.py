"""Migration 0035: audit events gain ``signs_from`` (the first event of the run a signature
vouches for). Events written before, each signed on its own, hash and verify as before on
both backends; downgrading drops the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.identity import signing
from app.workspaces.engines import MIGRATIONS, plain_sqlite_engine


def _engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Engine:
    if backend == "sqlite":
        return plain_sqlite_engine(tmp_path / "old.sqlite")
    return create_engine(request.getfixturevalue("pg_url"))


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_events_signed_before_still_verify(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = _engine(backend, tmp_path, request)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    key = Ed25519PrivateKey.generate()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0034")
            prev = audit.GENESIS
            for seq in (1, 2, 3):
                ev = {
                    "seq": seq, "at": "2026-12-01T10:00:00+00:00", "actor": "alice",
                    "action": "case.create", "entity": "case", "entity_id": str(seq),
                    "case": None, "details": {}, "prev_hash": prev,
                }  # fmt: skip
                prev = audit.event_hash(ev)
                params = {
                    "seq": seq, "eid": str(seq), "prev": ev["prev_hash"], "hash": prev,
                    "sig": key.sign(prev.encode("ascii")).hex(), "kid": signing.key_id(key),
                }  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO audit_event (seq, at, actor, action, entity, entity_id,"
                        " details, prev_hash, hash, signature, key_id) VALUES (:seq,"
                        " '2026-12-01 10:00:00', 'alice', 'case.create', 'case', :eid, '{}',"
                        " :prev, :hash, :sig, :kid)"
                    ),
                    params,
                )
            command.upgrade(cfg, "0035")
            assert "signs_from" in {c["name"] for c in inspect(conn).get_columns("audit_event")}
            with Session(bind=conn) as s:
                events = list(audit.iter_events(s))
            assert all("signs_from" not in e for e in events)
            known = signing.KnownKey(signing.key_id(key), "alice", signing.public_raw(key).hex(), 1)
            result = audit.verify_events(
                events, start_prev=audit.GENESIS, keys=signing.Keyring([known])
            )
            assert (result.events, result.signed) == (3, 3)
            command.downgrade(cfg, "0034")
            assert "signs_from" not in {c["name"] for c in inspect(conn).get_columns("audit_event")}
    finally:
        engine.dispose()
