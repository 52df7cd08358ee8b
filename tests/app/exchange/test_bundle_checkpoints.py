"""Checkpoints travel in bundles (issue 13 item 2; brief w2-exch item 1): every bundle carries
the sender's signed audit checkpoint; the recipient keeps the last one per partner and refuses
a later bundle whose checkpoint shows the sender's audit log was cut short or rewritten."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text

from app.auditing import chain as audit
from app.exchange import export, importer, pgp, verify
from app.identity.checkpoints import FORMAT as CHECKPOINT_FORMAT
from models import AuditCheckpoint, AuditEvent, Partner, PartnerCheckpoint, QuarantineItem
from tests.app.exchange.conftest import Org, base_manifest, craft, open_case
from tests.conftest import file_engine


def _checkpoint_file(signer: Org, events: int, head: str) -> bytes:
    """A checkpoint as Accord writes it, signed with ``signer``'s organisation key."""
    statement = audit.canonical(
        {
            "format": CHECKPOINT_FORMAT,
            "events": events,
            "head": head,
            "at": "2026-11-28T10:00:00+00:00",
            "reason": "bundle-export",
        }
    ).decode()
    secret, pw = signer.secret()
    sig = pgp.sign_detached(secret, pw, statement.encode()).decode()
    carried = {"statement": statement, "signature": sig, "signer": signer.fingerprint}
    return json.dumps(carried).encode()


def _bundle(sender: Org, to: Org, sequence: int, files: dict[str, bytes], tag: str = "") -> bytes:
    bundle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sender.name}/cp/{sequence}{tag}"))
    return craft(sender, base_manifest(sender, to, sequence=sequence, bundle_id=bundle_id), files)


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def _kept(org: Org) -> list[tuple[int, str]]:
    with org.ws.session() as s:
        return [
            (c.events, c.head_hash)
            for c in s.scalars(select(PartnerCheckpoint).order_by(PartnerCheckpoint.id))
        ]


def test_truncated_audit_log_of_a_partner_is_detected(initialised_cli: Any, tmp_path: Path) -> None:
    """Two SQLCipher workspaces through the CLI; B deletes its newest audit events (and its
    own checkpoints) behind Accord's back and exports again: A refuses, exit 4, quarantined."""
    cli = initialised_cli
    wb = ["--workspace", str(tmp_path / "wsb")]
    assert cli(*wb, "init", "--org", "CERT-B", "--analyst", "alice").code == 0
    fpr = {}
    for name, ws in (("a", []), ("b", wb)):
        key = cli(*ws, "org", "key", "generate", "--json")
        assert key.code == 0, key.err
        fpr[name] = key.json()["fingerprint"]
        assert cli(*ws, "org", "key", "export", "--out", str(tmp_path / f"{name}.asc")).code == 0
    for ws, name, other in (([], "CERT-B", "b"), (wb, "CERT-A", "a")):
        where = ("--country", "DE", "--tz", "Europe/Berlin")
        added = cli(*ws, "partner", "add", "--name", name, *where,
                    "--key", str(tmp_path / f"{other}.asc"))  # fmt: skip
        assert added.code == 0, added.err
        assert cli(*ws, "partner", "verify", name, "--fingerprint", fpr[other]).code == 0

    def send(n: int) -> Any:
        case = cli(*wb, "case", "new", "--title", f"Finding {n}", "--json").json()["id"]
        out = tmp_path / f"b{n}.bundle"
        exp = cli(*wb, "bundle", "export", "--to", "CERT-A", "--case", case, "--tlp", "GREEN",
                  "--out", str(out))  # fmt: skip
        assert exp.code == 0, exp.err
        return cli("bundle", "import", str(out), "--json")

    first = send(1)
    assert first.code == 0, first.out
    seen = first.json()["verification"]["audit_checkpoint"]
    assert seen["events"] > 0
    second = send(2)
    assert second.code == 0, second.out
    shown = cli("partner", "show", "CERT-B", "--json")
    assert shown.code == 0, shown.err
    last = shown.json()["last_checkpoint"]
    assert last["events"] > seen["events"]
    assert last["bundle_id"] == second.json()["bundle_id"]
    assert cli("partner", "list", "--json").json()[0]["last_checkpoint"] == last
    assert "Audit checkpoint: " in cli("partner", "show", "CERT-B").out

    # B's insider deletes the newest events, and B's own checkpoints that would betray it.
    engine = file_engine(tmp_path / "wsb")
    with engine.begin() as c:
        c.execute(delete(AuditEvent).where(AuditEvent.seq > last["events"] - 5))
        c.execute(delete(AuditCheckpoint))
        remaining = c.execute(text("SELECT max(seq) FROM audit_event")).scalar()
    engine.dispose()
    assert remaining == last["events"] - 5

    third = send(3)
    assert third.code == 4, third.out
    body = third.json()
    assert body["imported"] is False and body["verification"]["failed_check"] == "checkpoint"
    assert "audit rollback at CERT-B" in body["reason"]
    assert f"held {last['events']} events" in body["reason"]
    quarantined = cli("quarantine", "list", "--json").json()
    assert any("audit rollback" in (q.get("reason") or "") for q in quarantined)
    # Nothing of it merged; the last checkpoint seen and the sequence stand.
    shown = cli("partner", "show", "CERT-B", "--json").json()
    assert shown["last_checkpoint"] == last and shown["last_sequence_in"] == 2
    assert "Finding 3" not in cli("cases", "list").out
    verified = cli("bundle", "verify", str(tmp_path / "b3.bundle"))
    assert verified.code == 4 and "audit rollback" in verified.out


