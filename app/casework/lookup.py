"""Finding a case by its key or id: what every capability needs of cases, apart from the case
use cases (app.casework.cases), so that deadlines, advisories and impact can build on it while
the case use cases call the deadlines service."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from i18n import _
from models import Case


def get_case(session: Session, key: str) -> Case:
    case = session.scalar(select(Case).where(Case.key == key.strip().upper()))
    if case is None:
        raise NotFound(_("no case {key}").format(key=key))
    return case


def key_for_id(session: Session, case_id: int) -> str:
    """The key (``ACC-YYYY-NNNN``) of a case id, for screens that are handed ids."""
    key = session.scalar(select(Case.key).where(Case.id == case_id))
    if key is None:
        raise NotFound(_("no case with id {id}").format(id=case_id))
    return key
