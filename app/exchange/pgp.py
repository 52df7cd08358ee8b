"""OpenPGP primitives for the exchange, all through pysequoia (and GnuPG for key generation).

Nothing here invents a format: keys, detached signatures and encrypted messages are OpenPGP
(RFC 4880), produced and checked by Sequoia. Keys are generated with GnuPG when it is present
so that they advertise only the features GnuPG 2.2 understands (SEIPD v1 with MDC): then every
implementation, pysequoia included, encrypts to them in a form a partner's ``gpg`` decrypts.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pysequoia as ps
from pysequoia.packet import PacketPile, Tag

from app.errors import AccordError, UsageError, VerificationError
from i18n import _

KEY_VALIDITY = "3y"
KEY_VALIDITY_SECONDS = 3 * 365 * 24 * 3600


@dataclass(frozen=True)
class CertInfo:
    """What a coordinator needs to judge a certificate: who, which key, how long, revoked."""

    fingerprint: str
    user_ids: tuple[str, ...]
    expires_at: datetime | None
    revoked: bool
    has_secret: bool

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC)


def normalise_fingerprint(value: str) -> str:
    """Upper-case hex without spaces, as printed by ``gpg --fingerprint`` minus the blanks."""
    fpr = "".join(value.split()).replace(":", "").upper()
    if len(fpr) not in (40, 64) or any(c not in "0123456789ABCDEF" for c in fpr):
        raise UsageError(
            _("{value} is not an OpenPGP fingerprint (40 or 64 hex digits)").format(value=value)
        )
    return fpr


def group_fingerprint(fpr: str) -> str:
    """``ABCD EF01 …``: blocks of four, the way people read a fingerprint aloud."""
    return " ".join(fpr[i : i + 4] for i in range(0, len(fpr), 4))


def parse_cert(data: bytes | str, *, what: str = "certificate") -> ps.Cert:
    raw = data.encode() if isinstance(data, str) else data
    try:
        certs = ps.Cert.split_bytes(raw)
    except Exception as exc:
        raise UsageError(
            _("{what} is not an OpenPGP certificate: {error}").format(
                what=what, error=str(exc).splitlines()[0]
            )
        ) from None
    if len(certs) != 1:
        raise UsageError(
            _("{what} holds {n} certificates; give exactly one").format(what=what, n=len(certs))
        )
    return certs[0]


def has_secret_material(data: bytes | str) -> bool:
    """True when the OpenPGP data carries secret key packets (someone sent a private key)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        pile = PacketPile.from_bytes(raw)
    except Exception:
        return False
    return any(p.tag in (Tag.SecretKey, Tag.SecretSubkey) for p in pile)


def cert_info(cert: ps.Cert, *, has_secret: bool = False) -> CertInfo:
    return CertInfo(
        fingerprint=cert.fingerprint.upper(),
        user_ids=tuple(str(u) for u in cert.user_ids),
        expires_at=cert.expiration,
        revoked=bool(cert.is_revoked),
        has_secret=has_secret,
    )


def public_armor(cert: ps.Cert) -> str:
    return str(cert)


def child_env(home: str | None = None) -> dict[str, str]:
    """The whole environment of a child process: PATH and LANG, and for GnuPG its home.

    Nothing is inherited, so no ``ACCORD_*`` variable (the passphrases) ever reaches gpg,
    gpg-agent (which gpg starts with its own environment) or a decryption worker.
    """
    env = {"PATH": os.environ.get("PATH") or os.defpath, "LANG": "C.UTF-8"}
    if home is not None:
        env["HOME"] = home
        env["GNUPGHOME"] = home
    return env


def _gpg(home: str, *args: str, stdin: bytes = b"") -> bytes:
    proc = subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
        env=child_env(home),
    )
    if proc.returncode != 0:
        raise AccordError(
            _("gpg failed while generating the organisation key: {error}").format(
                error=" ".join(proc.stderr.decode(errors="replace").strip().splitlines()[-1:])
            )
        )
    return proc.stdout


