"""The exchange from the command line: two SQLCipher workspaces, keys, partners, bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.workspaces import lifecycle as ws_mod
from models import QuarantineItem
from tests.conftest import PASSPHRASE


def test_cli_exchange_end_to_end(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    wb = ["--workspace", str(tmp_path / "wsb")]
    assert cli(*wb, "init", "--org", "CERT-B", "--analyst", "alice").code == 0
    a_key = cli("org", "key", "generate", "--json")
    assert a_key.code == 0, a_key.err
    a_fpr = a_key.json()["fingerprint"]
    assert cli(*wb, "org", "key", "generate").code == 0
    assert cli("org", "key", "export", "--out", str(tmp_path / "a.asc")).code == 0
    b_out = cli(*wb, "org", "key", "export", "--out", str(tmp_path / "b.asc"), "--json")
    b_fpr = b_out.json()["fingerprint"]
    assert "PUBLIC KEY BLOCK" in (tmp_path / "a.asc").read_text()

    add = cli(
        "partner",
        "add",
        "--name",
        "CERT-B",
        "--country",
        "DE",
        "--tz",
        "Europe/Berlin",
        "--key",
        str(tmp_path / "b.asc"),
        "--languages",
        "de",
        "en",
    )
    assert add.code == 0, add.err
    listed = cli("partner", "list", "--json").json()
    assert listed[0]["name"] == "CERT-B" and listed[0]["verified"] is False
    assert listed[0]["languages"] == ["de", "en"] and listed[0]["validity"] == "valid"
    case = cli("case", "new", "--title", "Jailbreak transfers across vendors", "--json").json()
    # nothing leaves for an unverified partner
    refused = cli(
        "bundle",
        "export",
        "--to",
        "CERT-B",
        "--case",
        case["id"],
        "--tlp",
        "AMBER",
        "--out",
        str(tmp_path / "x.bundle"),
    )
    assert refused.code == 1 and "not verified" in refused.err
    wrong = cli("partner", "verify", "CERT-B", "--fingerprint", a_fpr)
    assert wrong.code == 4 and "mismatch" in wrong.err
    assert cli("partner", "verify", "CERT-B", "--fingerprint", b_fpr).code == 0

    preview = cli(
        "bundle",
        "export",
        "--to",
        "CERT-B",
        "--case",
        case["id"],
        "--tlp",
        "AMBER",
        "--preview",
        "--json",
    )
    assert preview.code == 0, preview.err
    assert f"cases/{case['id']}.json" in [f["path"] for f in preview.json()["files"]]
    assert not (tmp_path / "x.bundle").exists()
    out = tmp_path / "amber.bundle"
    exp = cli(
        "bundle",
        "export",
        "--to",
        "CERT-B",
        "--case",
        case["id"],
        "--tlp",
        "AMBER",
        "--out",
        str(out),
        "--json",
    )
    assert exp.code == 0, exp.err
    assert exp.json()["encrypted"] is True and out.exists()

    # B: the sender is unknown until B adds and verifies CERT-A
    unknown = cli(*wb, "bundle", "verify", str(out), "--json")
    assert unknown.code == 4 and unknown.json()["valid"] is False
    assert (
        cli(
            *wb,
            "partner",
            "add",
            "--name",
            "CERT-A",
            "--country",
            "FR",
            "--tz",
            "Europe/Paris",
            "--key",
            str(tmp_path / "a.asc"),
        ).code
        == 0
    )
    unverified = cli(*wb, "bundle", "verify", str(out))
    assert unverified.code == 4 and "unverified signer" in unverified.out
    assert cli(*wb, "partner", "verify", "CERT-A", "--fingerprint", a_fpr).code == 0
    ok = cli(*wb, "bundle", "verify", str(out), "--json")
    assert ok.code == 0 and ok.json()["valid"] is True and ok.json()["tlp"] == "AMBER"
    imported = cli(*wb, "bundle", "import", str(out), "--json")
    assert imported.code == 0, imported.err
    body = imported.json()
    assert body["imported"] is True and body["cases"][0]["partner_case"] == case["id"]
    replay = cli(*wb, "bundle", "import", str(out), "--json")
    assert replay.code == 4 and "replayed" in replay.json()["reason"]
    assert replay.json()["quarantine_id"] is not None
    ws = ws_mod.open_workspace(tmp_path / "wsb", PASSPHRASE)
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantineItem)) == 1
    ws.engine.dispose()
    policy = cli(*wb, "bundle", "policy", "--accept", "CLEAR,GREEN", "--json")
    assert policy.json() == {"accept_tlp": ["CLEAR", "GREEN"]}
    assert json.loads(cli(*wb, "bundle", "policy", "--json").out)["accept_tlp"] == [
        "CLEAR",
        "GREEN",
    ]


def test_cli_usage_errors(initialised_cli: Any) -> None:
    cli = initialised_cli
    bad = cli(
        "bundle",
        "export",
        "--to",
        "X",
        "--case",
        "ACC-2026-0001",
        "--tlp",
        "AMBER",
        "--out",
        "x",
        "--include-hazardous",
        "nope",
    )
    assert bad.code == 2 and "ATTACHMENT_ID:PARTNER" in bad.err
    assert cli("bundle", "export", "--to", "X", "--case", "Y", "--tlp", "PURPLE").code == 2
    missing = cli("bundle", "verify", "/nonexistent/bundle")
    assert missing.code == 1 and "/nonexistent/bundle" in missing.err
