"""Analysts of this workspace, pseudonymous reporters, and workspace-wide settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models import schema
from models.base import Base, utcnow
from models.schema import Role as Role  # re-exported: its home before schema


class Analyst(Base):
    # The table is models/schema.py's: unlocking and `accord cases list` read it without the ORM.
    __table__ = schema.analyst

    id: Mapped[int]
    name: Mapped[str]
    role: Mapped[Role]
    timezone: Mapped[str]
    language: Mapped[str]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    db_login: Mapped[str | None]


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
