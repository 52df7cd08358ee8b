"""Partner CERTs, their certificates, the organisation's own key, and bundles in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    verified_fingerprint: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    last_sequence_in: Mapped[int] = mapped_column(default=0)
    last_sequence_out: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    keys: Mapped[list[PartnerKey]] = relationship(cascade="all, delete-orphan")


class PartnerKey(Base):
    """A partner certificate; old ones are kept after rollover so old bundles still verify."""

    __tablename__ = "partner_key"
    __table_args__ = (UniqueConstraint("partner_id", "fingerprint", name="uq_partner_key_fpr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    certificate: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a coordinator compared this key's fingerprint out of band (migration 0006).
    verified_at: Mapped[datetime | None] = mapped_column()


class OrgKey(Base):
    """The organisation's OpenPGP key; the secret part never leaves the encrypted store."""

    __tablename__ = "org_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    secret_key: Mapped[str] = mapped_column(Text)
    # The secret key stays protected as GnuPG made it; its passphrase lives here, inside the
    # encrypted store, beside it (migration 0006).
    key_passphrase: Mapped[str | None] = mapped_column(Text)
    certificate: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Bundle(Base):
    __tablename__ = "bundle"
    __table_args__ = (UniqueConstraint("bundle_uuid", "direction", name="uq_bundle_uuid_dir"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_uuid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(4))  # in | out
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    sequence: Mapped[int | None] = mapped_column()
    tlp: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="done")
    reason: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BundleCase(Base):
    """One of our cases that left in an outgoing bundle, per recipient partner: the record
    that lets that partner (and only it) send updates to the case back (migration 0011)."""

    __tablename__ = "bundle_case"
    __table_args__ = (
        UniqueConstraint("bundle_id", "partner_id", "case_id", name="uq_bundle_case"),
        Index("ix_bundle_case_partner_case", "partner_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundle.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))


class PartnerCheckpoint(Base):
    """A partner's audit checkpoint, as its bundle carried it and its key signed it: the
    count and head of its audit chain. A later bundle vouching for fewer events, or for the
    same count with another head, shows the partner's audit log was cut or rewritten
    (migration 0019)."""

    __tablename__ = "partner_checkpoint"
    __table_args__ = (Index("ix_partner_checkpoint_partner_events", "partner_id", "events"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    bundle_uuid: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column()
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()  # when the partner made it (its own clock)
    signer: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
