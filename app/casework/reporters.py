"""Reporters: researchers who may stay pseudonymous. Real identities are for coordinators."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import NotFound, UsageError
from app.identity.actor import Actor, Permission
from i18n import _
from models import Reporter


@dataclass(frozen=True)
class ReporterInfo:
    id: int
    handle: str
    contact_channel: str | None
    credit_preference: str | None
    publication_preference: str | None
    consent_to_be_named: bool
    real_identity: str | None  # None unless the viewer may see it

    @property
    def credit_name(self) -> str:
        """The name to print in an advisory's credits: the handle unless consent was given."""
        if self.consent_to_be_named and self.real_identity:
            return self.real_identity
        return self.credit_preference or self.handle


def add(
    session: Session,
    actor: Actor,
    handle: str,
    *,
    contact_channel: str | None = None,
    credit_preference: str | None = None,
    publication_preference: str | None = None,
    consent_to_be_named: bool = False,
    real_identity: str | None = None,
) -> int:
    if not handle.strip():
        raise UsageError(_("a reporter needs a handle"))
    row = Reporter(
        handle=handle.strip(),
        contact_channel=contact_channel,
        credit_preference=credit_preference,
        publication_preference=publication_preference,
        consent_to_be_named=consent_to_be_named,
        real_identity=real_identity,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "reporter.add", "reporter", row.id)
    return row.id


def view(session: Session, actor: Actor, reporter_id: int) -> ReporterInfo:
    row = session.get(Reporter, reporter_id)
    if row is None:
        raise NotFound(_("no reporter {id}").format(id=reporter_id))
    visible = actor.can(Permission.SEE_REPORTER_IDENTITY)
    return ReporterInfo(
        row.id,
        row.handle,
        row.contact_channel,
        row.credit_preference,
        row.publication_preference,
        row.consent_to_be_named,
        row.real_identity if visible else None,
    )
