"""A partner without Accord: Debian's gnupg, unzip and sha256sum check a bundle.

Exactly the partner's steps, in a temporary GNUPGHOME: import the sender's public certificate
and the recipient's own secret key, ``gpg --decrypt`` the AMBER bundle,
``gpg --verify manifest.json.asc manifest.json``, then ``sha256sum -c`` over the manifest's
files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.exchange import export
from models import Advisory, AdvisoryText, Case
from tests.app.exchange.conftest import Org, open_case

# CI installs GnuPG (.ci/run): there a missing gpg fails the run instead of skipping it.
pytestmark = pytest.mark.skipif(
    shutil.which("gpg") is None and not os.environ.get("CI"), reason="GnuPG (gpg) not installed"
)


def _gpg(home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--no-tty", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


def test_partner_checks_an_amber_bundle_with_gpg_and_sha256sum(
    orgs: tuple[Org, Org],
    tmp_path: Path,
) -> None:
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        adv = Advisory(case_id=case.id, source_language="en")
        adv.texts.append(AdvisoryText(field="title", language="en", text="Tool injection"))
        s.add(adv)
    with a.ws.session() as s:
        result = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER")
    bundle = tmp_path / "bundle.zip.gpg"
    bundle.write_bytes(result.data)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    (tmp_path / "sender.asc").write_text(a.certificate)
    secret, passphrase = b.secret()  # the recipient's own key, exported from its workspace
    (tmp_path / "me.asc").write_text(secret)
    try:
        assert _gpg(home, "--import", str(tmp_path / "sender.asc")).returncode == 0
        imp = _gpg(
            home,
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase or "",
            "--import",
            str(tmp_path / "me.asc"),
        )
        assert imp.returncode == 0, imp.stderr.decode()
        out = tmp_path / "bundle.zip"
        dec = _gpg(
            home,
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase or "",
            "--output",
            str(out),
            "--decrypt",
            str(bundle),
        )
        assert dec.returncode == 0, dec.stderr.decode()
        unpacked = tmp_path / "unpacked"
        if shutil.which("unzip"):
            unz = subprocess.run(
                ["unzip", "-q", str(out), "-d", str(unpacked)],
                capture_output=True,
                check=False,
                timeout=60,
            )
            assert unz.returncode == 0, unz.stderr.decode()
        else:
            with zipfile.ZipFile(out) as zf:
                zf.extractall(unpacked)
        ver = _gpg(
            home,
            "--status-fd",
            "1",
            "--verify",
            str(unpacked / "manifest.json.asc"),
            str(unpacked / "manifest.json"),
        )
        assert ver.returncode == 0, ver.stderr.decode()
        assert b"VALIDSIG" in ver.stdout
        assert a.fingerprint.encode() in ver.stdout  # primary key fingerprint of the sender
        manifest = json.loads((unpacked / "manifest.json").read_text())
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"])
        check = subprocess.run(
            ["sha256sum", "-c", "-"],
            input=sums.encode(),
            cwd=unpacked,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        assert f"cases/{key}.json: OK".encode() in check.stdout
        # the advisory, as CSAF distribution expects: its own .asc and .sha512
        adv = next(p for p in (unpacked / "advisories").iterdir() if p.suffix == ".json")
        sig = _gpg(home, "--verify", str(adv) + ".asc", str(adv))
        assert sig.returncode == 0, sig.stderr.decode()
        sha = subprocess.run(
            ["sha512sum", "-c", adv.name + ".sha512"],
            cwd=adv.parent,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert sha.returncode == 0, sha.stdout.decode() + sha.stderr.decode()
        # and a tampered file is caught by the same partner-side check
        (unpacked / f"cases/{key}.json").write_text("{}")
        bad = subprocess.run(
            ["sha256sum", "-c", "-"],
            input=sums.encode(),
            cwd=unpacked,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert bad.returncode != 0
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"],
            capture_output=True,
            check=False,
            timeout=30,
            env={**os.environ},
        )
