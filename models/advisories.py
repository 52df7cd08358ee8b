"""Public advisories: fields per language, translation provenance, and revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Advisory(Base):
    __tablename__ = "advisory"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    source_language: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    tlp: Mapped[str] = mapped_column(String(20), default="CLEAR")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    current_revision: Mapped[int] = mapped_column(default=0)
    # Set when the draft came from a partner's bundle.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    texts: Mapped[list[AdvisoryText]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[AdvisoryRevision]] = relationship(
        cascade="all, delete-orphan", order_by="AdvisoryRevision.number"
    )


class AdvisoryText(Base):
    """One field in one language; a translation keeps the hash of the source it came from."""

    __tablename__ = "advisory_text"
    __table_args__ = (
        UniqueConstraint("advisory_id", "field", "language", name="uq_advisory_text_cell"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisory.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    source_hash: Mapped[str | None] = mapped_column(String(64))
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdvisoryRevision(Base):
    __tablename__ = "advisory_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisory.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    summary: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    date: Mapped[datetime] = mapped_column(default=utcnow)
