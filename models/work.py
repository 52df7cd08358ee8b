"""Deadlines, playbook runs and their steps, and shift handovers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    select,
    text,
    union,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from models.base import Base, utcnow
from models.cases import Case, CaseJurisdiction, jurisdictions_label


class Deadline(Base):
    """An obligation computed from a jurisdiction's rule and the case's facts."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "rule_id", name="uq_deadline_case_rule"),
        Index("ix_deadline_due", "due_utc"),
        Index("ix_deadline_jurisdiction", "jurisdiction", "case_id"),  # the jurisdiction filter
        # Unmet obligations by due time, with all the dashboard's day chart reads (0032).
        Index(
            "ix_deadline_owing",
            "due_utc",
            "binding",
            "case_id",
            "met_at",
            sqlite_where=text("met_at IS NULL"),
            postgresql_where=text("met_at IS NULL"),
        ),
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


def _touched_cases(session: Session) -> set[int]:
    """Cases whose jurisdiction or deadline rows this flush added, removed, moved or recoded."""
    found: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CaseJurisdiction):
            field = "code"
        elif isinstance(obj, Deadline):
            field = "jurisdiction"
        else:
            continue
        state = sa_inspect(obj)
        moved = state.attrs.case_id.history
        if obj in session.dirty and not (moved.has_changes() or state.attrs[field].history
                                         .has_changes()):  # fmt: skip
            continue  # a deadline's clock moved on: its code did not
        found.update(c for c in (*moved.added, *moved.unchanged, *moved.deleted) if c)
        if obj.case_id:
            found.add(obj.case_id)
    return found


_SET_LABEL = (
    update(Case.__table__)
    .where(Case.__table__.c.id == bindparam("cid"))
    .values(jurisdictions_label=bindparam("label"))
)


@event.listens_for(Session, "after_flush")
def _keep_jurisdictions_label(session: Session, _flush: UOWTransaction) -> None:
    """Every write path of jurisdictions (intake, bundles, merges, splits, the deadline
    engine) flushes through here: the cases it touched get their label from the rows as they
    now stand. A Core update: the label is derived, so it moves no row version."""
    touched = _touched_cases(session)
    if not touched:
        return
    conn = session.connection()
    codes: dict[int, set[str]] = {c: set() for c in touched}
    rows = conn.execute(
        union(
            select(CaseJurisdiction.case_id, CaseJurisdiction.code).where(
                CaseJurisdiction.case_id.in_(touched)
            ),
            select(Deadline.case_id, Deadline.jurisdiction).where(Deadline.case_id.in_(touched)),
        )
    )
    for case_id, code in rows:
        codes[case_id].add(code)
    labels = {c: jurisdictions_label(v) for c, v in codes.items()}
    conn.execute(_SET_LABEL, [{"cid": c, "label": v} for c, v in labels.items()])
    for case_id, label in labels.items():
        case = session.identity_map.get(Session.identity_key(Case, case_id))
        if case is not None:
            set_committed_value(case, "jurisdictions_label", label)


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
