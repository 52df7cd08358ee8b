"""Partner CERTs and their certificates: add, verify out of band, roll keys over, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from app.auditing import chain as audit
from app.errors import AccordError, NotFound, UsageError, VerificationError
from app.exchange import pgp
from app.identity.actor import Actor, Permission
from i18n import _
from models import Partner, PartnerCheckpoint, PartnerKey, utcnow


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    user_ids: tuple[str, ...]
    current: bool
    verified: bool
    created_at: datetime | None
    expires_at: datetime | None
    expired: bool
    revoked: bool

    @property
    def grouped(self) -> str:
        return pgp.group_fingerprint(self.fingerprint)

    @property
    def validity(self) -> str:
        """``revoked``, ``expired`` or ``valid`` (what the partners screen shows)."""
        return "revoked" if self.revoked else "expired" if self.expired else "valid"

    def as_json(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "user_ids": list(self.user_ids),
            "current": self.current,
            "verified": self.verified,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "validity": self.validity,
        }


@dataclass(frozen=True)
class CheckpointSeen:
    """The partner's audit checkpoint in the last bundle we took from it."""

    events: int
    head: str
    at: datetime
    bundle_id: str
    received_at: datetime
    signer: str

    def as_json(self) -> dict[str, object]:
        return {
            "events": self.events,
            "head": self.head,
            "at": self.at.isoformat(),
            "bundle_id": self.bundle_id,
            "received_at": self.received_at.isoformat(),
            "signer": self.signer,
        }


@dataclass(frozen=True)
class PartnerInfo:
    id: int
    name: str
    country: str
    timezone: str
    languages: tuple[str, ...]
    verified_fingerprint: str | None
    last_sequence_in: int
    last_sequence_out: int
    keys: tuple[KeyInfo, ...]
    last_checkpoint: CheckpointSeen | None = None

    @property
    def current_key(self) -> KeyInfo | None:
        return next((k for k in self.keys if k.current), None)

    @property
    def verified(self) -> bool:
        """True when the current key was compared out of band and is still usable."""
        key = self.current_key
        return key is not None and key.verified and key.validity == "valid"

    def as_json(self) -> dict[str, object]:
        key = self.current_key
        return {
            "name": self.name,
            "country": self.country,
            "timezone": self.timezone,
            "languages": list(self.languages),
            "fingerprint": key.fingerprint if key else None,
            "verified": self.verified,
            "verified_fingerprint": self.verified_fingerprint,
            "validity": key.validity if key else None,
            "expires_at": key.expires_at.isoformat() if key and key.expires_at else None,
            "last_sequence_in": self.last_sequence_in,
            "last_sequence_out": self.last_sequence_out,
            "keys": [k.as_json() for k in self.keys],
            "last_checkpoint": self.last_checkpoint.as_json() if self.last_checkpoint else None,
        }


def _key_info(row: PartnerKey) -> KeyInfo:
    info = pgp.cert_info(pgp.parse_cert(row.certificate))
    return KeyInfo(
        fingerprint=row.fingerprint,
        user_ids=info.user_ids,
        current=row.current,
        verified=row.verified_at is not None,
        created_at=row.created_at,
        expires_at=info.expires_at,
        expired=info.expired,
        revoked=row.revoked or info.revoked,
    )


def info(partner: Partner) -> PartnerInfo:
    keys = sorted(partner.keys, key=lambda k: (not k.current, -k.id))
    return PartnerInfo(
        id=partner.id,
        name=partner.name,
        country=partner.country,
        timezone=partner.timezone,
        languages=tuple(str(x) for x in partner.languages or []),
        verified_fingerprint=partner.verified_fingerprint,
        last_sequence_in=partner.last_sequence_in,
        last_sequence_out=partner.last_sequence_out,
        keys=tuple(_key_info(k) for k in keys),
        last_checkpoint=_last_checkpoint(partner),
    )


