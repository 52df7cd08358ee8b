"""A case's parties (vendors, the reporter, partner CERTs, stakeholders), each with a status
timeline and a contact log, in the manner of CERT/CC VINCE's VulnerableVendor/VendorStatus."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class CaseParty(Base):
    """One party to a case. ``origin_fingerprint`` is None for a party we added, else the
    fingerprint of the partner whose bundle named it first (provenance)."""

    __tablename__ = "case_party"
    __table_args__ = (UniqueConstraint("case_id", "kind", "name_key", name="uq_case_party_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # vendor | reporter | cert | stakeholder
    name: Mapped[str] = mapped_column(String(200))
    # The name folded (case, spacing) so that "Helix AI" and "helix ai" are one party.
    name_key: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"))
    contacts: Mapped[list[Any]] = mapped_column(default=list)
    channel: Mapped[str | None] = mapped_column(String(200))
    # Reporters: the credit wording, pseudonymity and the safe-harbour acknowledgement.
    credit: Mapped[str | None] = mapped_column(String(300))
    pseudonymous: Mapped[bool] = mapped_column(default=False)
    safe_harbour_at: Mapped[datetime | None] = mapped_column()
    safe_harbour_by: Mapped[str | None] = mapped_column(String(120))
    # Deadlines, computed from the first "notified" status (app/parties/deadlines.py).
    notified_at: Mapped[datetime | None] = mapped_column()
    acknowledgement_due: Mapped[datetime | None] = mapped_column()
    response_due: Mapped[datetime | None] = mapped_column()
    origin_fingerprint: Mapped[str | None] = mapped_column(String(64))
    origin_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    statuses: Mapped[list[PartyStatus]] = relationship(
        cascade="all, delete-orphan", order_by="PartyStatus.at, PartyStatus.id"
    )
    log: Mapped[list[PartyContact]] = relationship(
        cascade="all, delete-orphan", order_by="PartyContact.at, PartyContact.id"
    )


class PartyStatus(Base):
    """One entry of a party's status timeline; never updated. ``origin_fingerprint`` None:
    recorded here; else the partner's, kept as theirs beside ours."""

    __tablename__ = "party_status"
    __table_args__ = (Index("ix_party_status_party_at", "party_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(30))
    statement: Mapped[str] = mapped_column(Text, default="")
    # With "fixed": the first version with the fix (CSAF lists it under ``fixed``).
    fixed_version: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(String(200), default="")
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    origin_fingerprint: Mapped[str | None] = mapped_column(String(64))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartyContact(Base):
    """What was sent to or received from a party, when, by which channel and by whom; files
    are Attachment rows of the case (inside the encrypted store), listed by id."""

    __tablename__ = "party_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(
        ForeignKey("case_party.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(10))  # sent | received
    at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(200), default="")
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    attachment_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
