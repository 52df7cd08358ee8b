"""Analysts of this workspace, pseudonymous reporters, and workspace-wide settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Role(enum.StrEnum):
    ANALYST = "analyst"
    SHIFT_LEAD = "shift-lead"
    COORDINATOR = "coordinator"


class Analyst(Base):
    __tablename__ = "analyst"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # On a team database, the PostgreSQL login that is this analyst (``session_user``).
    db_login: Mapped[str | None] = mapped_column(String(63), unique=True, index=True)


class Reporter(Base):
    """A researcher who sends reports; may stay pseudonymous (``real_identity`` is optional)."""

    __tablename__ = "reporter"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(200))
    contact_channel: Mapped[str | None] = mapped_column(String(400))
    credit_preference: Mapped[str | None] = mapped_column(String(200))
    publication_preference: Mapped[str | None] = mapped_column(String(200))
    consent_to_be_named: Mapped[bool] = mapped_column(default=False)
    real_identity: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(Base):
    """Workspace-wide facts (organisation name, policies); lives inside the encrypted store."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