def _last_checkpoint(partner: Partner) -> CheckpointSeen | None:
    session = object_session(partner)
    if session is None or partner.id is None:
        return None
    row = session.scalar(
        select(PartnerCheckpoint)
        .where(PartnerCheckpoint.partner_id == partner.id)
        .order_by(PartnerCheckpoint.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return CheckpointSeen(
        row.events, row.head_hash, row.at, row.bundle_uuid, row.received_at, row.signer
    )


def get_partner(session: Session, name: str) -> Partner:
    row = session.scalar(select(Partner).where(Partner.name == name.strip()))
    if row is None:
        raise NotFound(_("no partner named {name}").format(name=name))
    return row


def list_partners(session: Session) -> list[PartnerInfo]:
    return [info(p) for p in session.scalars(select(Partner).order_by(Partner.name))]


def _check_country(country: str) -> str:
    cc = country.strip().upper()
    if len(cc) != 2 or not cc.isalpha():
        raise UsageError(_("country {cc} is not a two-letter ISO 3166 code").format(cc=country))
    return cc


def _check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(_("{zone} is not an IANA time zone").format(zone=zone)) from None
    return zone


def _new_key(certificate: str, *, what: str) -> tuple[PartnerKey, pgp.CertInfo]:
    cert = pgp.parse_cert(certificate, what=what)
    meta = pgp.cert_info(cert, has_secret=pgp.has_secret_material(certificate))
    if meta.has_secret:
        raise UsageError(
            _(
                "{what} contains a secret key; ask the partner for the public certificate only"
            ).format(what=what)
        )
    created = None
    row = PartnerKey(
        fingerprint=meta.fingerprint,
        certificate=pgp.public_armor(cert),
        current=True,
        created_at=created,
        expires_at=meta.expires_at,
        revoked=meta.revoked,
    )
    return row, meta


def add_partner(
    session: Session,
    actor: Actor,
    name: str,
    country: str,
    timezone: str,
    certificate: str,
    languages: list[str] | None = None,
    *,
    source: str = "certificate",
) -> PartnerInfo:
    """Register a partner CERT with its certificate; it stays unverified until compared."""
    actor.require(Permission.MANAGE_PARTNERS)
    if not name.strip():
        raise UsageError(_("a partner needs a name"))
    if session.scalar(select(Partner.id).where(Partner.name == name.strip())) is not None:
        raise AccordError(_("a partner named {name} exists already").format(name=name))
    key, meta = _new_key(certificate, what=source)
    taken = session.scalar(select(PartnerKey).where(PartnerKey.fingerprint == meta.fingerprint))
    if taken is not None:
        raise AccordError(
            _("certificate {fpr} already belongs to another partner").format(fpr=meta.fingerprint)
        )
    partner = Partner(
        name=name.strip(),
        country=_check_country(country),
        timezone=_check_zone(timezone),
        languages=[x.strip() for x in languages or [] if x.strip()],
    )
    partner.keys.append(key)
    session.add(partner)
    session.flush()
    audit.record(
        session,
        actor,
        "partner.add",
        "partner",
        partner.id,
        details={"fingerprint": meta.fingerprint, "country": partner.country},
    )
    return info(partner)


def verify_partner(session: Session, actor: Actor, name: str, fingerprint: str) -> PartnerInfo:
    """Mark the current key verified when the fingerprint read out of band matches it."""
    actor.require(Permission.MANAGE_PARTNERS)
    partner = get_partner(session, name)
    given = pgp.normalise_fingerprint(fingerprint)
    key = next((k for k in partner.keys if k.current), None)
    if key is None:
        raise NotFound(_("partner {name} has no current key").format(name=partner.name))
    if key.fingerprint != given:
        audit.record(
            session,
            actor,
            "partner.verify.mismatch",
            "partner",
            partner.id,
            details={"given": given, "key": key.fingerprint},
        )
        raise VerificationError(
            _(
                "fingerprint mismatch for {name}: the key on file is {key}, you read {given}; "
                "do not trust this certificate"
            ).format(
                name=partner.name,
                key=pgp.group_fingerprint(key.fingerprint),
                given=pgp.group_fingerprint(given),
            )
        )
    key.verified_at = utcnow()
    partner.verified_fingerprint = key.fingerprint
    partner.verified_at = key.verified_at
    partner.verified_by_id = actor.id or None
    audit.record(
        session,
        actor,
        "partner.verify",
        "partner",
        partner.id,
        details={"fingerprint": key.fingerprint},
    )
    return info(partner)


def add_key(session: Session, actor: Actor, name: str, certificate: str) -> PartnerInfo:
    """Key rollover: the new certificate becomes current (unverified); old ones are kept.

    The same fingerprint again updates the stored certificate instead (a new expiry date or
    a revocation the partner published).
    """
    actor.require(Permission.MANAGE_PARTNERS)
    partner = get_partner(session, name)
    new, meta = _new_key(certificate, what=_("the new key"))
    same = next((k for k in partner.keys if k.fingerprint == meta.fingerprint), None)
    if same is not None:
        merged = pgp.parse_cert(same.certificate).merge(pgp.parse_cert(new.certificate))
        same.certificate = pgp.public_armor(merged)
        merged_meta = pgp.cert_info(merged)
        same.expires_at = merged_meta.expires_at
        same.revoked = merged_meta.revoked
        audit.record(
            session,
            actor,
            "partner.key.update",
            "partner",
            partner.id,
            details={"fingerprint": same.fingerprint, "revoked": same.revoked},
        )
        return info(partner)
    old = [k.fingerprint for k in partner.keys if k.current]
    for k in partner.keys:
        k.current = False
    partner.keys.append(new)
    session.flush()
    audit.record(
        session,
        actor,
        "partner.key.add",
        "partner",
        partner.id,
        details={"fingerprint": meta.fingerprint, "previous": old},
    )
    return info(partner)


def usable_for_export(partner: Partner) -> PartnerKey:
    """The partner's current key, if verified, unexpired and unrevoked; else a clear refusal."""
    p = info(partner)
    key_row = next((k for k in partner.keys if k.current), None)
    key = p.current_key
    if key is None or key_row is None:
        raise AccordError(_("partner {name} has no key").format(name=partner.name))
    if not key.verified or partner.verified_fingerprint != key.fingerprint:
        raise AccordError(
            _(
                "partner {name} is not verified: compare the fingerprint out of band and run "
                "'accord partner verify {name} --fingerprint FPR'"
            ).format(name=partner.name)
        )
    if key.revoked:
        raise AccordError(_("partner {name}'s key is revoked").format(name=partner.name))
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise AccordError(_("partner {name}'s key has expired").format(name=partner.name))
    return key_row