def generate_key(user_id: str) -> tuple[str, str | None, str]:
    """A new organisation key: (armoured secret key, its passphrase or None, public cert).

    An Ed25519 certification primary key with an Ed25519 signing subkey and a Curve25519
    encryption subkey. With GnuPG, the key is made in a temporary GNUPGHOME, protected by a
    random passphrase while it is there, exported, and the home is wiped; without GnuPG,
    pysequoia makes it in memory (such a key advertises SEIPD v2, which GnuPG 2.2 partners
    cannot decrypt: generate on a machine with GnuPG when partners use it).
    """
    if shutil.which("gpg") is None:
        tsk = ps.Tsk.generate(
            user_id,
            profile=ps.Profile.RFC4880,
            cipher_suite=ps.CipherSuite.Cv25519,
            validity_seconds=KEY_VALIDITY_SECONDS,
        )
        return str(tsk), None, str(tsk.extract_certificate())
    try:
        return _generate_with_gpg(user_id)
    except AccordError:
        # gpg-agent occasionally fails a fresh home ("Corrupted protection") while other
        # GnuPG processes start on a busy machine; a second, new home has always succeeded.
        return _generate_with_gpg(user_id)


def _generate_with_gpg(user_id: str) -> tuple[str, str, str]:
    passphrase = secrets.token_urlsafe(32)
    pw = passphrase.encode() + b"\n"
    # RAM-backed where the system has it: the (passphrase-protected) key never reaches a disk.
    ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="accord-gpg-", dir=ram) as home:
        os.chmod(home, 0o700)
        # The passphrase is 256 random bits, so the S2K iteration count adds nothing; the
        # minimum keeps every later signing and decryption fast.
        with open(os.path.join(home, "gpg-agent.conf"), "w", encoding="ascii") as conf:
            conf.write("s2k-count 65536\n")
        try:
            _gpg(
                home,
                "--passphrase-fd",
                "0",
                "--quick-gen-key",
                user_id,
                "ed25519",
                "cert",
                KEY_VALIDITY,
                stdin=pw,
            )
            listing = _gpg(home, "--with-colons", "--list-keys").decode()
            fpr = next(
                line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
            )
            _gpg(
                home,
                "--passphrase-fd",
                "0",
                "--quick-add-key",
                fpr,
                "ed25519",
                "sign",
                KEY_VALIDITY,
                stdin=pw,
            )
            _gpg(
                home,
                "--passphrase-fd",
                "0",
                "--quick-add-key",
                fpr,
                "cv25519",
                "encr",
                KEY_VALIDITY,
                stdin=pw,
            )
            secret = _gpg(
                home, "--passphrase-fd", "0", "--armor", "--export-secret-keys", fpr, stdin=pw
            ).decode()
            public = _gpg(home, "--armor", "--export", fpr).decode()
        finally:
            subprocess.run(
                ["gpgconf", "--homedir", home, "--kill", "all"],
                capture_output=True,
                check=False,
                timeout=30,
                env=child_env(home),
            )
    return secret, passphrase, public


def _tsk(secret: str) -> ps.Tsk:
    return ps.Tsk.from_bytes(secret.encode())


def sign_detached(secret: str, passphrase: str | None, data: bytes) -> bytes:
    """An ASCII-armoured detached signature (``.asc``), as ``gpg --verify`` expects."""
    return ps.sign(_tsk(secret).signer(passphrase), data, mode=ps.SignatureMode.DETACHED)


def encrypt(data: bytes, recipients: list[str]) -> bytes:
    """A binary OpenPGP message to every recipient certificate (armoured text in, bytes out)."""
    certs = [parse_cert(c) for c in recipients]
    return ps.encrypt(data, recipients=certs, armor=False)


class PlaintextTooLarge(VerificationError):
    """The decrypted message grew past the cap: decryption was stopped there."""


DECRYPT_TIMEOUT = 300  # seconds for one message, however large

