"""Two organisations in one test: in-memory workspaces with their own keys, partners of each
other, plus helpers that craft bundles the way an attacker or a broken tool would."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from app.casework import cases
from app.exchange import keys, partners, pgp
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import Case, OrgKey

_KEYS: dict[tuple[str, int], tuple[str, str | None, str]] = {}
_real_generate = pgp.generate_key


@pytest.fixture(autouse=True)
def reuse_generated_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real keys from the real generator, made once per name and per nth use in a test and
    reused by later tests (each in fresh workspaces): GnuPG key generation costs ~0.4 s."""
    seen: dict[str, int] = {}

    def generate(user_id: str) -> tuple[str, str | None, str]:
        n = seen[user_id] = seen.get(user_id, 0) + 1
        if (user_id, n) not in _KEYS:
            _KEYS[(user_id, n)] = _real_generate(user_id)
        return _KEYS[(user_id, n)]

    monkeypatch.setattr(pgp, "generate_key", generate)


@dataclass
class Org:
    ws: Workspace
    name: str
    fingerprint: str
    certificate: str

    def secret(self) -> tuple[str, str | None]:
        with self.ws.session() as s:
            row = keys.current_key(s)
            return row.secret_key, row.key_passphrase

    def case_count(self) -> int:
        with self.ws.session() as s:
            return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def make_org(name: str) -> Org:
    ws = ws_mod.create(None, None, name, "alice", db_url="sqlite://")
    with ws.session() as s:
        info = keys.generate(s, ws.require_actor())
        row = s.scalar(select(OrgKey).where(OrgKey.current))
        assert row is not None
        cert = row.certificate
    return Org(ws, name, info.fingerprint, cert)


def befriend(a: Org, b: Org, *, verify: bool = True) -> None:
    """``a`` adds ``b`` as a partner (and verifies its fingerprint unless told not to)."""
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        partners.add_partner(s, actor, b.name, "DE", "Europe/Berlin", b.certificate, ["de", "en"])
        if verify:
            partners.verify_partner(s, actor, b.name, b.fingerprint)


@pytest.fixture
def orgs() -> Iterator[tuple[Org, Org]]:
    """CERT-A and CERT-B, each a verified partner of the other."""
    a, b = make_org("CERT-A"), make_org("CERT-B")
    befriend(a, b)
    befriend(b, a)
    yield a, b
    a.ws.engine.dispose()
    b.ws.engine.dispose()


def open_case(org: Org, title: str = "Prompt injection through tool output") -> str:
    with org.ws.session() as s:
        return cases.create_case(
            s, org.ws.require_actor(), title, "Model follows injected text"
        ).key


def craft(
    signer: Org,
    manifest: dict[str, Any],
    files: dict[str, bytes],
    *,
    extra: dict[str, bytes] | None = None,
    sign_bytes: bytes | None = None,
) -> bytes:
    """A bundle zip built by hand: ``files`` hashed into the manifest, ``extra`` not listed."""
    manifest = (
        {
            **manifest,
            "files": [
                {"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b)}
                for p, b in sorted(files.items())
            ],
        }
        if "files" not in manifest
        else manifest
    )
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    secret, pw = signer.secret()
    sig = pgp.sign_detached(secret, pw, sign_bytes if sign_bytes is not None else body)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", body)
        zf.writestr("manifest.json.asc", sig)
        for p, b in {**files, **(extra or {})}.items():
            zf.writestr(p, b)
    return buf.getvalue()


def base_manifest(
    sender: Org,
    recipient: Org,
    *,
    sequence: int = 1,
    tlp: str = "GREEN",
    bundle_id: str = "00000000-0000-4000-8000-000000000001",
) -> dict[str, Any]:
    return {
        "format": "accord-bundle",
        "format_version": 1,
        "bundle_id": bundle_id,
        "created": "2026-11-27T10:00:00+00:00",
        "sender": {"name": sender.name, "fingerprint": sender.fingerprint},
        "recipients": [
            {"name": recipient.name, "fingerprint": recipient.fingerprint, "sequence": sequence}
        ],
        "tlp": tlp,
        "encrypted": False,
        "severity_model": {"id": "accord-severity", "version": "1.0"},
        "cases": [],
    }
