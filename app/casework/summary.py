"""What a case view shows in its header, as one frozen record: reporter, jurisdictions,
sharing list, TLP and embargo, by name (never raw ids) — and opening a case with its TLP and
jurisdictions in one audited transaction (``case new``, the New case screen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.casework import cases, reporters
from app.deadlines import service as deadlines
from app.deadlines.rules import RuleSet, builtin_rules
from app.errors import NotFound, UsageError
from app.identity.actor import Actor
from i18n import _
from models import CaseJurisdiction, Partner


@dataclass(frozen=True)
class Jurisdiction:
    """A code a case may carry, with the rule sets it brings in (for a tooltip or a list)."""

    code: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class CaseSummary:
    key: str
    tlp: str
    tlp_floor_partner: str | None
    embargo_until: datetime | None
    reporter: str | None  # the credit name or handle; "pseudonymous" when not to be named
    reporter_pseudonymous: bool
    jurisdictions: tuple[str, ...]
    sharing: tuple[str, ...]


def jurisdictions(rules: RuleSet | None = None) -> list[Jurisdiction]:
    """Every code a case may be given: each jurisdiction and each rule set's own code."""
    rules = rules or builtin_rules()
    found: dict[str, list[str]] = {}
    for f in rules.files:
        if f.always:
            continue
        for code in {f.jurisdiction, f.code}:
            found.setdefault(code, []).append(f.name)
    return [Jurisdiction(code, tuple(names)) for code, names in sorted(found.items())]


def partner_names(session: Session) -> list[str]:
    """Every partner a case may be shared with, by name."""
    return list(session.scalars(select(Partner.name).order_by(Partner.name)))


def summary(session: Session, actor: Actor | None, key: str) -> CaseSummary:
    case = cases.get_case(session, key)
    reporter: str | None = None
    pseudonymous = False
    if case.reporter_id is not None and actor is not None:
        try:
            r = reporters.view(session, actor, case.reporter_id)
        except NotFound:
            r = None
        if r is not None:
            pseudonymous = not (r.consent_to_be_named and r.real_identity)
            reporter = r.credit_name or r.handle
    floor_partner = (
        session.get(Partner, case.tlp_floor_partner_id) if case.tlp_floor_partner_id else None
    )
    codes = session.scalars(
        select(CaseJurisdiction.code)
        .where(CaseJurisdiction.case_id == case.id)
        .order_by(CaseJurisdiction.code)
    )
    return CaseSummary(
        key=case.key,
        tlp=trust.case_tlp(case),
        tlp_floor_partner=floor_partner.name if floor_partner else None,
        embargo_until=trust.embargo_end(session, case),
        reporter=reporter,
        reporter_pseudonymous=pseudonymous,
        jurisdictions=tuple(codes),
        sharing=tuple(trust.sharing_list(session, case).values()),
    )


def open_case(
    session: Session,
    actor: Actor,
    title: str,
    description: str = "",
    *,
    tlp: str | None = None,
    codes: Sequence[str] = (),
    rules: RuleSet | None = None,
) -> str:
    """Open a case with its TLP and jurisdictions (each step audited); returns its key."""
    if not title.strip():
        raise UsageError(_("a case needs a title"))
    case = cases.create_case(session, actor, title.strip(), description)
    if tlp:
        trust.raise_tlp(session, actor, case.key, tlp)
    if codes:
        deadlines.set_jurisdictions(session, actor, case.key, list(codes), [], rules)
    return case.key
