"""The audit log: an append-only SHA-256 hash chain over every state change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import FetchedValue, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AuditEvent(Base):
    """``hash`` covers the canonical JSON of the event and ``prev_hash``; ids, never content."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_case", "case_key"),
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_action_at", "action", "at", "case_key"),  # dashboard triage trend
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(120))
    case_key: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The actor's Ed25519 signature over ``hash`` and the id of the key that made it; both
    # NULL for events of the system, for events written before the actor had a key, and for
    # the events a later one vouches for (``signs_from``).
    signature: Mapped[str | None] = mapped_column(String(128))
    key_id: Mapped[str | None] = mapped_column(String(64))
    # On the signed event that ends a run (the consecutive events an analyst appended in one
    # go): the run's first event. It is hashed, so the signature over ``hash`` vouches for
    # the events from ``signs_from`` to this one, which carry no signature of their own
    # (``app.auditing.chain``). NULL on an event that is signed alone or not at all.
    signs_from: Mapped[int | None] = mapped_column()
    # On a team database, the login that wrote the event: the server's ``session_user``
    # (a column default the roles may not override); NULL in a workspace file.
    db_login: Mapped[str | None] = mapped_column(String(63), server_default=FetchedValue())


class AnalystKey(Base):
    """An analyst's Ed25519 public key; it signs their events from ``since_seq`` on."""

    __tablename__ = "analyst_key"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    analyst_id: Mapped[int] = mapped_column(ForeignKey("analyst.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    since_seq: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class AuditCheckpoint(Base):
    """The chain head (count and hash) at a time, signed by the organisation's OpenPGP key."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(index=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(64))
