"""A signature per run of an analyst's events: what it vouches for, and what it does not.

An analyst's events appended in one go are signed once, on the last of them, whose hashed
body names the run's first event (``signs_from``). These tests import real documents (real
parser processes, on a SQLCipher file and on PostgreSQL), then play the insider who can write
the database (the file's passphrase, the server's owner) but holds no one else's signing key:
an event forged in a colleague's name just before, inside or after their run, a run's end cut
off, a signature made to claim someone else's events. Each is refused, naming the event, in
the workspace and in an export.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from app.auditing import chain as audit
from app.errors import VerificationError
from app.identity import signing
from app.intake.importer import import_paths
from app.workspaces.lifecycle import Workspace
from models import Analyst, AnalystKey, AuditEvent, utcnow
from tests.app.intake.helpers import csaf_doc
from tests.conftest import new_workspace

DOCUMENTS = 12

BACKENDS = ["sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def imported(tmp_path: Path, request: pytest.FixtureRequest) -> Workspace:
    """A workspace into which alice imported 12 CSAF documents with two parser processes."""
    ws = new_workspace(request.param, tmp_path, request)
    if ws.require_actor().signing_key is None:
        # A team database made without a passphrase: alice's key, registered as unlocking
        # with her slot would (``app.identity.unlock``).
        key = Ed25519PrivateKey.generate()
        with ws.session() as s:
            s.add(
                AnalystKey(
                    key_id=signing.key_id(key),
                    analyst_id=ws.require_actor().id,
                    public_key=signing.public_raw(key).hex(),
                    since_seq=audit.head(s)[0] + 1,
                    created_at=utcnow(),
                )
            )
            s.commit()
        ws.actor = replace(ws.require_actor(), signing_key=key)
    folder = tmp_path / "drop"
    folder.mkdir()
    for i in range(DOCUMENTS):
        doc = csaf_doc(
            tracking_id=f"ACME-2026-{i:03}", cve=f"CVE-2026-{20000 + i}", title=f"Issue {i}"
        )
        (folder / f"{i:03}.json").write_text(json.dumps(doc))
    result = import_paths(ws, [folder], workers=2)
    assert result.imported == DOCUMENTS, result
    return ws


def _events(ws: Workspace) -> list[dict[str, Any]]:
    with ws.session() as s:
        return list(audit.iter_events(s))


def _verify(ws: Workspace) -> audit.VerifyResult:
    with ws.session() as s:
        return audit.verify_session(s)


def _append_raw(ws: Workspace, ev: dict[str, Any]) -> None:
    """The insider's insert: a whole event row, chained and hashed as the code would."""
    with ws.engine.begin() as c:
        c.execute(
            AuditEvent.__table__.insert().values(  # type: ignore[attr-defined]
                seq=ev["seq"],
                at=datetime.fromisoformat(ev["at"]),
                actor=ev["actor"],
                action=ev["action"],
                entity=ev["entity"],
                entity_id=ev["entity_id"],
                case_key=ev["case"],
                details=ev["details"],
                prev_hash=ev["prev_hash"],
                hash=ev["hash"],
                signature=ev.get("signature"),
                key_id=ev.get("key_id"),
                signs_from=ev.get("signs_from"),
            )
        )


def _forged(after: dict[str, Any], actor: str, **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "seq": after["seq"] + 1,
        "at": (datetime.fromisoformat(after["at"]) + timedelta(seconds=1)).isoformat(),
        "actor": actor,
        "action": "case.transition",
        "entity": "case",
        "entity_id": "1",
        "case": None,
        "details": {"from": "new", "to": "closed"},
        "prev_hash": after["hash"],
        **extra,
    }
    ev["hash"] = audit.event_hash(ev)
    return ev


