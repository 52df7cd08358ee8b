"""Files Accord writes outside the encrypted store are 0600 from the first byte, whatever the
umask, and an existing file at the output name is never written through (issue 12 item 12:
bundles and exported keys were created 0644, world-readable)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.workspaces import settings
from tests.app.intake.test_hazard import HARMLESS, _hostile_mail


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The common default umask: files would be created 0644 unless Accord says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_bundle_and_key_exports_are_private(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    wb = ["--workspace", str(tmp_path / "wsb")]
    assert cli(*wb, "init", "--org", "CERT-B", "--analyst", "alice").code == 0
    assert cli("org", "key", "generate").code == 0
    b = cli(*wb, "org", "key", "generate", "--json")
    assert b.code == 0, b.err
    a_cert, b_cert = tmp_path / "a.asc", tmp_path / "b.asc"
    b_cert.write_text("stale, world-readable")
    os.chmod(b_cert, 0o644)
    assert cli("org", "key", "export", "--out", str(a_cert)).code == 0
    assert cli(*wb, "org", "key", "export", "--out", str(b_cert)).code == 0
    assert _mode(a_cert) == 0o600
    assert _mode(b_cert) == 0o600 and "PUBLIC KEY BLOCK" in b_cert.read_text()

    partner = ("--name", "CERT-B", "--country", "DE", "--tz", "Europe/Berlin")
    assert cli("partner", "add", *partner, "--key", str(b_cert)).code == 0
    assert cli("partner", "verify", "CERT-B", "--fingerprint", b.json()["fingerprint"]).code == 0
    case = cli("case", "new", "--title", "Jailbreak transfers", "--json").json()["id"]
    for tlp in ("GREEN", "AMBER"):  # signed only, and encrypted
        out = tmp_path / f"{tlp}.bundle"
        exp = cli("bundle", "export", "--to", "CERT-B", "--case", case, "--tlp", tlp,
                  "--out", str(out))  # fmt: skip
        assert exp.code == 0, exp.err
        assert _mode(out) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    # An existing file is refused, left as it was, and nothing is recorded as sent.
    taken = tmp_path / "taken.bundle"
    taken.write_bytes(b"mine")
    again = cli("bundle", "export", "--to", "CERT-B", "--case", case, "--tlp", "GREEN",
                "--out", str(taken), "--json")  # fmt: skip
    assert again.code == 1 and "exists already" in again.err
    assert taken.read_bytes() == b"mine"
    listed = cli("bundle", "list", "--json").json()
    assert len([r for r in listed if r["direction"] == "out"]) == 2


def test_saved_attachment_replaces_an_existing_file_or_link(
    initialised_cli: Any, tmp_path: Path
) -> None:
    cli = initialised_cli
    assert cli("import", str(_hostile_mail(tmp_path / "hostile.eml"))).code == 0
    atts = {a["filename"]: a for a in cli("report", "show", "1", "--json").json()["attachments"]}
    notes = str(atts["notes.txt"]["id"])
    out = tmp_path / "notes.txt"
    out.write_text("old")
    os.chmod(out, 0o644)
    assert cli("report", "attachment", notes, "--out", str(out)).code == 0
    assert out.read_bytes() == HARMLESS["notes.txt"] and _mode(out) == 0o600

    # A link planted at the output name is replaced, not written through.
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    link = tmp_path / "link.txt"
    link.symlink_to(victim)
    assert cli("report", "attachment", notes, "--out", str(link)).code == 0
    assert victim.read_text() == "untouched"
    assert not link.is_symlink() and link.read_bytes() == HARMLESS["notes.txt"]
    assert _mode(link) == 0o600


def test_settings_file_is_private(tmp_path: Path) -> None:
    target = tmp_path / "config" / "accord" / "settings.json"
    settings.save(settings.DEFAULTS, target)
    assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
    assert settings.load(target) == settings.DEFAULTS
