"""Signed audit events and signed checkpoints (issue 13, item 2): an edited, a re-signed and a
truncated log are each detected, in the workspace and in an export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from app.auditing import chain as audit
from tests.conftest import enrol, file_engine


@pytest.fixture
def anchored(initialised_cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """alice (coordinator) and bob; an organisation key; 12 cases; a checkpoint."""
    cli = initialised_cli
    bob = enrol(cli, "bob", "shift-lead")
    r = cli("org", "key", "generate")  # GnuPG, or pysequoia where GnuPG is absent: never skipped
    assert r.code == 0, r.err
    for i in range(6):
        assert cli("case", "new", "--title", f"case {i}").code == 0
        assert cli("case", "new", "--title", f"bob's case {i}", env=bob).code == 0
    r = cli("audit", "checkpoint", "--json")
    assert r.code == 0, r.err
    return cli, bob, tmp_path / "ws"


def _export(cli, path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    r = cli("audit", "export", "--out", str(path), "--json")
    assert r.code == 0 and r.json()["checkpoint"] is True, r.err
    return path.read_text().splitlines()


def test_intact_log_verifies_signed_and_anchored(anchored) -> None:  # type: ignore[no-untyped-def]
    cli, _bob, _dir = anchored
    r = cli("audit", "verify", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["checkpoints"] == 1 and data["unsigned"] == 0 and data["signed"] == data["events"]


def test_edited_event_detected(anchored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli, _bob, directory = anchored
    lines = _export(cli, tmp_path / "a.jsonl")
    engine = file_engine(directory)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_event SET entity_id='999' WHERE seq=7"))
    engine.dispose()
    r = cli("audit", "verify")
    assert r.code == 4 and "event 7" in r.err and "edited" in r.err
    # In an export: the same edit, with the hash recomputed, breaks the signature.
    at = next(i for i, line in enumerate(lines) if json.loads(line).get("seq") == 7)
    ev = json.loads(lines[at])
    ev["entity_id"] = "999"
    ev["hash"] = audit.event_hash(ev)
    lines[at] = json.dumps(ev)
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    r = cli("audit", "verify", "--file", str(tmp_path / "b.jsonl"))
    assert r.code == 4 and "event 7" in r.err


def test_resigned_log_detected(anchored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """bob, holding the database key, rewrites alice's event 7 and recomputes the chain from
    there, signing with his own key (he has no other)."""
    cli, _bob, directory = anchored
    engine = file_engine(directory)
    with engine.connect() as c:
        bob_key_id = c.execute(
            text(
                "SELECT key_id FROM analyst_key k JOIN analyst a ON a.id = k.analyst_id "
                "WHERE a.name = 'bob'"
            )
        ).scalar()
    engine.dispose()
    mallory = Ed25519PrivateKey.generate()  # bob signs under his key id; he has no other key
    events = list(_chain(directory))
    prev = events[5]["hash"]
    rewritten = []
    for ev in events[6:]:
        ev = dict(ev)
        if ev["seq"] == 7:
            ev["entity_id"] = "999"
        ev["prev_hash"] = prev
        ev["hash"] = audit.event_hash(ev)
        ev["signature"] = mallory.sign(ev["hash"].encode()).hex()
        ev["key_id"] = bob_key_id
        prev = ev["hash"]
        rewritten.append(ev)
    engine = file_engine(directory)
    with engine.begin() as c:
        for ev in rewritten:
            c.execute(
                text(
                    "UPDATE audit_event SET entity_id=:e, prev_hash=:p, hash=:h, "
                    "signature=:s, key_id=:k WHERE seq=:q"
                ),
                {
                    "e": ev["entity_id"],
                    "p": ev["prev_hash"],
                    "h": ev["hash"],
                    "s": ev["signature"],
                    "k": ev["key_id"],
                    "q": ev["seq"],
                },
            )
    engine.dispose()
    r = cli("audit", "verify")
    assert r.code == 4 and "event 7" in r.err
    assert "key of bob, not of alice" in r.err or "does not verify" in r.err


def _chain(directory: Path):  # type: ignore[no-untyped-def]
    from app.workspaces import lifecycle as ws_mod
    from tests.conftest import PASSPHRASE

    ws = ws_mod.open_workspace(directory, PASSPHRASE)
    try:
        with ws.session() as s:
            yield from list(audit.iter_events(s))
    finally:
        ws.lock()


def test_resigned_export_detected_by_its_checkpoint(anchored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The whole export rewritten under one attacker key, key lines replaced to match: the
    chain and signatures are consistent, but the organisation's checkpoint is not."""
    cli, _bob, _dir = anchored
    lines = _export(cli, tmp_path / "a.jsonl")
    records = [json.loads(line) for line in lines]
    mallory = Ed25519PrivateKey.generate()
    from app.identity import signing

    kid = signing.key_id(mallory)
    out, prev = [], audit.GENESIS
    for rec in records:
        if rec.get("kind") == "key":
            continue
        if rec.get("kind") == "checkpoint":
            out.append(rec)
            continue
        rec["actor"] = "mallory"
        rec["prev_hash"] = prev
        rec["hash"] = audit.event_hash(rec)
        rec["signature"], rec["key_id"] = mallory.sign(rec["hash"].encode()).hex(), kid
        prev = rec["hash"]
        out.append(rec)
    key = {"kind": "key", "key_id": kid, "analyst": "mallory", "since_seq": 1}
    out.insert(1, key | {"public_key": signing.public_raw(mallory).hex()})
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in out) + "\n")
    r = cli("audit", "verify", "--file", str(tmp_path / "b.jsonl"))
    assert r.code == 4 and "rewritten" in r.err


def test_truncated_log_detected(anchored, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli, _bob, directory = anchored
    lines = _export(cli, tmp_path / "a.jsonl")
    assert cli("audit", "verify", "--file", str(tmp_path / "a.jsonl")).code == 0
    # The export cut after its first events (the header stays: it is first).
    (tmp_path / "cut.jsonl").write_text("\n".join(lines[:12]) + "\n")
    r = cli("audit", "verify", "--file", str(tmp_path / "cut.jsonl"))
    assert r.code == 4 and "truncated" in r.err
    # The workspace: the newest events deleted, back past the checkpoint.
    engine = file_engine(directory)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq > 10"))
    engine.dispose()
    r = cli("audit", "verify")
    assert r.code == 4 and "newest events were deleted" in r.err
