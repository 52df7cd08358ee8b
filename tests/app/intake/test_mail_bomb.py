"""An encrypted e-mail that is a decompression bomb (issue 12 item 5, at intake): 64 MB of
zeros, compressed by GnuPG into a message of about a hundred kilobytes encrypted to our public
key, was decrypted whole in memory by ``mail._decrypt``. It now goes through the capped
streaming worker of app/exchange/pgp.py; a child process measures its own peak memory."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.exchange import pgp
from app.intake import mail
from app.intake.importer import import_paths
from app.intake.model import Limits
from models import Report
from tests.app.exchange import test_pgp_limits
from tests.app.exchange.test_pgp_limits import MB, ROOT, needs_gpg
from tests.app.intake.test_formats import _org_key, _pgp_mime_mail, _store_key

BOMB_ZEROS = 64 * MB  # past the 50 MB intake limit, and a thousandfold the message's size


def _bomb_mail(home: Path, certificate: str, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(test_pgp_limits, "ZEROS", BOMB_ZEROS)
    blob = test_pgp_limits._bomb(home, certificate)
    body = base64.encodebytes(blob)
    return (
        b"From: r@example.org\r\nSubject: Urgent finding\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
        b"boundary=out\r\n\r\n--out\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
        b"Version: 1\r\n\r\n--out\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n--out--\r\n"
    )


MEASURE = """
import json, resource, sys, time
import pysequoia
from app.exchange import pgp
from app.intake import mail
from app.intake.model import Rejected
job = json.loads(sys.stdin.read())
raw = open(job["mail"], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    mail.parse(raw, ((job["secret"], None),))
    outcome, reason = "parsed", None
except Rejected as exc:
    outcome, reason = "refused", str(exc)
print(json.dumps({
    "outcome": outcome, "reason": reason, "seconds": time.monotonic() - start,
    "before_kb": before, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


@needs_gpg
def test_encrypted_mail_bomb_is_refused_with_bounded_memory(
    ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tsk, cert = _org_key()
    raw = _bomb_mail(tmp_path / "gnupg", str(cert), monkeypatch)
    assert len(raw) < 2 * MB
    path = tmp_path / "bomb.eml"
    path.write_bytes(raw)
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE],
        input=json.dumps({"mail": str(path), "secret": str(tsk)}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**pgp.child_env(), "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = json.loads(proc.stdout)
    assert m["outcome"] == "refused", m
    assert "too large after decryption" in m["reason"] and "stopped" in m["reason"]
    assert m["seconds"] < 30
    # Before the fix the 64 MB plaintext (and a copy of it) sat in the parsing process.
    assert m["self_kb"] - m["before_kb"] < 24 * 1024, m

    # Through intake: refused with that reason, nothing stored.
    _store_key(ws, tsk, cert)
    [rejected] = import_paths(ws, [path]).rejected
    assert "too large after decryption" in rejected.reason
    with ws.session() as s:
        assert s.scalars(select(Report)).first() is None


def test_plaintext_cap_follows_the_intake_limits() -> None:
    lim = Limits()
    assert mail.plaintext_cap(1000, lim) == mail.MIN_PLAINTEXT_CAP
    assert mail.plaintext_cap(100_000, lim) == 100_000 * lim.zip_max_ratio
    assert mail.plaintext_cap(10 * lim.max_file_size, lim) == lim.max_file_size


def test_small_cap_stops_a_genuine_message_and_a_fitting_one_decrypts(tmp_path: Path) -> None:
    tsk, cert = _org_key()
    raw = _pgp_mime_mail(cert)
    doc = mail.parse(raw, ((str(tsk), None),))
    assert "Secret finding." in doc.description
    tiny = Limits(max_file_size=16)
    with pytest.raises(mail.Rejected, match="too large after decryption"):
        mail.parse(raw, ((str(tsk), None),), tiny)
