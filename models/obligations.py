"""Who owes what on a case: duty-holder roles, rule sets kept with the case, per-case period
overrides and facts proposed from the evidence (issue 16)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CaseRole(Base):
    """A duty-holder role present on a case (``manufacturer``, ``deployer``, …) and the party
    holding it. The seam for the case-parties work: a party's roles can be written here."""

    __tablename__ = "case_role"
    __table_args__ = (UniqueConstraint("case_id", "role", "party", name="uq_case_role_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleText(Base):
    """One rules file's exact text, stored once by its SHA-256 (cases point at it)."""

    __tablename__ = "rule_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRuleSet(Base):
    """The rules file a case's obligations under one code came from, and where it came from
    (``built-in``, a team file, or a partner's bundle): rules travel with the case."""

    __tablename__ = "case_rule_set"
    __table_args__ = (UniqueConstraint("case_id", "code", name="uq_case_rule_set_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(ForeignKey("rule_text.sha256"))
    origin: Mapped[str] = mapped_column(String(300), default="built-in")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlineOverride(Base):
    """A per-case change of one rule's period (amount or computation), with its reason."""

    __tablename__ = "deadline_override"
    __table_args__ = (UniqueConstraint("case_id", "rule_id", name="uq_deadline_override_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(120))
    amount: Mapped[int | None] = mapped_column()
    computation: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FactProposal(Base):
    """A dated fact read from a document (an e-mail's Date:, a CSAF release date, a KEV
    listing), waiting for an analyst to accept or reject it."""

    __tablename__ = "fact_proposal"
    __table_args__ = (Index("ix_fact_proposal_case_state", "case_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column()
    party: Mapped[str] = mapped_column(String(200), default="")
    # What the date was read from: the document kind, its field and the document's SHA-256.
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="proposed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
