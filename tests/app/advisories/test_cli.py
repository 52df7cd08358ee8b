"""accord advisory: the JSON contract and exit codes, over a real SQLCipher workspace."""

from __future__ import annotations

import json
from pathlib import Path

from app.workspaces import lifecycle as ws_mod
from tests.app.advisories.conftest import SOURCE, TITLES, seed_case
from tests.conftest import PASSPHRASE, enrol


def test_advisory_commands_end_to_end(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    ws.act_as("alice")
    key = seed_case(ws)  # adds bob (shift lead) too
    ws.engine.dispose()
    bob = enrol(cli, "bob", None)

    r = cli("advisory", "new", key, "--lang", "en", "--json")
    assert r.code == 0, r.err
    assert r.json()["status"] == "draft"
    for name in ("summary", "description"):
        assert cli("advisory", "set", key, name, "--lang", "en", "--text", SOURCE[name]).code == 0
    text_file = tmp_path / "title.fr.txt"
    text_file.write_text(TITLES["fr"], encoding="utf-8")
    r = cli("advisory", "set", key, "title", "--lang", "fr", "--file", str(text_file), "--json")
    assert r.code == 0, r.err
    assert r.json() == {"field": "title", "language": "fr", "state": "current",
                        "termbase_missing": []}  # fmt: skip

    r = cli("advisory", "status", key, "--json")
    states = r.json()["fields"]
    assert states["title"]["fr"] == "current" and states["summary"]["fr"] == "missing"
    assert states["summary"]["en"] == "source"
    plain = cli("advisory", "status", key)
    assert "✓" in plain.out and "title" in plain.out

    assert cli("advisory", "submit", key).code == 0
    r = cli("advisory", "approve", key)
    assert r.code == 1 and "another analyst must approve" in r.err
    assert cli("advisory", "approve", key, env=bob).code == 0
    r = cli("advisory", "publish", key, "--summary", "First.", "--json", env=bob)
    assert r.code == 0 and r.json()["revision"] == 1

    out = tmp_path / "adv-fr.json"
    r = cli("advisory", "export", key, "--format", "csaf", "--lang", "fr", "--out", str(out),
            "--json")  # fmt: skip
    assert r.code == 0, r.err
    doc = json.loads(out.read_text("utf-8"))
    assert doc["document"]["lang"] == "fr" and doc["document"]["tracking"]["version"] == "1.0.0"
    out21 = tmp_path / "adv-ar.json"
    assert cli("advisory", "export", key, "--format", "csaf", "--lang", "ar", "--out",
               str(out21), "--csaf-version", "2.1").code == 0  # fmt: skip
    html = tmp_path / "adv-ar.html"
    assert cli("advisory", "export", key, "--format", "html", "--lang", "ar", "--out",
               str(html)).code == 0  # fmt: skip
    assert 'dir="rtl"' in html.read_text("utf-8")

    r = cli("advisory", "set", key, "colour", "--lang", "en", "--text", "x")
    assert r.code == 2  # argparse refuses an unknown field
    r = cli("advisory", "status", "ACC-1999-0001")
    assert r.code == 1 and "no case" in r.err
