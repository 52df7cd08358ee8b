"""Intake items: the report with its raw original, identifiers, attachments, duplicates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import rawcodec
from models.base import Base, utcnow

if TYPE_CHECKING:
    from models.cases import Case


class Report(Base):
    """One imported document. ``raw`` keeps the original bytes (inside the encrypted store),
    stored compressed when that saves (``stored_raw`` as ``raw_codec`` says, models/rawcodec.py)."""

    __tablename__ = "report"
    __table_args__ = (Index("ix_report_doc", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    source: Mapped[str] = mapped_column(String(200), default="manual")
    format: Mapped[str] = mapped_column(String(40), default="text")
    # Stable identity across revisions: CSAF tracking id, CVE id, OSV id, …
    document_id: Mapped[str | None] = mapped_column(String(300))
    revision: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str | None] = mapped_column(String(500))
    media_type: Mapped[str | None] = mapped_column(String(100))
    stored_raw: Mapped[bytes] = mapped_column("raw", LargeBinary, default=b"")
    raw_codec: Mapped[str] = mapped_column(String(8), default="", server_default="")
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True, default="")  # of the original
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case | None] = relationship(back_populates="reports")
    identifiers: Mapped[list[Identifier]] = relationship(cascade="all, delete-orphan")
    revisions: Mapped[list[ReportRevision]] = relationship(cascade="all, delete-orphan")

    @property
    def raw(self) -> bytes:
        """The original bytes, as received."""
        return _decoded(self.stored_raw, self.raw_codec, f"report {self.id}")

    @raw.setter
    def raw(self, value: bytes) -> None:
        self.stored_raw, self.raw_codec = rawcodec.encode(value)


class ReportRevision(Base):
    """An earlier revision of a report, kept when a newer one replaces it."""

    __tablename__ = "report_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    revision: Mapped[str | None] = mapped_column(String(60))
    stored_raw: Mapped[bytes] = mapped_column("raw", LargeBinary)
    raw_codec: Mapped[str] = mapped_column(String(8), default="", server_default="")
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the original
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def raw(self) -> bytes:
        """The original bytes of that revision, as received."""
        return _decoded(self.stored_raw, self.raw_codec, f"revision {self.id} of a report")

    @raw.setter
    def raw(self, value: bytes) -> None:
        self.stored_raw, self.raw_codec = rawcodec.encode(value)


def _decoded(stored: bytes | None, codec: str | None, what: str) -> bytes:
    # Both are None on an object not yet flushed that was never given its bytes.
    return rawcodec.decode(stored or b"", codec or rawcodec.PLAIN, what)


class Identifier(Base):
    """An identifier or alias of a report (CVE, GHSA, PYSEC, AVID, CSAF tracking id, vendor id),
    or of a case itself when an analyst added it (``case_id`` set, ``report_id`` empty)."""

    __tablename__ = "identifier"
    __table_args__ = (
        UniqueConstraint("report_id", "scheme", "value", name="uq_identifier_report"),
        UniqueConstraint("case_id", "scheme", "value", name="uq_identifier_case"),
        Index("ix_identifier_value", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(300))


class Attachment(Base):
    """A file kept with a case or report. Hazardous ones never leave in a bundle by default."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    hazardous: Mapped[bool] = mapped_column(default=False)
    hazard_kind: Mapped[str | None] = mapped_column(String(60))
    # Why intake found it hazardous: reason codes of app/intake/hazard.py, most telling first.
    hazard_reasons: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DuplicateCandidate(Base):
    """A near-duplicate pair offered to an analyst: open, confirmed, dismissed or merged."""

    __tablename__ = "duplicate_candidate"
    __table_args__ = (
        UniqueConstraint("report_id", "other_case_id", name="uq_duplicate_candidate_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    other_case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    score: Mapped[float] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceMapping(Base):
    """Saved spreadsheet column mapping per intake source."""

    __tablename__ = "source_mapping"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    columns: Mapped[dict[str, Any]] = mapped_column(default=dict)


class QuarantineItem(Base):
    """A refused document or bundle, kept with its reason; nothing of it was merged."""

    __tablename__ = "quarantine_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="document")
    path: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """Free-text case note (kept encrypted); the audit log records its id only. A shared note
    travels in bundles; ``uid`` names it across organisations so it is merged once."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    body: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False, server_default=false())
    uid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when the note came from a partner's bundle: their author's name, kept as theirs.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    author_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