def test_same_count_with_another_head_is_refused(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    head = "ab" * 32
    ok = _import(a, _bundle(b, a, 1, {"audit-checkpoint.json": _checkpoint_file(b, 40, head)}))
    assert ok.imported, ok.report.reason
    assert _kept(a) == [(40, head)]
    forked = _bundle(b, a, 2, {"audit-checkpoint.json": _checkpoint_file(b, 40, "cd" * 32)})
    refused = _import(a, forked)
    assert not refused.imported and refused.quarantine_id is not None
    assert refused.report.failed_check == "checkpoint"
    assert "audit log rewritten at CERT-B: event 40" in (refused.report.reason or "")
    # The same checkpoint again (nothing happened in between) and a later one are fine.
    cp = {"audit-checkpoint.json": _checkpoint_file(b, 40, head)}
    again = _import(a, _bundle(b, a, 2, cp, tag="again"))
    assert again.imported, again.report.reason
    cp = {"audit-checkpoint.json": _checkpoint_file(b, 41, "e" * 64)}
    later = _import(a, _bundle(b, a, 3, cp))
    assert later.imported, later.report.reason
    assert _kept(a) == [(40, head), (40, head), (41, "e" * 64)]


def test_checkpoint_left_out_after_one_was_sent_is_refused(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    # A sender that never made checkpoints (an older Accord) is accepted, and noted.
    old = _import(a, _bundle(b, a, 1, {}))
    assert old.imported, old.report.reason
    assert any(c.name == "checkpoint" and "no audit checkpoint" in c.detail
               for c in old.report.checks)  # fmt: skip
    assert _import(
        a, _bundle(b, a, 2, {"audit-checkpoint.json": _checkpoint_file(b, 12, "a" * 64)})
    ).imported
    dropped = _import(a, _bundle(b, a, 3, {}))
    assert not dropped.imported and dropped.report.failed_check == "checkpoint"
    assert "carries no audit checkpoint" in (dropped.report.reason or "")


def test_checkpoint_signed_by_another_key_is_refused(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    # B's bundle carrying a checkpoint signed by A's key (any key but B's manifest key).
    data = _bundle(b, a, 1, {"audit-checkpoint.json": _checkpoint_file(a, 99, "f" * 64)})
    with a.ws.session() as s:
        report = verify.verify_bundle(s, data)
    assert not report.ok and report.failed_check == "checkpoint"
    assert "signature does not verify" in (report.reason or "")
    garbage = _bundle(b, a, 1, {"audit-checkpoint.json": b"{not json"})
    refused = _import(a, garbage)
    assert refused.report.failed_check == "checkpoint"
    assert "is not an audit checkpoint" in (refused.report.reason or "")
    with a.ws.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineItem)) == 1
        assert s.scalar(select(Partner.last_sequence_in)) == 0
    assert _kept(a) == []


def test_genuine_exports_carry_increasing_checkpoints(orgs: tuple[Org, Org]) -> None:
    """Our own exports: each makes (and keeps) a checkpoint and the bundle carries it."""
    a, b = orgs
    counts = []
    for n in range(2):
        key = open_case(a, f"Finding {n}")
        with a.ws.session() as s:
            data = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER").data
        result = _import(b, data)
        assert result.imported, result.report.reason
        assert result.report.checkpoint is not None
        counts.append(result.report.checkpoint["events"])
    assert counts[0] < counts[1]
    with a.ws.session() as s:
        ours = s.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.id)).all()
        reasons = set(s.scalars(select(AuditCheckpoint.reason)))
    assert list(ours) == counts and reasons == {"bundle-export"}
    assert [e for e, _h in _kept(b)] == counts
