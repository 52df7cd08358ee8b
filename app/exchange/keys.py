"""The organisation's own OpenPGP key: generate, show, export the public certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import refs
from app.errors import AccordError, NotFound
from app.exchange import pgp
from app.identity.actor import Actor, Permission
from i18n import _
from models import OrgKey, Setting


@dataclass(frozen=True)
class OrgKeyInfo:
    fingerprint: str
    user_id: str
    created_at: datetime
    expires_at: datetime | None
    current: bool

    def as_json(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "user_id": self.user_id,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "current": self.current,
        }


def _info(row: OrgKey) -> OrgKeyInfo:
    info = pgp.cert_info(pgp.parse_cert(row.certificate))
    return OrgKeyInfo(
        fingerprint=row.fingerprint,
        user_id=info.user_ids[0] if info.user_ids else "",
        created_at=row.created_at,
        expires_at=info.expires_at,
        current=row.current,
    )


def current_key(session: Session) -> OrgKey:
    row = session.scalar(select(OrgKey).where(OrgKey.current).order_by(OrgKey.id.desc()))
    if row is None:
        raise NotFound(_("this organisation has no OpenPGP key yet; run 'accord org key generate'"))
    return row


def all_keys(session: Session) -> list[OrgKey]:
    """Every key we ever had, newest first: old ones still decrypt bundles sent to them."""
    return list(session.scalars(select(OrgKey).order_by(OrgKey.id.desc())))


def own_fingerprints(session: Session) -> set[str]:
    return {k.fingerprint for k in all_keys(session)}


def generate(session: Session, actor: Actor, *, replace: bool = False) -> OrgKeyInfo:
    """Create the organisation's key; with ``replace``, roll over (old keys are kept)."""
    actor.require(Permission.MANAGE_PARTNERS)
    existing = session.scalar(select(OrgKey).where(OrgKey.current))
    if existing is not None and not replace:
        raise AccordError(
            _("the organisation already has key {fpr}; use --replace to roll it over").format(
                fpr=existing.fingerprint
            )
        )
    org = session.get(Setting, "org.name")
    name = str(org.value) if org and org.value else "Accord"
    secret, passphrase, public = pgp.generate_key(name)
    fpr = pgp.parse_cert(public).fingerprint.upper()
    for old in session.scalars(select(OrgKey).where(OrgKey.current)):
        old.current = False
    row = OrgKey(
        fingerprint=fpr,
        secret_key=secret,
        key_passphrase=passphrase,
        certificate=public,
        current=True,
    )
    session.add(row)
    session.flush()
    refs.assign_missing(session)  # cases opened before the key get their reference now
    audit.record(
        session,
        actor,
        "org.key.generate",
        "org_key",
        row.id,
        details={"fingerprint": fpr, "replaced": existing.fingerprint if existing else None},
    )
    return _info(row)


def show(session: Session) -> OrgKeyInfo:
    return _info(current_key(session))


def export_public(session: Session, actor: Actor) -> tuple[str, str]:
    """(fingerprint, ASCII-armoured public certificate) of the current key."""
    row = current_key(session)
    audit.record(
        session,
        actor,
        "org.key.export",
        "org_key",
        row.id,
        details={"fingerprint": row.fingerprint},
    )
    return row.fingerprint, row.certificate
