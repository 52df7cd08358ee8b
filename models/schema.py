"""What reading the queue needs, without the ORM: the metadata every table joins, the column
types of models/base.py, the case states and roles, and the case and analyst tables.

`accord cases list` (run by scripts at every call) reads these two tables through SQLAlchemy
Core; importing the ORM and declaring its classes was a good part of its start-up. The ORM
classes ``Case`` and ``Analyst`` map these very tables (models/cases.py, models/people.py), so
ORM expressions (saved filters, search) and Core ones name the same columns. A column added
to either table is added here; tests/models/test_migrations.py compares the whole metadata
with the migrations.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Every table's: models.base.Base declares into it.
METADATA = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Accord stores aware UTC instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Enums stored as their string values (portable across SQLite and PostgreSQL)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


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


class Role(enum.StrEnum):
    ANALYST = "analyst"
    SHIFT_LEAD = "shift-lead"
    COORDINATOR = "coordinator"


def _values(e: Any) -> list[str]:
    return [m.value for m in e]


analyst = Table(
    "analyst",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column(
        "role",
        Enum(Role, native_enum=False, length=20, values_callable=_values),
        nullable=False,
    ),
    Column("timezone", String(64), nullable=False, default="UTC"),
    Column("language", String(16), nullable=False, default="en"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    # On a team database, the PostgreSQL login that is this analyst (``session_user``).
    Column("db_login", String(63), unique=True, index=True),
)

case = Table(
    "case",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("key", String(20), nullable=False, unique=True),
    # Unique across organisations (app/case_refs.py): ``KEY@ORGTAG``, where the tag is the
    # originating organisation's OpenPGP fingerprint prefix. A received case keeps the sender's.
    Column("ref", String(120), unique=True),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("status", enum_column(CaseStatus), nullable=False, default=CaseStatus.NEW),
    Column("assignee_id", Integer, ForeignKey("analyst.id")),
    Column("reporter_id", Integer, ForeignKey("reporter.id")),
    Column("source_partner_id", Integer, ForeignKey("partner.id")),
    # Denormalised for a queue that sorts 200,000 rows in SQL without joins.
    Column("tier", String(20)),
    Column("tier_rank", Integer, nullable=False, default=0),
    Column("next_deadline_utc", UTCDateTime()),
    Column("partners_label", String(500), nullable=False, default=""),
    # The codes of its jurisdictions and of its deadline rules, as ``jurisdictions_label``
    # spells them: the jurisdiction filter tests this column in the index it walks instead of
    # joining two tables (kept in step by models/work.py; migration 0030).
    Column("jurisdictions_label", String(500), nullable=False, default="", server_default=""),
    Column("embargo_until", UTCDateTime()),
    # TLP: our own label, and the floor the most restrictive received bundle set, with where
    # it came from (migration 0015). The case's TLP is the higher of the two (app/trust.py).
    Column("tlp", String(20), nullable=False, default="CLEAR", server_default="CLEAR"),
    Column("tlp_floor", String(20)),
    Column("tlp_floor_partner_id", Integer, ForeignKey("partner.id")),
    Column("tlp_floor_bundle", String(64)),
    # Optimistic concurrency (app/concurrency.py): every UPDATE checks the version it read.
    Column("row_version", Integer, nullable=False, default=1, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
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
    Index("ix_case_dashboard", "assignee_id", "tier", "status", "created_at", "next_deadline_utc"),
    # The queue opens on open cases by next deadline: one covering range per state.
    Index("ix_case_status_deadline", "status", "next_deadline_utc"),
    UniqueConstraint("year", "number", name="uq_case_year_number"),
)
