"""An impact estimate as the advisory states it: the newest stored estimate of a case and the
one sentence its draft's impact field starts from. Here, below app.impact, because storing an
estimate seeds the draft: impact builds on advisories, never the reverse (app.impact
re-exports both names)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.casework.lookup import get_case
from i18n import N_, _, gettext_in
from models import ImpactEstimate


def latest(session: Session, case_key: str) -> dict[str, Any] | None:
    """The newest stored estimate of a case (for the advisory draft and the impact panel)."""
    case = get_case(session, case_key)
    row = session.scalar(
        select(ImpactEstimate)
        .where(ImpactEstimate.case_id == case.id)
        .order_by(ImpactEstimate.created_at.desc(), ImpactEstimate.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    created: datetime = row.created_at
    return {"case": case.key, "estimate_id": row.id, "created_at": created, **row.result}


SUMMARY = N_(
    "{deployments} known deployments at {organisations} organisations run an affected "
    "version; between {low} and {high} users (likely {likely}) may be exposed."
)


def summary(result: Mapping[str, Any], language: str | None = None) -> str:
    """One plain sentence for an advisory draft: who is affected, as a range (in ``language``,
    the advisory's own, when given; else the interface language)."""
    users = result["users"]
    template = gettext_in(language, SUMMARY) if language else _(SUMMARY)
    return template.format(
        deployments=result["affected_deployments"],
        organisations=result["organisations"],
        low=users["low"],
        high=users["high"],
        likely=users["likely"],
    )
