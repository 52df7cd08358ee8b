"""The case (coordination unit), its facts, jurisdictions and partners, and its search text."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

if TYPE_CHECKING:
    from models.people import Analyst, Reporter
    from models.reports import Report


class CaseStatus(enum.StrEnum):
    NEW = "new"
    TRIAGE = "triage"
    ACCEPTED = "accepted"
    COORDINATING = "coordinating"
    REMEDIATION = "remediation"
    DISCLOSED = "disclosed"
    CLOSED = "closed"
    NEEDS_INFO = "needs-info"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Enums stored as their string values (portable across SQLite and PostgreSQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_status_updated", "status", "updated_at"),
        # Each sort column with the id after it (the queue's tie-break) and the state (the queue
        # opens on open cases): PostgreSQL walks these in the order asked, index-only; without
        # them it sorted all 200,000 rows or read each one (issue 17). SQLite has the id
        # (rowid) in every index anyway.
        Index("ix_case_tier_rank", "tier_rank", "id", "status"),
        # The saved filters (overdue, due-24h, jurisdiction, tier, partner) walk this in their
        # order and test their condition on it, never on the wide rows (the id is spelled out
        # for PostgreSQL; SQLite has it in every index anyway).
        Index(
            "ix_case_next_deadline_status",
            "next_deadline_utc",
            "id",
            "status",
            "jurisdictions_label",
            "tier",
        ),
        Index("ix_case_created", "created_at", "id", "status"),
        Index("ix_case_title", "title", "id", "status"),
        Index("ix_case_assignee", "assignee_id", "id", "status"),
        Index("ix_case_partners_label", "partners_label", "id", "status"),
        Index("ix_case_key_order", "year", "number", "id", "status"),
        # Covering indexes for the 200,000-case queue (bench/queue.py): the status filter and
        # sort in key order, and key order for full-text hits without reading the wide rows.
        Index("ix_case_status_key", "status", "year", "number", "id"),
        Index("ix_case_tier_key", "tier", "year", "number", "id"),
        Index("ix_case_id_key", "id", "year", "number"),
        # A case's state by id without its wide row: the dashboard's deadline joins (0031).
        Index("ix_case_id_status", "id", "status"),
        # The dashboard's one index-only pass over open cases (app/shift/dashboard.py).
        Index(
            "ix_case_dashboard", "assignee_id", "tier", "status", "created_at", "next_deadline_utc"
        ),
        # The queue opens on open cases by next deadline: one covering range per state.
        Index("ix_case_status_deadline", "status", "next_deadline_utc"),
        UniqueConstraint("year", "number", name="uq_case_year_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), unique=True)
    # Unique across organisations (app/case_refs.py): ``KEY@ORGTAG``, where the tag is the
    # originating organisation's OpenPGP fingerprint prefix. A received case keeps the sender's.
    ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.NEW)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"))
    source_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    # Denormalised for a queue that sorts 200,000 rows in SQL without joins.
    tier: Mapped[str | None] = mapped_column(String(20))
    tier_rank: Mapped[int] = mapped_column(Integer, default=0)
    next_deadline_utc: Mapped[datetime | None] = mapped_column()
    partners_label: Mapped[str] = mapped_column(String(500), default="")
    # The codes of its jurisdictions and of its deadline rules, as ``jurisdictions_label``
    # spells them: the jurisdiction filter tests this column in the index it walks instead of
    # joining two tables (kept in step by models/work.py; migration 0030).
    jurisdictions_label: Mapped[str] = mapped_column(String(500), default="", server_default="")
    embargo_until: Mapped[datetime | None] = mapped_column()
    # TLP: our own label, and the floor the most restrictive received bundle set, with where
    # it came from (migration 0015). The case's TLP is the higher of the two (app/trust.py).
    tlp: Mapped[str] = mapped_column(String(20), default="CLEAR", server_default="CLEAR")
    tlp_floor: Mapped[str | None] = mapped_column(String(20))
    tlp_floor_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    tlp_floor_bundle: Mapped[str | None] = mapped_column(String(64))
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assignee: Mapped[Analyst | None] = relationship(foreign_keys=[assignee_id])
    reporter: Mapped[Reporter | None] = relationship()
    reports: Mapped[list[Report]] = relationship(back_populates="case")
    facts: Mapped[list[CaseFact]] = relationship(cascade="all, delete-orphan")
    jurisdictions: Mapped[list[CaseJurisdiction]] = relationship(cascade="all, delete-orphan")


def jurisdictions_label(codes: Iterable[str]) -> str:
    """``|EU|US|``: the distinct codes, sorted, each between bars so that a filter matches
    ``|EU|`` and not ``|EUR|``; "" for none."""
    found = sorted({c for c in codes if c})
    return f"|{'|'.join(found)}|"[:500] if found else ""


def jurisdiction_pattern(code: str) -> str:
    """What ``jurisdictions_label`` holds for a case with ``code``."""
    return f"|{code}|"


class CaseFact(Base):
    """A dated fact that starts deadline clocks (reported, vendor-contacted, exploited, …)."""

    __tablename__ = "case_fact"
    __table_args__ = (
        UniqueConstraint("case_id", "name", "party", name="uq_case_fact_case_name_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column()
    # Whose fact it is ("" = the case's shared fact; "JPCERT/CC" = that party's own date).
    party: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Who recorded it and from what (the evidence an obligation met by it names).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    recorded_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str | None] = mapped_column(Text)


class CaseJurisdiction(Base):
    __tablename__ = "case_jurisdiction"
    __table_args__ = (
        UniqueConstraint("case_id", "code", name="uq_case_jurisdiction_case_code"),
        Index("ix_case_jurisdiction_code", "code", "case_id"),  # the jurisdiction filter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))


class CasePartner(Base):
    __tablename__ = "case_partner"
    __table_args__ = (UniqueConstraint("case_id", "partner_id", name="uq_case_partner_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)


class CaseSearch(Base):
    """One searchable document per case: FTS5 mirrors it in SQLite, a GIN index in PostgreSQL."""

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text, default="")