def test_an_import_signs_each_run_once_and_every_event_is_vouched_for(
    imported: Workspace,
) -> None:
    events = _events(imported)
    heads = [e for e in events if e["signature"]]
    imports = [e for e in events if e["action"] == "report.import"]
    assert len(imports) == DOCUMENTS
    # Two runs for the batch (the cases it opened, the reports), not one signature per event.
    assert len(heads) < len(events) / 4, [(e["seq"], e["action"]) for e in events]
    for head in heads:
        first = head.get("signs_from", head["seq"])
        run = [e for e in events if first <= e["seq"] <= head["seq"]]
        assert {e["actor"] for e in run} == {"alice"}
        assert all(e["signature"] is None for e in run[:-1])
    result = _verify(imported)
    with imported.session() as s:
        before_keys = audit.keyring(s).first_seq["alice"] - 1  # the workspace's creation
    assert result.unsigned == before_keys and result.signed == result.events - before_keys


def test_an_event_forged_just_before_a_run_is_not_vouched_for(
    tmp_path: Path, request: pytest.FixtureRequest, imported: Workspace
) -> None:
    """The attack ``signs_from`` is there for: the insider appends an unsigned event in
    alice's name at the tail, and alice's next run chains right after it. Her signature
    covers its hash, but her run starts after it: it is refused."""
    tail = _events(imported)[-1]
    forged = _forged(tail, "alice")
    _append_raw(imported, forged)
    with pytest.raises(VerificationError, match=f"event {forged['seq']} .*unsigned"):
        _verify(imported)
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps(csaf_doc(tracking_id="ACME-2026-900")))
    assert import_paths(imported, [folder], workers=1).imported == 1
    after = _events(imported)
    assert after[forged["seq"]]["actor"] == "alice"  # alice's run follows it directly
    with pytest.raises(VerificationError, match=f"event {forged['seq']} .*unsigned"):
        _verify(imported)


def test_a_run_cut_before_its_signature_is_refused(imported: Workspace) -> None:
    events = _events(imported)
    head = events[-1]
    assert head["signature"] and head["signs_from"] < head["seq"]
    with imported.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": head["seq"]})
    with pytest.raises(VerificationError, match=f"event {head['signs_from']} .*unsigned"):
        _verify(imported)


def test_an_edited_run_or_a_stretched_signature_is_refused(imported: Workspace) -> None:
    events = _events(imported)
    head = events[-1]
    member = events[head["signs_from"] - 1]
    # A member's text changed and every later hash recomputed: alice's signature no longer
    # matches the hash of her run's end.
    with imported.engine.begin() as c:
        prev = member["prev_hash"]
        for ev in events[member["seq"] - 1 :]:
            ev = dict(ev, prev_hash=prev)
            if ev["seq"] == member["seq"]:
                ev["entity_id"] = "999"
            ev["hash"] = prev = audit.event_hash(ev)
            c.execute(
                text("UPDATE audit_event SET entity_id=:e, prev_hash=:p, hash=:h WHERE seq=:s"),
                {"e": ev["entity_id"], "p": ev["prev_hash"], "h": ev["hash"], "s": ev["seq"]},
            )
    with pytest.raises(VerificationError, match=f"event {head['seq']} .*does not verify"):
        _verify(imported)


def _register(ws: Workspace, name: str, key: Ed25519PrivateKey) -> None:
    """bob, an analyst with a key of his own (registered from event 1)."""
    with ws.session() as s:
        analyst = Analyst(
            name=name, role="analyst", timezone="UTC", language="en", active=True,
            created_at=utcnow(),
        )  # fmt: skip
        s.add(analyst)
        s.flush()
        raw = signing.public_raw(key)
        s.add(
            AnalystKey(
                key_id=signing.key_id(key),
                analyst_id=analyst.id,
                public_key=raw.hex(),
                since_seq=1,
                created_at=utcnow(),
            )
        )
        s.commit()


