"""OpenPGP decryption under a hard output cap, and children that inherit no secrets.

The bomb (issue 12 item 5): 200 MB of zeros, compressed by GnuPG into a message of a few
hundred kilobytes encrypted to our public key, was decompressed whole in memory before any
size check. Now the worker's output is counted while it decrypts and the worker is killed at
the cap; the test measures the peak memory of a process that decrypts the bomb.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.errors import VerificationError
from app.exchange import importer, pgp
from app.exchange.bundle_format import Limits
from models import Bundle, QuarantineItem
from tests.app.exchange.conftest import Org
from tests.app.exchange.conftest import _real_generate as real_generate_key

needs_gpg = pytest.mark.skipif(
    shutil.which("gpg") is None and not os.environ.get("CI"), reason="GnuPG (gpg) not installed"
)

ROOT = Path(__file__).resolve().parents[3]
ZEROS = 200 * 1024 * 1024
MB = 1024 * 1024


def _bomb(home: Path, certificate: str) -> bytes:
    """200 MB of zeros, zlib-compressed at level 9 and encrypted by GnuPG to ``certificate``."""
    home.mkdir(mode=0o700)
    env = pgp.child_env(str(home))
    run: dict[str, Any] = {"env": env, "capture_output": True, "check": True, "timeout": 120}
    try:
        subprocess.run(["gpg", "--batch", "--import"], input=certificate.encode(), **run)
        listing = subprocess.run(["gpg", "--with-colons", "--list-keys"], **run).stdout.decode()
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        gpg = subprocess.Popen(
            [
                *("gpg", "--batch", "--trust-model", "always", "--compress-algo", "zlib"),
                *("-z", "9", "--encrypt", "--recipient", fpr, "--output", "-"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert gpg.stdin is not None and gpg.stdout is not None
        out: list[bytes] = []
        reader = threading.Thread(target=lambda: out.append(gpg.stdout.read()))  # type: ignore[union-attr]
        reader.start()
        zeros = bytes(MB)
        with gpg.stdin:
            for _ in range(ZEROS // MB):
                gpg.stdin.write(zeros)
        reader.join(timeout=120)
        gpg.wait(timeout=120)
        data = out[0]
        assert gpg.returncode == 0
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, check=False)
    return data


# The measured process: decrypts the bomb as the verifier would, reports its own peak memory.
MEASURE = """
import json, resource, sys, time
from app.exchange import pgp
from app.exchange.bundle_format import Limits
job = json.loads(sys.stdin.read())
data = open(job["bomb"], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    pgp.decrypt(data, [(job["secret"], job["passphrase"])], Limits().plaintext_cap(len(data)))
    outcome = "decrypted"
except pgp.PlaintextTooLarge:
    outcome = "refused"
print(json.dumps({
    "outcome": outcome,
    "seconds": time.monotonic() - start,
    "before_kb": before,
    "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


@needs_gpg
def test_decompression_bomb_is_refused_quickly_with_bounded_memory(
    orgs: tuple[Org, Org], tmp_path: Path
) -> None:
    a, _b = orgs
    bomb = _bomb(tmp_path / "gnupg", a.certificate)
    assert len(bomb) < 2 * MB  # small on the wire, 200 MB inside
    path = tmp_path / "bomb.pgp"
    path.write_bytes(bomb)
    secret, passphrase = a.secret()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE],
        input=json.dumps({"bomb": str(path), "secret": secret, "passphrase": passphrase}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**pgp.child_env(), "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = json.loads(proc.stdout)
    assert m["outcome"] == "refused"
    assert m["seconds"] < 30
    # Before the fix the whole 200 MB plaintext sat in the process (2.27 GB for a 1 GB bomb).
    assert m["self_kb"] - m["before_kb"] < 64 * 1024, m
    assert m["children_kb"] < 400 * 1024, m

    # Through the importer: refused for its size, quarantined, nothing merged.
    with a.ws.session() as s:
        result = importer.import_bundle(s, a.ws.require_actor(), bomb, name="bomb.pgp")
    assert not result.imported and result.report.failed_check == "size"
    assert "decryption stopped" in (result.report.reason or "")
    with a.ws.session() as s:
        assert s.get(QuarantineItem, result.quarantine_id) is not None
        assert s.scalar(select(Bundle.id).where(Bundle.direction == "in")) is None


def test_plaintext_cap_follows_the_bundle_limits() -> None:
    lim = Limits()
    assert lim.plaintext_cap(1000) == lim.ratio_floor
    assert lim.plaintext_cap(250 * 1024) == 250 * 1024 * lim.max_ratio
    assert lim.plaintext_cap(10 * 1024 * MB) == lim.max_bundle_bytes


def test_decrypt_stops_at_the_cap(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    secret, passphrase = a.secret()
    message = pgp.encrypt(os.urandom(300_000), [a.certificate])
    assert len(pgp.decrypt(message, [(secret, passphrase)], 300_000)) == 300_000
    started = time.monotonic()
    with pytest.raises(pgp.PlaintextTooLarge):
        pgp.decrypt(message, [(secret, passphrase)], 100_000)
    assert time.monotonic() - started < 30
    with pytest.raises(VerificationError):
        pgp.decrypt(message[:-40], [(secret, passphrase)], 1_000_000)  # damaged


def test_children_get_a_minimal_environment(
    monkeypatch: pytest.MonkeyPatch, orgs: tuple[Org, Org]
) -> None:
    """gpg, gpgconf (and so gpg-agent) and the decryption worker inherit no ACCORD_* variable:
    their whole environment is PATH, LANG and, for GnuPG, HOME and GNUPGHOME."""
    monkeypatch.setenv("ACCORD_PASSPHRASE", "canary-passphrase-1")
    monkeypatch.setenv("ACCORD_NEW_PASSPHRASE", "canary-passphrase-2")
    seen: list[tuple[str, dict[str, str] | None]] = []
    real_run, real_popen = subprocess.run, subprocess.Popen

    def run(args: Any, *rest: Any, **kw: Any) -> Any:
        seen.append((Path(args[0]).name, kw.get("env")))
        return real_run(args, *rest, **kw)

    class Popen(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, args: Any, *rest: Any, **kw: Any) -> None:
            seen.append((Path(args[0]).name, kw.get("env")))
            super().__init__(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(subprocess, "Popen", Popen)
    if shutil.which("gpg") is not None:
        real_generate_key("CERT-Env <cert@example.org>")
    a, _b = orgs
    secret, passphrase = a.secret()
    pgp.decrypt(pgp.encrypt(b"m", [a.certificate]), [(secret, passphrase)], 1024)
    names = {name for name, _env in seen}
    assert Path(sys.executable).name in names
    if shutil.which("gpg") is not None:
        assert {"gpg", "gpgconf"} <= names
    for name, env in seen:
        assert env is not None, f"{name} inherits the whole environment"
        assert not [k for k in env if k.startswith("ACCORD_")], name
        assert set(env) <= {"PATH", "LANG", "HOME", "GNUPGHOME"}, (name, sorted(env))
        assert "canary" not in json.dumps(env)
