"""Deadlines, playbook runs and their steps, and shift handovers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Deadline(Base):
    """An obligation computed from a jurisdiction's rule and the case's facts."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "rule_id", name="uq_deadline_case_rule"),
        Index("ix_deadline_due", "due_utc"),
        Index("ix_deadline_jurisdiction", "jurisdiction", "case_id"),  # the jurisdiction filter
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(120))
    jurisdiction: Mapped[str] = mapped_column(String(40))
    obligation: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(300), default="")
    due_utc: Mapped[datetime | None] = mapped_column()
    state: Mapped[str] = mapped_column(String(20), default="pending")
    binding: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(500), default="")
    met_at: Mapped[datetime | None] = mapped_column()
    met_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    evidence: Mapped[str | None] = mapped_column(Text)
    # Who owes it (a rule's duty holder) and, for another's duty, the party holding that role:
    # obligations of others are watched, not ours to meet (issue 16).
    owed_by: Mapped[str] = mapped_column(
        String(40), default="this-cert", server_default="this-cert"
    )
    owed_by_party: Mapped[str | None] = mapped_column(String(300))
    # Why a rule does not apply, or by how long it was met late (seconds).
    reason: Mapped[str | None] = mapped_column(Text)
    late_seconds: Mapped[int | None] = mapped_column()
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}


class PlaybookRun(Base):
    __tablename__ = "playbook_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    playbook_id: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="running")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    # A partner's run mirrored here from its bundle (app.playbooks.joint): the signing
    # fingerprint of the organisation that runs it, its case key, and the owner string (as that
    # organisation names us) of the steps that are ours to complete. None on our own runs.
    origin_fingerprint: Mapped[str | None] = mapped_column(String(64))
    origin_case: Mapped[str | None] = mapped_column(String(40))
    local_owner: Mapped[str | None] = mapped_column(String(200))
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    steps: Mapped[list[PlaybookStep]] = relationship(
        cascade="all, delete-orphan", order_by="PlaybookStep.position"
    )


class PlaybookStep(Base):
    __tablename__ = "playbook_step"
    __table_args__ = (UniqueConstraint("run_id", "step_id", name="uq_playbook_step_run_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_run.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    due_utc: Mapped[datetime | None] = mapped_column()
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column()
    partner_fingerprint: Mapped[str | None] = mapped_column(String(64))
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}


class Handover(Base):
    """A shift handover: drafted from the audit log, signed off, then acknowledged."""

    __tablename__ = "handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime | None] = mapped_column()
    period_end: Mapped[datetime] = mapped_column(default=utcnow)
    last_audit_id: Mapped[int] = mapped_column(default=0)
    body: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