def test_a_colleague_cannot_sign_for_someone_elses_events(imported: Workspace) -> None:
    """bob, who holds his own key and can write the database, forges two events in alice's
    name and signs a run of his own that claims them: refused, naming the first forgery."""
    bob = Ed25519PrivateKey.generate()
    _register(imported, "bob", bob)
    tail = _events(imported)[-1]
    first = _forged(tail, "alice")
    second = _forged(first, "alice")
    head = _forged(second, "bob", signs_from=first["seq"])
    head["signature"] = bob.sign(head["hash"].encode("ascii")).hex()
    head["key_id"] = signing.key_id(bob)
    for ev in (first, second, head):
        _append_raw(imported, ev)
    with pytest.raises(VerificationError, match=f"event {first['seq']} .*unsigned, but alice"):
        _verify(imported)
    # The same claim with his own events in between: his run starts after alice's events.
    with imported.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": first["seq"]})
    mine = _forged(tail, "bob")
    stretched = _forged(mine, "bob", signs_from=tail["seq"])
    stretched["signature"] = bob.sign(stretched["hash"].encode("ascii")).hex()
    stretched["key_id"] = signing.key_id(bob)
    for ev in (mine, stretched):
        _append_raw(imported, ev)
    with pytest.raises(VerificationError, match=f"event {tail['seq']} is not bob's"):
        _verify(imported)


def test_exports_cut_inside_a_run_carry_it_to_its_signature(
    imported: Workspace, tmp_path: Path
) -> None:
    """A date range may end inside a run: the export goes on to the run's signed end, so that
    what is in the range verifies without the workspace; one that starts inside a run
    verifies too."""
    t0 = datetime.fromisoformat(_events(imported)[-1]["at"]) + timedelta(hours=1)
    with imported.session() as s:  # a run of four events dated a minute apart
        audit.record_all(
            s,
            imported.require_actor(),
            [audit.Event("note.add", "case", "1", at=t0 + timedelta(minutes=i)) for i in range(4)],
        )
        s.commit()
    events = _events(imported)
    head = events[-1]
    assert head["signs_from"] == head["seq"] - 3
    until = t0 + timedelta(minutes=1, seconds=30)  # two of the run's events are in the range
    out = tmp_path / "cut.jsonl"
    with imported.session() as s:
        written = audit.export_lines(s, out, until=until)
        chosen = audit.selected_events(s, until=until)
    result = audit.verify_file(out)
    assert written == chosen.events == result.events == head["seq"]
    with imported.session() as s:
        before_keys = audit.keyring(s).first_seq["alice"] - 1
    assert result.signed == result.events - before_keys
    with imported.session() as s:
        audit.export_lines(s, out, since=until)
    tail = audit.verify_file(out)
    assert (tail.first_seq, tail.events, tail.signed) == (head["seq"] - 1, 2, 2)
    # Without the run's end the two events in the range do not verify.
    lines = out.read_text().splitlines()
    cut = tmp_path / "cut-short.jsonl"
    cut.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(VerificationError, match=f"event {head['seq'] - 1} .*unsigned"):
        audit.verify_file(cut)


def alice_key(ws: Workspace) -> Ed25519PrivateKey:
    key = ws.require_actor().signing_key
    assert key is not None
    return key


def test_events_signed_one_by_one_still_verify(imported: Workspace) -> None:
    """The chain as written before runs: every event of alice signed on its own."""
    key = alice_key(imported)
    with imported.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET signs_from = NULL"))
    events = _events(imported)
    with imported.session() as s:
        since = audit.keyring(s).first_seq["alice"]
    prev = audit.GENESIS
    with imported.engine.begin() as c:
        for ev in events:
            ev = dict(ev, prev_hash=prev)
            ev["hash"] = prev = audit.event_hash(ev)
            signed = ev["actor"] == "alice" and ev["seq"] >= since
            c.execute(
                text(
                    "UPDATE audit_event SET prev_hash=:p, hash=:h, signature=:g, key_id=:k "
                    "WHERE seq=:s"
                ),
                {
                    "p": ev["prev_hash"],
                    "h": ev["hash"],
                    "g": key.sign(ev["hash"].encode("ascii")).hex() if signed else None,
                    "k": signing.key_id(key) if signed else None,
                    "s": ev["seq"],
                },
            )
    result = _verify(imported)
    assert result.signed == len([e for e in events if e["seq"] >= since])
    with imported.session() as s:
        assert (
            s.scalar(select(AuditEvent.signs_from).where(AuditEvent.signs_from.is_not(None)))
            is None
        )


