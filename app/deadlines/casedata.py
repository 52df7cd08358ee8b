"""What a case carries for its obligations: duty-holder roles, the rule sets its obligations
came from (kept in the workspace and sent in bundles), and per-case period overrides.

Roles are the seam for the case-parties work: ``roles_of`` is all the engine reads, so a
party with roles can later feed it (write ``CaseRole`` rows, or be read here as well).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.lookup import get_case
from app.deadlines.rules import (
    COMPUTATIONS,
    DUTY_HOLDERS,
    THIS_CERT,
    RuleFile,
    RuleSet,
    parse_text,
)
from app.errors import AccordError, UsageError
from app.identity.actor import Actor
from i18n import _
from models import Case, CaseParty, CaseRole, CaseRuleSet, DeadlineOverride, RuleText, utcnow

# Roles ---------------------------------------------------------------------------------------


def roles_of(session: Session, case_id: int) -> dict[str, list[str]]:
    """Role -> the parties holding it on the case (``this-cert`` when the role is ours)."""
    out: dict[str, list[str]] = {}
    rows = session.execute(
        select(CaseRole.role, CaseRole.party)
        .where(CaseRole.case_id == case_id)
        .order_by(CaseRole.role, CaseRole.party)
    )
    for role, party in rows:
        out.setdefault(role, []).append(party)
    # A vendor party of the case makes the products it names: it is their manufacturer
    # (CRA Art. 3(13)) unless an analyst recorded the role for that vendor already.
    vendors = session.scalars(
        select(CaseParty.name)
        .where(CaseParty.case_id == case_id, CaseParty.kind == "vendor")
        .order_by(CaseParty.id)
    )
    holders = out.setdefault("manufacturer", [])
    for name in vendors:
        if name not in holders:
            holders.append(name)
    if not holders:
        del out["manufacturer"]
    return out


def parse_role(item: str) -> tuple[str, str]:
    """``manufacturer=Vendor X`` -> (role, party); a bare role has no party named."""
    role, _sep, party = item.partition("=")
    role = role.strip().lower()
    if role not in DUTY_HOLDERS or role == THIS_CERT:
        raise UsageError(
            _("unknown role {role}; roles are: {roles}").format(
                role=role, roles=", ".join(r for r in DUTY_HOLDERS if r != THIS_CERT)
            )
        )
    return role, party.strip()[:200]


def set_roles(
    session: Session,
    actor: Actor,
    key: str,
    add: Sequence[tuple[str, str]],
    remove: Sequence[tuple[str, str]],
) -> dict[str, list[str]]:
    """Record (or remove) the duty-holder roles present on a case; audited."""
    case = get_case(session, key)
    current = {
        (r.role, r.party): r
        for r in session.scalars(select(CaseRole).where(CaseRole.case_id == case.id))
    }
    for role, party in add:
        if (role, party) not in current:
            row = CaseRole(case_id=case.id, role=role, party=party, recorded_by_id=actor.id)
            session.add(row)
            current[(role, party)] = row
    for role, party in remove:
        gone = [k for k in current if k[0] == role and (not party or k[1] == party)]
        if not gone:
            raise UsageError(_("{key} has no role {role}").format(key=case.key, role=role))
        for k in gone:
            session.delete(current.pop(k))
    session.flush()
    audit.record(
        session, actor, "case.roles", "case", case.id, case_key=case.key,
        details={"added": [r for r, _p in add], "removed": [r for r, _p in remove]},
    )  # fmt: skip
    return roles_of(session, case.id)


# Per-case overrides --------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    amount: int | None
    computation: str | None
    reason: str


def overrides_of(session: Session, case_id: int) -> dict[str, Override]:
    rows = session.scalars(select(DeadlineOverride).where(DeadlineOverride.case_id == case_id))
    return {r.rule_id: Override(r.amount, r.computation, r.reason) for r in rows}


def set_override(
    session: Session,
    actor: Actor,
    key: str,
    rule_id: str,
    rules: RuleSet,
    *,
    amount: int | None,
    computation: str | None,
    reason: str,
    reset: bool = False,
) -> Override | None:
    """Change one rule's period on one case (amount on a programme's configurable rule; the
    computation on any rule), with a reason; audited. ``reset`` goes back to the rule."""
    case = get_case(session, key)
    rule = rules.rule(rule_id)
    row = session.scalar(
        select(DeadlineOverride).where(
            DeadlineOverride.case_id == case.id, DeadlineOverride.rule_id == rule_id
        )
    )
    if not reason.strip():
        raise UsageError(_("an override needs a reason"))
    if reset:
        if row is not None:
            session.delete(row)
        result = None
    else:
        if amount is None and computation is None:
            raise UsageError(_("give an amount or a computation"))
        if amount is not None and not rule.configurable:
            raise UsageError(
                _("rule {rule} is fixed by its source and cannot be configured").format(
                    rule=rule_id
                )
            )
        if amount is not None and amount < 0:
            raise UsageError(_("an offset cannot be negative"))
        if computation is not None and computation not in COMPUTATIONS:
            raise UsageError(
                _("unknown computation {name}; use {names}").format(
                    name=computation, names=", ".join(COMPUTATIONS)
                )
            )
        if row is None:
            row = DeadlineOverride(case_id=case.id, rule_id=rule_id, reason=reason)
            session.add(row)
        row.amount, row.computation, row.reason = amount, computation, reason.strip()
        row.recorded_by_id, row.recorded_at = actor.id, utcnow()
        result = Override(amount, computation, reason.strip())
    session.flush()
    audit.record(
        session, actor, "deadline.override", "case", case.id, case_key=case.key,
        details={"rule": rule_id, "amount": amount, "computation": computation, "reset": reset},
    )  # fmt: skip
    return result


# Rule sets kept with the case ---------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Where the rules under one code came from, as the case stored them."""

    code: str
    origin: str
    sha256: str
    loaded: bool  # False: evaluated from the copy kept with the case (file not loaded here)

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "origin": self.origin,
            "sha256": self.sha256,
            "loaded": self.loaded,
        }


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=128)
def _parsed(sha: str, text: str, origin: str) -> RuleFile:
    return parse_text(text, _("rules kept with the case ({sha})").format(sha=sha[:12]), origin)


