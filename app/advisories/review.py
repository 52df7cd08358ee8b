"""Review: draft → in review → approved → published, with the four-eyes rule.

The approver must be another analyst than the author; each publication is a new
AdvisoryRevision (its number becomes the CSAF tracking version).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import trust
from app.advisories.drafting import AdvisoryStatus, get_advisory, status, texts_of
from app.advisories.fields import FIELDS, REQUIRED, ReviewState, TextState, state_of
from app.auditing import chain as audit
from app.casework.cases import get_case
from app.errors import AccordError, PermissionDenied
from app.identity.actor import Actor, Permission
from i18n import _
from models import Advisory, AdvisoryRevision, utcnow


def _move(
    session: Session, actor: Actor, adv: Advisory, case_key: str, expected: ReviewState,
    target: ReviewState, **details: object,
) -> None:  # fmt: skip
    if adv.status != expected.value:
        raise AccordError(
            _("the advisory of {key} is {state}; this needs it to be {expected}").format(
                key=case_key, state=adv.status, expected=expected.value
            )
        )
    adv.status = target.value
    audit.record(
        session, actor, f"advisory.{target.value}", "advisory", adv.id, case_key=case_key,
        details={"from": expected.value, "to": target.value, **details},
    )  # fmt: skip


def _stale_cells(adv: Advisory) -> list[str]:
    cells = texts_of(adv)
    out = []
    for (name, lang), cell in sorted(cells.items()):
        if lang == adv.source_language or name not in FIELDS or not cell.text.strip():
            continue
        source = cells.get((name, adv.source_language))
        if state_of(source.text if source else "", cell.text, cell.source_hash) == TextState.STALE:
            out.append(f"{name}/{lang}")
    return out


def submit(session: Session, actor: Actor, case_key: str) -> AdvisoryStatus:
    """Send a draft to review; the source language needs its title, summary and description."""
    adv = get_advisory(session, case_key)
    key = get_case(session, case_key).key
    cells = texts_of(adv)
    empty = [
        name
        for name in REQUIRED
        if not (cell := cells.get((name, adv.source_language))) or not cell.text.strip()
    ]
    if empty:
        raise AccordError(
            _("the advisory of {key} cannot go to review: {fields} empty in {lang}").format(
                key=key, fields=", ".join(empty), lang=adv.source_language
            )
        )
    _move(session, actor, adv, key, ReviewState.DRAFT, ReviewState.IN_REVIEW)
    return status(session, key)


def request_changes(session: Session, actor: Actor, case_key: str) -> AdvisoryStatus:
    """A reviewer sends the advisory back to its author."""
    adv = get_advisory(session, case_key)
    key = get_case(session, case_key).key
    _move(session, actor, adv, key, ReviewState.IN_REVIEW, ReviewState.DRAFT)
    return status(session, key)


def approve(session: Session, actor: Actor, case_key: str) -> AdvisoryStatus:
    """Approve an advisory in review; never by its own author (four-eyes rule)."""
    actor.require(Permission.APPROVE_ADVISORY)
    adv = get_advisory(session, case_key)
    key = get_case(session, case_key).key
    if adv.author_id is not None and adv.author_id == actor.id:
        raise PermissionDenied(
            _("{analyst} wrote the advisory of {key}; another analyst must approve it").format(
                analyst=actor.name, key=key
            )
        )
    _move(session, actor, adv, key, ReviewState.IN_REVIEW, ReviewState.APPROVED)
    adv.approver_id = actor.id
    return status(session, key)


def publish(
    session: Session, actor: Actor, case_key: str, summary: str = "", *, override: str | None = None
) -> AdvisoryStatus:
    """Publish an approved advisory as a new revision; stale translations block publication,
    and so do the trust rules (embargo, TLP floor, a real publisher namespace)."""
    actor.require(Permission.APPROVE_ADVISORY)
    adv = get_advisory(session, case_key)
    case = get_case(session, case_key)
    key = case.key
    stale = _stale_cells(adv)
    if stale:
        raise AccordError(
            _("the advisory of {key} has stale translations: {cells}").format(
                key=key, cells=", ".join(stale)
            )
        )
    if adv.status == ReviewState.APPROVED.value:
        trust.enforce(
            session, actor,
            trust.advisory_violations(
                session, case, adv.tlp, publish=True, namespace=trust.configured_namespace(session)
            ),
            override, action="advisory.publish", entity="advisory", entity_id=adv.id,
            case_key=key,
        )  # fmt: skip
    number = adv.current_revision + 1
    _move(
        session, actor, adv, key, ReviewState.APPROVED, ReviewState.PUBLISHED, revision=number
    )  # fmt: skip
    adv.current_revision = number
    adv.revisions.append(
        AdvisoryRevision(
            number=number,
            summary=summary,
            published_by_id=actor.id or None,
            approved_by_id=adv.approver_id,
            date=utcnow(),
        )
    )
    from app.deadlines.evidence import record_event  # the deadlines build on advisories' cases

    record_event(session, actor, case, ["published"], f"advisory revision {number} published")
    session.flush()
    return status(session, key)