def _importer(ws: Workspace, folder: Path, barrier: Any, results: Any) -> None:
    """A child process: one import, started with the others at the barrier."""
    try:
        barrier.wait(timeout=60)
        results.put(import_paths(ws, [folder], workers=1).imported)
    except BaseException as exc:  # reported to the test, not lost in the child
        results.put(repr(exc))


def test_concurrent_imports_each_sign_their_own_runs(imported: Workspace, tmp_path: Path) -> None:
    """Three processes import at once, three times over: every run stays one writer's,
    contiguous and signed at its end, and the whole chain verifies."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    for round_ in range(3):
        folders = []
        for p in range(3):
            folder = tmp_path / f"r{round_}p{p}"
            folder.mkdir()
            for i in range(4):
                n = round_ * 100 + p * 10 + i
                doc = csaf_doc(tracking_id=f"RACE-{n:04}", cve=f"CVE-2026-{30000 + n}")
                (folder / f"{i}.json").write_text(json.dumps(doc))
            folders.append(folder)
        imported.engine.dispose()  # the children start with no inherited connection
        barrier, results = ctx.Barrier(3), ctx.Queue()
        procs = [
            ctx.Process(target=_importer, args=(imported, f, barrier, results)) for f in folders
        ]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=120) for _p in procs]
        for proc in procs:
            proc.join(timeout=30)
        assert outcomes == [4, 4, 4], outcomes
    events = _events(imported)
    assert sum(e["action"] == "report.import" for e in events) == DOCUMENTS + 36
    heads = [e for e in events if e["signature"]]
    runs = [(h.get("signs_from", h["seq"]), h["seq"]) for h in heads]
    covered = [seq for first, last in runs for seq in range(first, last + 1)]
    assert len(covered) == len(set(covered))  # no two runs claim an event
    result = _verify(imported)
    assert result.signed == len(covered) and result.events == events[-1]["seq"]


def test_the_log_says_which_signature_vouches_for_each_event(
    initialised_cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``audit log --json``: an event of a run has no signature of its own; its
    ``vouched_by`` names the run's signed end (its own seq when signed alone)."""
    cli = initialised_cli
    folder = tmp_path / "drop"
    folder.mkdir()
    for i in range(3):
        doc = csaf_doc(tracking_id=f"LOG-{i}", cve=f"CVE-2026-{40000 + i}")
        (folder / f"{i}.json").write_text(json.dumps(doc))
    assert cli("import", str(folder)).code == 0
    assert cli("case", "new", "--title", "alone").code == 0
    log = cli("audit", "log", "--json").json()
    assert isinstance(log, list)
    imports = [e for e in log if e["action"] == "report.import"]
    end = imports[-1]
    assert end["signature"] and end["signs_from"] == imports[0]["seq"]
    assert [e["vouched_by"] for e in imports] == [end["seq"]] * 3
    assert all(e["signature"] is None for e in imports[:-1])
    alone = log[-1]
    assert alone["action"] == "case.create" and alone["vouched_by"] == alone["seq"]
    assert cli("audit", "verify").code == 0


def test_a_signed_event_without_a_number_is_refused_not_crashed() -> None:
    """An export edited by hand: a well-signed event whose seq is not a number."""
    key = Ed25519PrivateKey.generate()
    ev: dict[str, Any] = {
        "seq": "seven", "at": "2026-12-07T10:00:00+00:00", "actor": "alice",
        "action": "case.create", "entity": "case", "entity_id": "1", "case": None,
        "details": {}, "prev_hash": audit.GENESIS,
    }  # fmt: skip
    ev["hash"] = audit.event_hash(ev)
    ev["signature"] = key.sign(ev["hash"].encode("ascii")).hex()
    ev["key_id"] = signing.key_id(key)
    known = signing.KnownKey(ev["key_id"], "alice", signing.public_raw(key).hex(), 1)
    with pytest.raises(VerificationError, match="no event number"):
        audit.verify_events([ev], keys=signing.Keyring([known]))
