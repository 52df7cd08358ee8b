"""The organisation key and partners: generation, export, verification, rollover, validity."""

from __future__ import annotations

import time

import pysequoia as ps
import pytest
from sqlalchemy import select

from app.errors import AccordError, PermissionDenied, UsageError, VerificationError
from app.exchange import keys, partners, pgp
from app.identity.actor import Actor
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, OrgKey, Role
from tests.app.exchange.conftest import make_org


def test_generate_key_keeps_secret_inside_and_exports_public(ws: Workspace) -> None:
    with ws.session() as s:
        info = keys.generate(s, ws.require_actor())
    assert len(info.fingerprint) == 40 and info.user_id == "CERT-Test"
    assert info.expires_at is not None
    with ws.session() as s:
        row = s.scalar(select(OrgKey))
        assert row is not None and "PRIVATE KEY" in row.secret_key
        fpr, armored = keys.export_public(s, ws.require_actor())
    assert fpr == info.fingerprint and "PUBLIC KEY BLOCK" in armored
    assert "PRIVATE" not in armored
    cert = pgp.parse_cert(armored)
    assert cert.fingerprint.upper() == fpr
    # Ed25519 signing and Curve25519 encryption: sign and encrypt round trip in memory.
    sig = pgp.sign_detached(row.secret_key, row.key_passphrase, b"data")
    assert pgp.verify_detached(b"data", sig, [armored]).cert_fingerprint == fpr
    assert (
        pgp.decrypt(pgp.encrypt(b"m", [armored]), [(row.secret_key, row.key_passphrase)], 1024)
        == b"m"
    )
    with ws.session() as s, pytest.raises(AccordError, match="already has key"):
        keys.generate(s, ws.require_actor())
    with ws.session() as s:
        actions = list(s.scalars(select(AuditEvent.action)))
        details = [e.details for e in s.scalars(select(AuditEvent))]
    assert "org.key.generate" in actions
    assert not any("PRIVATE" in str(d) for d in details)


def test_only_coordinators_manage_partners(ws: Workspace) -> None:
    analyst = Actor(id=99, name="bob", role=Role.ANALYST)
    other = make_org("CERT-B")
    with ws.session() as s, pytest.raises(PermissionDenied):
        partners.add_partner(s, analyst, "CERT-B", "DE", "Europe/Berlin", other.certificate)
    with ws.session() as s, pytest.raises(PermissionDenied):
        keys.generate(s, analyst)
    other.ws.engine.dispose()


def test_add_verify_and_rollover(ws: Workspace) -> None:
    other = make_org("CERT-B")
    actor = ws.require_actor()
    with ws.session() as s:
        info = partners.add_partner(
            s, actor, "CERT-B", "de", "Europe/Berlin", other.certificate, ["de"]
        )
    assert info.country == "DE" and not info.verified
    assert info.current_key is not None and info.current_key.validity == "valid"
    grouped = info.current_key.grouped
    assert len(grouped.split()) == 10 and all(len(g) == 4 for g in grouped.split())
    with ws.session() as s, pytest.raises(VerificationError, match="mismatch"):
        partners.verify_partner(s, actor, "CERT-B", "0" * 40)
    with ws.session() as s:
        info = partners.verify_partner(s, actor, "CERT-B", grouped.lower())
    assert info.verified and info.verified_fingerprint == other.fingerprint
    # rollover: the new key is current and unverified; the old one is kept
    new = make_org("CERT-B2")
    with ws.session() as s:
        info = partners.add_key(s, actor, "CERT-B", new.certificate)
    assert [k.fingerprint for k in info.keys] == [new.fingerprint, other.fingerprint]
    assert not info.verified and info.keys[1].verified
    with ws.session() as s:
        assert partners.verify_partner(s, actor, "CERT-B", new.fingerprint).verified
    other.ws.engine.dispose()
    new.ws.engine.dispose()


def test_bad_inputs_are_named(ws: Workspace) -> None:
    other = make_org("CERT-B")
    actor = ws.require_actor()
    with ws.session() as s, pytest.raises(UsageError, match="not an OpenPGP certificate"):
        partners.add_partner(s, actor, "X", "DE", "UTC", "hello", source="x.asc")
    with ws.session() as s, pytest.raises(UsageError, match="IANA time zone"):
        partners.add_partner(s, actor, "X", "DE", "Mars/Olympus", other.certificate)
    with ws.session() as s, pytest.raises(UsageError, match="two-letter"):
        partners.add_partner(s, actor, "X", "DEU", "UTC", other.certificate)
    secret, _pw = other.secret()
    with ws.session() as s, pytest.raises(UsageError, match="secret key"):
        partners.add_partner(s, actor, "X", "DE", "UTC", secret)
    with pytest.raises(UsageError, match="fingerprint"):
        pgp.normalise_fingerprint("ABCD")
    other.ws.engine.dispose()


def test_expired_key_is_shown_and_refused_for_export(ws: Workspace) -> None:
    tsk = ps.Tsk.generate("Old CERT", profile=ps.Profile.RFC4880, validity_seconds=1)
    cert = str(tsk.extract_certificate())
    actor = ws.require_actor()
    with ws.session() as s:
        partners.add_partner(s, actor, "CERT-OLD", "FR", "Europe/Paris", cert)
        partners.verify_partner(s, actor, "CERT-OLD", tsk.extract_certificate().fingerprint)
    time.sleep(1.2)
    with ws.session() as s:
        info = partners.list_partners(s)[0]
        assert info.current_key is not None and info.current_key.validity == "expired"
        assert info.as_json()["validity"] == "expired"
        with pytest.raises(AccordError, match="expired"):
            partners.usable_for_export(partners.get_partner(s, "CERT-OLD"))


def test_key_generation_without_gnupg_uses_pysequoia(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgp.shutil, "which", lambda _name: None)
    from tests.app.exchange.conftest import _real_generate

    secret, passphrase, public = _real_generate("CERT-Z")
    assert passphrase is None and "PRIVATE KEY" in secret
    assert pgp.decrypt(pgp.encrypt(b"m", [public]), [(secret, None)], 1024) == b"m"
    sig = pgp.sign_detached(secret, None, b"d")
    assert (
        pgp.verify_detached(b"d", sig, [public]).cert_fingerprint
        == pgp.parse_cert(public).fingerprint.upper()
    )