def _keep_text(session: Session, sha: str, code: str, content: str) -> None:
    """Store a rule file's text under its SHA-256 unless it is there. On a team server two
    analysts may store the same text at once: the second insert fails in its own savepoint
    and the text is there all the same (same hash, same text)."""
    if session.get(RuleText, sha) is not None:
        return
    try:
        with session.begin_nested():
            session.add(RuleText(sha256=sha, code=code, content=content))
            session.flush()  # before the case's row that points at it (no ORM relationship)
    except IntegrityError:
        if session.get(RuleText, sha) is None:
            raise


def _store_text(session: Session, file: RuleFile) -> str:
    sha = file.sha256
    _keep_text(session, sha, file.code, file.text)
    return sha


def case_rules(
    session: Session, case: Case, rules: RuleSet, codes: Iterable[str]
) -> tuple[RuleSet, dict[str, Provenance]]:
    """The files a case's obligations come from: the loaded ones for its codes (their text
    kept with the case, so they survive a run without the team's folder) and, for a code no
    loaded file answers to, the copy the case kept (a partner's rule, a file gone since)."""
    codes = [c.strip().upper() for c in codes]
    loaded = rules.files_for(codes)
    kept = {
        r.code: r
        for r in session.scalars(select(CaseRuleSet).where(CaseRuleSet.case_id == case.id))
    }
    prov: dict[str, Provenance] = {}
    files = list(loaded)
    ids = {r.id for f in rules.files for r in f.rules}
    for f in loaded:
        if not f.text:
            continue
        row = kept.get(f.code)
        if row is None:
            row = CaseRuleSet(
                case_id=case.id, code=f.code, sha256=_store_text(session, f), origin=f.origin
            )
            session.add(row)
            kept[f.code] = row
        elif row.sha256 != f.sha256:
            # The loaded file changed (a newer built-in version, an edited team file): the
            # case follows it, and the copy kept with it follows too.
            row.sha256, row.origin, row.recorded_at = _store_text(session, f), f.origin, utcnow()
        prov[f.code] = Provenance(f.code, row.origin, row.sha256, True)
    loaded_codes = {f.code for f in loaded} | {f.code for f in rules.files}
    for code, row in kept.items():
        if code in loaded_codes:
            continue
        text = session.get(RuleText, row.sha256)
        if text is None:
            continue
        try:
            f = _parsed(row.sha256, text.content, row.origin)
        except AccordError:
            continue
        if not any(f.answers_to(c) for c in codes):
            continue
        fresh = tuple(r for r in f.rules if r.id not in ids)
        ids.update(r.id for r in fresh)
        files.append(_with_rules(f, fresh))
        prov[f.code] = Provenance(f.code, row.origin, row.sha256, False)
    return RuleSet(tuple(files)), prov


def _with_rules(f: RuleFile, rules: tuple[Any, ...]) -> RuleFile:
    from dataclasses import replace

    return replace(f, rules=rules)


def export_rule_sets(session: Session, case: Case) -> list[dict[str, str]]:
    """The case's kept rule sets for a bundle: code, origin, hash and the file's exact text."""
    out = []
    rows = session.scalars(
        select(CaseRuleSet).where(CaseRuleSet.case_id == case.id).order_by(CaseRuleSet.code)
    )
    for row in rows:
        text = session.get(RuleText, row.sha256)
        if text is not None:
            out.append(
                {
                    "code": row.code,
                    "origin": row.origin,
                    "sha256": row.sha256,
                    "content": text.content,
                }
            )
    return out


def import_rule_sets(session: Session, case: Case, items: Iterable[Any], partner: str) -> list[str]:
    """Keep a partner's rule sets with the case (never dropped): each is checked against its
    hash and the rules schema; a code the case already has keeps ours. Returns the codes kept."""
    kept = []
    have = set(session.scalars(select(CaseRuleSet.code).where(CaseRuleSet.case_id == case.id)))
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            continue
        content = item["content"]
        sha = sha256_of(content)
        if item.get("sha256") != sha:
            continue
        try:
            f = parse_text(content, f"{partner}: {item.get('code')}", "partner")
        except AccordError:
            continue
        if f.code in have:
            continue
        origin = _("partner {partner}: {origin}").format(
            partner=partner, origin=str(item.get("origin") or "")
        )[:300]
        _keep_text(session, sha, f.code, content)
        session.add(CaseRuleSet(case_id=case.id, code=f.code, sha256=sha, origin=origin))
        have.add(f.code)
        kept.append(f.code)
    session.flush()
    return kept
