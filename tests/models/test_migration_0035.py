"""Migration 0035: audit events gain ``signs_from`` (the first event of the run a signature
vouches for). Events written before, each signed on its own, hash and verify as before on
both backends; downgrading drops the column."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.identity import signing
from tests.models.helpers import BACKENDS, alembic_config, empty_engine


@pytest.mark.parametrize("backend", BACKENDS)
def test_events_signed_before_still_verify(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = empty_engine(backend, tmp_path, request)
    cfg = alembic_config()
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
