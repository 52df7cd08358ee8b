"""accord case party add|set|list|log, as a coordinator and as an analyst on their own
passphrase: JSON fields, exit codes, files kept in the store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.workspaces import lifecycle as ws_mod
from models import Attachment
from tests.conftest import PASSPHRASE, enrol


def test_party_commands(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = cli("case", "new", "--title", "Portico gateway injection", "--json").json()["id"]
    bob = enrol(cli, "bob")
    add = cli(
        "case", "party", "add", key, "--kind", "vendor", "Helix AI",
        "--contact", "psirt@helix.example", "--channel", "e-mail", "--json", env=bob,
    )  # fmt: skip
    assert add.code == 0, add.err
    party = add.json()
    assert (party["kind"], party["name"], party["channel"]) == ("vendor", "Helix AI", "e-mail")
    assert party["contacts"] == ["psirt@helix.example"] and party["status"] is None

    notified = cli(
        "case", "party", "set", key, "helix ai", "--status", "notified", "--at",
        "2026-03-02T09:30:00+00:00", "--json", env=bob,
    )  # fmt: skip
    assert notified.code == 0, notified.err
    data = notified.json()
    assert data["acknowledgement_due"] == "2026-03-09T09:30:00+00:00"
    assert data["response_due"] == "2026-04-16T09:30:00+00:00"
    assert data["timeline"][0]["by"] == "bob" and data["status_provenance"] == "local"

    # A version the screen saw before the notification is stale: refused, exit 1.
    stale = cli(
        "case", "party", "set", key, str(party["id"]), "--status", "affected",
        "--version", str(party["version"]),
    )  # fmt: skip
    assert stale.code == 1 and "reload" in stale.err

    said = cli(
        "case", "party", "set", key, str(party["id"]), "--status", "not affected",
        "--statement", "Portico 3.x is not built on the affected parser", "--json",
    )  # fmt: skip
    assert said.code == 0 and said.json()["status"] == "not-affected"

    reply = tmp_path / "reply.eml"
    reply.write_bytes(b"From: psirt@helix.example\n\nWe are not affected.")
    tool = tmp_path / "poc.exe"
    tool.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    logged = cli(
        "case", "party", "log", key, "Helix AI", "--received", "--channel", "e-mail",
        "--summary", "vendor statement", "--attach", str(reply), "--attach", str(tool), "--json",
    )  # fmt: skip
    assert logged.code == 0, logged.err
    contact = logged.json()["contact"]
    assert contact["direction"] == "received" and len(contact["attachments"]) == 2

    rep = cli(
        "case", "party", "add", key, "--kind", "reporter", "n0name", "--pseudonymous",
        "--credit", "n0name (Night Lab)", "--safe-harbour", "--json",
    )  # fmt: skip
    assert rep.code == 0, rep.err
    assert rep.json()["pseudonymous"] and rep.json()["safe_harbour_at"]

    listed = cli("case", "party", "list", key, "--json")
    assert listed.code == 0
    rows = {p["name"]: p for p in listed.json()}
    assert rows["Helix AI"]["status"] == "not-affected"
    assert [t["status"] for t in rows["Helix AI"]["timeline"]] == ["notified", "not-affected"]
    assert rows["n0name"]["credit"] == "n0name (Night Lab)"
    text = cli("case", "party", "list", key)
    assert "Helix AI" in text.out and "not-affected" in text.out

    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    try:
        with ws.session() as s:
            files = {
                a.filename: a for a in s.scalars(
                    select(Attachment).where(Attachment.id.in_(contact["attachments"]))
                )
            }  # fmt: skip
        assert files["reply.eml"].content.endswith(b"not affected.")
        assert files["poc.exe"].hazardous and not files["reply.eml"].hazardous
    finally:
        ws.engine.dispose()
    history = cli("audit", "log", "--case", key)
    assert "party.status" in history.out and "party.contact" in history.out


def test_party_usage_errors(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = cli("case", "new", "--title", "t", "--json").json()["id"]
    assert cli("case", "party", "add", key, "--kind", "supplier", "X").code == 2
    assert cli("case", "party", "add", key, "--kind", "vendor", "X").code == 0
    assert cli("case", "party", "set", key, "X").code == 2  # nothing to set
    assert cli("case", "party", "set", key, "X", "--status", "pwned").code == 2
    assert cli("case", "party", "set", key, "Y", "--status", "affected").code == 1
    assert cli("case", "party", "log", key, "X", "--channel", "e-mail", "--summary", "s").code == 2
    missing = cli(
        "case", "party", "log", key, "X", "--sent", "--channel", "e-mail", "--summary", "s",
        "--attach", str(tmp_path / "nope.txt"),
    )  # fmt: skip
    assert missing.code == 2 and "nope.txt" in missing.err
