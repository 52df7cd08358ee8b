"""Vulnerabilities of a case, the AI models and systems they affect, references, assessments."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Vulnerability(Base):
    __tablename__ = "vulnerability"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    cve: Mapped[str | None] = mapped_column(String(30), index=True)
    cwe: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ai_class: Mapped[str | None] = mapped_column(String(60))
    atlas_ids: Mapped[list[Any]] = mapped_column(default=list)
    owasp_ids: Mapped[list[Any]] = mapped_column(default=list)
    # CVSS vectors as stated by the source, each with the score recomputed on import.
    scores: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    affected: Mapped[list[AffectedProduct]] = relationship(cascade="all, delete-orphan")
    references: Mapped[list[Reference]] = relationship(cascade="all, delete-orphan")


class AffectedProduct(Base):
    """An affected AI model, system or classic product, with version (or range) and hash."""

    __tablename__ = "affected_product"
    # (name_key, id): the newest mentions of a product name as compared, in index order
    # (near-duplicates, app/intake/dedup.py); rows without a key are no mention.
    __table_args__ = (
        Index(
            "ix_affected_product_name_key_id",
            "name_key",
            "id",
            sqlite_where=text("name_key IS NOT NULL"),
            postgresql_where=text("name_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="system")  # model | system | product
    name: Mapped[str] = mapped_column(String(300))
    vendor: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[str | None] = mapped_column(String(100))
    # A vers: URI (app/versions); a range naming commits or unreadable prose is kept as written.
    version_range: Mapped[str | None] = mapped_column(Text)
    hash: Mapped[str | None] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(String(500))
    # The name as near-duplicate detection compares it (``product_key``), kept by the
    # mapper events below for ORM writes. Intake's rows keep it on a report's first row of
    # each name only (``app/intake/rows._products``): a report mentions a name once.
    name_key: Mapped[str | None] = mapped_column(String(300))


_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def product_key(name: str | None, vendor: str | None = None) -> str:
    """A product name compared without case, punctuation or its vendor's name in front:
    "Helix Portico-LLM gateway" (vendor Helix) and "portico llm Gateway" are the same."""
    words = _WORDS.findall((name or "").casefold())
    lead = _WORDS.findall((vendor or "").casefold())
    if lead and words[: len(lead)] == lead and len(words) > len(lead):
        words = words[len(lead) :]
    return " ".join(words)[:300]


@event.listens_for(AffectedProduct, "before_insert")
@event.listens_for(AffectedProduct, "before_update")
def _keep_name_key(_mapper: Any, _conn: Any, target: AffectedProduct) -> None:
    target.name_key = product_key(target.name, target.vendor)


class Reference(Base):
    __tablename__ = "reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("vulnerability.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    summary: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(20), default="external")


class Assessment(Base):
    """One scoring of a case; history is kept, rows are never updated in place."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    vulnerability_id: Mapped[int | None] = mapped_column(ForeignKey("vulnerability.id"))
    model_id: Mapped[str] = mapped_column(String(60))
    model_version: Mapped[str] = mapped_column(String(20))
    cvss_version: Mapped[str | None] = mapped_column(String(5))
    cvss_vector: Mapped[str | None] = mapped_column(String(300))
    cvss_score: Mapped[float | None] = mapped_column()
    cvss_severity: Mapped[str | None] = mapped_column(String(20))
    ssvc_table: Mapped[str | None] = mapped_column(String(60))
    ssvc_inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ssvc_decision: Mapped[str | None] = mapped_column(String(40))
    # Decisions of SSVC tables the model records without feeding the tier (coordinator
    # triage and publication): [{"table", "decision", "outcome_key", "inputs"}].
    ssvc_recorded: Mapped[list[Any]] = mapped_column(default=list)
    ai_factors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sector: Mapped[str | None] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(20))
    sla_hours: Mapped[int | None] = mapped_column()
    explanation: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    # Set when the assessment came from a partner's bundle: kept as theirs, never ours.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    partner_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImpactEstimate(Base):
    __tablename__ = "impact_estimate"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    analyst_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assumptions: Mapped[list[Any]] = mapped_column(default=list)
    inventories: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
