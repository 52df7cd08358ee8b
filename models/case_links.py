"""How cases relate: related-case links, and merges recorded with their inverse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CaseLink(Base):
    """Two related cases (same campaign, same product family …); a link has no direction."""

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id", name="uq_case_link_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored with the smaller id first, so a pair is one row whichever side linked it.
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    other_case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseMerge(Base):
    """One merge of ``src`` into ``dst``: what moved and what changed, so it can be undone
    (``moved`` and ``changed`` are ids and earlier values, never content)."""

    __tablename__ = "case_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    src_case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    dst_case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="merged")  # merged | undone
    src_status: Mapped[str] = mapped_column(String(20))
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("analyst.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column()