# The decryption worker: pysequoia streams the plaintext (decompression included) to stdout
# while the parent counts it, so a compressed bomb never grows in memory. The ciphertext
# comes as an inherited file descriptor, the keys on stdin (never in argv or the environment).
_WORKER = """
import json, os, sys
import pysequoia as ps
fd = int(sys.argv[1])
keys = json.loads(sys.stdin.buffer.read())
for secret, passphrase in keys:
    try:
        decryptor = ps.Tsk.from_bytes(secret.encode()).decryptor(passphrase)
        os.lseek(fd, 0, os.SEEK_SET)
        # A key that does not fit fails on the session key, before any plaintext is written.
        ps.decrypt_file("/dev/fd/%d" % fd, "/dev/stdout", decryptor=decryptor)
    except Exception:
        continue
    sys.exit(0)
sys.exit(2)
"""


def _ciphertext_fd(data: bytes) -> int:
    """A file descriptor holding the ciphertext: in RAM (memfd) where the system has it."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("accord-bundle", 0)
    else:  # the ciphertext is encrypted: an unnamed temporary file reveals nothing
        with tempfile.TemporaryFile() as tmp:
            fd = os.dup(tmp.fileno())
    _write_all(fd, data)
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def decrypt(data: bytes, keys: list[tuple[str, str | None]], max_bytes: int) -> bytes:
    """Decrypt with the first of our keys that fits, never holding more than ``max_bytes`` of
    plaintext: the worker is killed as soon as its output passes the cap (PlaintextTooLarge).
    VerificationError when no key fits or the message is damaged."""
    fd = _ciphertext_fd(data)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _WORKER, str(fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(fd,),
            env=child_env(),
        )
    finally:
        os.close(fd)
    watchdog = threading.Timer(DECRYPT_TIMEOUT, proc.kill)
    watchdog.start()
    out = bytearray()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        with proc.stdin:
            proc.stdin.write(json.dumps(keys).encode())
        while chunk := proc.stdout.read(65536):
            out += chunk
            if len(out) > max_bytes:
                proc.kill()
                raise PlaintextTooLarge(
                    _(
                        "oversize bundle after decryption: more than {limit} bytes "
                        "(decryption stopped there)"
                    ).format(limit=max_bytes)
                )
        code = proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if code != 0:
        raise VerificationError(
            _("the bundle is encrypted, but not to any key of this organisation, or is damaged")
        )
    return bytes(out)


@dataclass(frozen=True)
class SignatureCheck:
    """The certificate (primary fingerprint) whose key made a good signature."""

    cert_fingerprint: str
    signing_key: str


def verify_detached(data: bytes, signature: bytes, certs: list[str]) -> SignatureCheck:
    """Check a detached signature against known certificates; VerificationError otherwise."""
    try:
        sig = ps.Sig.from_bytes(signature)
    except Exception:
        raise VerificationError(_("manifest.json.asc is not an OpenPGP signature")) from None
    parsed = [parse_cert(c) for c in certs]
    issuer = (sig.issuer_fingerprint or "").upper()

    def store(_ids: Any) -> list[ps.Cert]:
        return parsed

    try:
        result = ps.verify(bytes=data, store=store, signature=sig)
    except Exception:
        raise VerificationError(
            _("bad signature: manifest.json.asc does not verify (issuer {issuer})").format(
                issuer=issuer or "?"
            )
        ) from None
    for valid in result.valid_sigs:
        return SignatureCheck(
            cert_fingerprint=str(valid.certificate).upper(),
            signing_key=str(valid.signing_key).upper(),
        )
    raise VerificationError(_("bad signature: no valid signature on manifest.json"))


def signature_issuer(signature: bytes) -> str | None:
    """The issuer fingerprint a signature claims (not yet checked)."""
    try:
        fpr = ps.Sig.from_bytes(signature).issuer_fingerprint
    except Exception:
        return None
    return fpr.upper() if fpr else None
