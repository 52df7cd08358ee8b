"""The case (coordination unit), its facts, jurisdictions and partners, and its search text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import schema
from models.base import Base
from models.schema import CaseStatus as CaseStatus  # re-exported: its home before schema
from models.schema import enum_column as enum_column

if TYPE_CHECKING:
    from models.people import Analyst, Reporter
    from models.reports import Report


class Case(Base):
    # The table is models/schema.py's: `accord cases list` reads it without the ORM.
    __table__ = schema.case
    __mapper_args__ = {"version_id_col": schema.case.c.row_version}

    id: Mapped[int]
    key: Mapped[str]
    ref: Mapped[str | None]
    year: Mapped[int]
    number: Mapped[int]
    title: Mapped[str]
    description: Mapped[str]
    status: Mapped[CaseStatus]
    assignee_id: Mapped[int | None]
    reporter_id: Mapped[int | None]
    source_partner_id: Mapped[int | None]
    tier: Mapped[str | None]
    tier_rank: Mapped[int]
    next_deadline_utc: Mapped[datetime | None]
    partners_label: Mapped[str]
    jurisdictions_label: Mapped[str]
    embargo_until: Mapped[datetime | None]
    tlp: Mapped[str]
    tlp_floor: Mapped[str | None]
    tlp_floor_partner_id: Mapped[int | None]
    tlp_floor_bundle: Mapped[str | None]
    row_version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    assignee: Mapped[Analyst | None] = relationship(foreign_keys=[schema.case.c.assignee_id])
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
