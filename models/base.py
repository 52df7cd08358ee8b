"""Declarative base shared by every aggregate: UTC datetimes and JSON in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, event
from sqlalchemy.orm import DeclarativeBase, Mapper

# Re-exported: their home is models.schema, which needs no ORM (see there).
from models.schema import METADATA
from models.schema import NAMING as NAMING
from models.schema import UTCDateTime as UTCDateTime
from models.schema import utcnow as utcnow


class Base(DeclarativeBase):
    metadata = METADATA
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


@event.listens_for(Mapper, "before_configured")
def _declare_every_model() -> None:
    """The models package loads its modules on demand (models/__init__.py); the first ORM
    statement configures the mappers, whose relationships name classes of other modules."""
    import models

    models.load_all()
