"""Trust rules for exchange: a case's TLP floor, its embargo and its sharing list.

A case's TLP is the higher of its own label and the floor the most restrictive received
bundle set (remembered with the partner and bundle it came from). Nothing leaves below that
floor; while the embargo runs nothing is published, exported at TLP:CLEAR, sent outside the
sharing list (the partners linked to the case) or moved to ``disclosed``. A case at AMBER or
above goes only to its sharing list either, as TLP 2.0 allows no passing on beyond it.

Lowering the floor is a coordinator's recorded downgrade (with the originating partner's
consent when a partner set it); the embargo and sharing-list rules yield to a coordinator's
override with a reason. Both are audited. Every check returns ``Violation``s so the CLI, the
GUI and the tests see the same reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor, Permission
from app.tlp import TLP_ORDER as TLP_ORDER  # re-exported: callers name them here
from app.tlp import highest as highest
from app.tlp import rank as rank
from i18n import _
from models import Case, CaseFact, CasePartner, CaseStatus, Setting, utcnow

# Partner (the exchange models) loads where it is used: a command that checks a rule here
# should not declare those models for it.
if TYPE_CHECKING:
    from models import Partner

# From AMBER on, TLP 2.0 allows no sharing beyond the recipients (and their own organisation).
RESTRICTED_FROM = "AMBER"

FLOOR = "tlp-floor"
EMBARGO_CLEAR = "embargo-clear"
EMBARGO_PUBLISH = "embargo-publish"
EMBARGO_DISCLOSED = "embargo-disclosed"
SHARING_LIST = "sharing-list"
NAMESPACE = "namespace"
# Rules a coordinator may override with a reason; the floor moves only by a recorded
# downgrade, and a placeholder namespace is fixed, never overridden.
OVERRIDABLE = frozenset({EMBARGO_CLEAR, EMBARGO_PUBLISH, EMBARGO_DISCLOSED, SHARING_LIST})

# Hosts that name no real publisher (RFC 2606, RFC 6761, and the usual placeholders).
PLACEHOLDER_SUFFIXES = (".invalid", ".example", ".test", ".localhost", ".local", ".internal")
PLACEHOLDER_HOSTS = frozenset({"localhost", "example.com", "example.org", "example.net"})


def parse(tlp: str) -> str:
    label = tlp.strip().upper().removeprefix("TLP:")
    label = "CLEAR" if label == "WHITE" else label
    if label not in TLP_ORDER:
        raise UsageError(
            _("unknown TLP {tlp}; use one of {levels}").format(tlp=tlp, levels=", ".join(TLP_ORDER))
        )
    return label


def case_tlp(case: Case) -> str:
    """The case's TLP: its own label or the floor received bundles set, whichever is higher."""
    return highest(case.tlp, case.tlp_floor)


def embargo_end(session: Session, case: Case) -> datetime | None:
    """When the case's embargo ends (its own date or the ``embargo-until`` fact, the later)."""
    fact = session.scalar(
        select(CaseFact.at).where(CaseFact.case_id == case.id, CaseFact.name == "embargo-until")
    )
    dates = [d for d in (case.embargo_until, fact) if d is not None]
    return max(dates) if dates else None


def under_embargo(session: Session, case: Case, now: datetime | None = None) -> datetime | None:
    """The embargo's end when it has not yet passed, else None."""
    end = embargo_end(session, case)
    return end if end is not None and end > (now or utcnow()) else None


def sharing_list(session: Session, case: Case) -> dict[int, str]:
    """The partners the case is shared with: partner id → name."""
    from models import Partner

    rows = session.execute(
        select(Partner.id, Partner.name)
        .join(CasePartner, CasePartner.partner_id == Partner.id)
        .where(CasePartner.case_id == case.id)
        .order_by(Partner.name)
    ).all()
    return {int(i): str(n) for i, n in rows}


@dataclass(frozen=True)
class Violation:
    """One rule an action would break, with a reason fit for the user."""

    rule: str
    case: str
    message: str

    @property
    def overridable(self) -> bool:
        return self.rule in OVERRIDABLE

    def as_json(self) -> dict[str, object]:
        return {"rule": self.rule, "case": self.case, "message": self.message}


class TrustRefused(AccordError):
    """An action refused by the trust rules (exit code 1); carries every rule it broke."""

    def __init__(self, violations: Sequence[Violation], hint: str = ""):
        self.violations = tuple(violations)
        text = "; ".join(v.message for v in self.violations)
        super().__init__(f"{text} ({hint})" if hint else text)


@dataclass(frozen=True)
class TlpInfo:
    case: str
    tlp: str
    own: str
    floor: str | None
    floor_partner: str | None
    floor_bundle: str | None
    embargo_until: datetime | None
    sharing: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.case,
            "tlp": self.tlp,
            "own_tlp": self.own,
            "floor": self.floor,
            "floor_partner": self.floor_partner,
            "floor_bundle": self.floor_bundle,
            "embargo_until": self.embargo_until.isoformat() if self.embargo_until else None,
            "sharing_list": list(self.sharing),
        }


def _case(session: Session, key: str) -> Case:
    case = session.scalar(select(Case).where(Case.key == key.strip().upper()))
    if case is None:
        raise NotFound(_("no case {key}").format(key=key))
    return case


def _floor_partner(session: Session, case: Case) -> Partner | None:
    """The partner whose bundle set the case's TLP floor."""
    from models import Partner

    return session.get(Partner, case.tlp_floor_partner_id) if case.tlp_floor_partner_id else None


def info(session: Session, key: str) -> TlpInfo:
    case = _case(session, key)
    partner = _floor_partner(session, case)
    return TlpInfo(
        case.key,
        case_tlp(case),
        case.tlp,
        case.tlp_floor,
        partner.name if partner else None,
        case.tlp_floor_bundle,
        embargo_end(session, case),
        tuple(sharing_list(session, case).values()),
    )


def raise_tlp(session: Session, actor: Actor, key: str, level: str) -> TlpInfo:
    """Raise the case's own label (anyone may make a case more restrictive, never less)."""
    case = _case(session, key)
    label = parse(level)
    if rank(label) < rank(case_tlp(case)):
        raise AccordError(
            _(
                "{key} is TLP:{tlp}; lowering it is a coordinator's downgrade "
                "(case tlp {key} --downgrade {level} --reason …)"
            ).format(key=case.key, tlp=case_tlp(case), level=label)
        )
    if label != case.tlp:
        previous, case.tlp = case.tlp, label
        audit.record(
            session, actor, "case.tlp", "case", case.id, case_key=case.key,
            details={"from": previous, "to": label},
        )  # fmt: skip
    return info(session, case.key)


def downgrade(
    session: Session,
    actor: Actor,
    key: str,
    level: str,
    reason: str,
    partner_consent: str = "",
) -> TlpInfo:
    """A coordinator lowers the case's TLP (own label and received floor) with a reason; when
    a partner set the floor, that partner's consent is recorded too. Audited."""
    actor.require(Permission.OVERRIDE_TRUST)
    case = _case(session, key)
    label = parse(level)
    if not reason.strip():
        raise UsageError(_("a TLP downgrade needs a reason (--reason)"))
    partner = _floor_partner(session, case)
    from_partner = case.tlp_floor is not None and rank(label) < rank(case.tlp_floor)
    if from_partner and not partner_consent.strip():
        raise AccordError(
            _(
                "{key} is TLP:{floor} as received from {partner} in bundle {bundle}; record "
                "{partner}'s consent with --partner-consent"
            ).format(
                key=case.key,
                floor=case.tlp_floor,
                partner=partner.name if partner else _("a partner"),
                bundle=case.tlp_floor_bundle or "?",
            )
        )
    before = case_tlp(case)
    details: dict[str, object] = {
        "from": before,
        "own_from": case.tlp,
        "floor_from": case.tlp_floor,
        "to": label,
        "reason": reason.strip(),
    }
    if from_partner:
        details.update(
            partner=partner.id if partner else None,
            bundle=case.tlp_floor_bundle,
            partner_consent=partner_consent.strip(),
        )
    case.tlp = label
    if case.tlp_floor is not None and rank(label) < rank(case.tlp_floor):
        case.tlp_floor = label
    audit.record(
        session, actor, "case.tlp.downgrade", "case", case.id, case_key=case.key, details=details
    )
    return info(session, case.key)


def share(session: Session, actor: Actor, key: str, partner_name: str, remove: bool) -> TlpInfo:
    """Add a partner to (or take it off) the case's sharing list; coordinators only, audited."""
    from models import Partner

    actor.require(Permission.EXPORT)
    case = _case(session, key)
    partner = session.scalar(select(Partner).where(Partner.name == partner_name.strip()))
    if partner is None:
        raise NotFound(_("no partner named {name}").format(name=partner_name))
    link = session.scalar(
        select(CasePartner).where(
            CasePartner.case_id == case.id, CasePartner.partner_id == partner.id
        )
    )
    names = [n for n in case.partners_label.split(", ") if n]
    if remove and link is not None:
        session.delete(link)
        case.partners_label = ", ".join(n for n in names if n != partner.name)[:500]
    elif not remove and link is None:
        session.add(CasePartner(case_id=case.id, partner_id=partner.id))
        if partner.name not in names:
            case.partners_label = ", ".join([*names, partner.name])[:500]
    else:
        return info(session, case.key)
    session.flush()
    audit.record(
        session, actor, "case.unshare" if remove else "case.share", "case", case.id,
        case_key=case.key, details={"partner": partner.id},
    )  # fmt: skip
    return info(session, case.key)


def receive(
    session: Session,
    actor: Actor,
    case: Case,
    *,
    tlp: str,
    embargo_until: datetime | None,
    partner: Partner,
    bundle_id: str,
) -> None:
    """A partner's bundle brought ``case`` at ``tlp``: raise the floor (remembering who set it)
    and keep the later embargo. Audited when either changes."""
    details: dict[str, object] = {"partner": partner.id, "bundle": bundle_id}
    label = highest(tlp)
    if rank(label) > rank(case.tlp_floor or "CLEAR"):
        details.update(floor_from=case.tlp_floor, floor=label)
        case.tlp_floor, case.tlp_floor_partner_id, case.tlp_floor_bundle = (
            label,
            partner.id,
            bundle_id[:64],
        )
    current = embargo_end(session, case)
    if embargo_until is not None and (current is None or embargo_until > current):
        details.update(embargo_from=current.isoformat() if current else None)
        details.update(embargo_until=embargo_until.isoformat())
        case.embargo_until = embargo_until
        fact = session.scalar(
            select(CaseFact).where(CaseFact.case_id == case.id, CaseFact.name == "embargo-until")
        )
        if fact is not None:
            fact.at = embargo_until
    if len(details) > 2:
        audit.record(
            session, actor, "case.trust.received", "case", case.id, case_key=case.key,
            details=details,
        )  # fmt: skip


def export_violations(
    session: Session,
    case_rows: Sequence[Case],
    recipients: Sequence[Partner],
    tlp: str,
    now: datetime | None = None,
) -> list[Violation]:
    """Why a bundle of ``case_rows`` at ``tlp`` may not go to ``recipients`` (empty: it may)."""
    out: list[Violation] = []
    for case in case_rows:
        level = case_tlp(case)
        if rank(tlp) < rank(level):
            out.append(Violation(FLOOR, case.key, _floor_message(session, case, tlp)))
        end = under_embargo(session, case, now)
        if end is not None and rank(tlp) == 0:
            out.append(
                Violation(
                    EMBARGO_CLEAR,
                    case.key,
                    _("{key} is under embargo until {end}; it may not leave at TLP:CLEAR").format(
                        key=case.key, end=end.isoformat()
                    ),
                )
            )
        if end is not None or rank(level) >= rank(RESTRICTED_FROM):
            listed = sharing_list(session, case)
            outside = sorted(p.name for p in recipients if p.id not in listed)
            if outside:
                why = (
                    _("under embargo until {end}").format(end=end.isoformat())
                    if end is not None
                    else _("TLP:{tlp}").format(tlp=level)
                )
                out.append(
                    Violation(
                        SHARING_LIST,
                        case.key,
                        _("{key} is {why} and {names} not on its sharing list ({listed})").format(
                            key=case.key,
                            why=why,
                            names=", ".join(outside),
                            listed=", ".join(listed.values()) or _("empty"),
                        ),
                    )
                )
    return out


def _floor_message(session: Session, case: Case, tlp: str) -> str:
    level = case_tlp(case)
    if case.tlp_floor is not None and rank(case.tlp_floor) >= rank(case.tlp):
        partner = _floor_partner(session, case)
        return _(
            "{key} is TLP:{floor} as received from {partner} in bundle {bundle}; it may not "
            "leave at TLP:{tlp} unless a coordinator records a downgrade with that partner's "
            "consent"
        ).format(
            key=case.key,
            floor=level,
            partner=partner.name if partner else _("a partner"),
            bundle=case.tlp_floor_bundle or "?",
            tlp=tlp,
        )
    return _(
        "{key} is TLP:{floor}; it may not leave at TLP:{tlp} unless a coordinator records a "
        "downgrade"
    ).format(key=case.key, floor=level, tlp=tlp)


def advisory_violations(
    session: Session,
    case: Case,
    advisory_tlp: str,
    *,
    publish: bool,
    namespace: str | None = None,
    now: datetime | None = None,
) -> list[Violation]:
    """Why the case's advisory may not be exported (or, with ``publish``, published)."""
    out: list[Violation] = []
    if rank(advisory_tlp) < rank(case_tlp(case)):
        out.append(Violation(FLOOR, case.key, _floor_message(session, case, advisory_tlp)))
    end = under_embargo(session, case, now)
    if end is not None and publish:
        out.append(
            Violation(
                EMBARGO_PUBLISH,
                case.key,
                _("{key} is under embargo until {end}; its advisory may not be published").format(
                    key=case.key, end=end.isoformat()
                ),
            )
        )
    elif end is not None and rank(advisory_tlp) == 0:
        out.append(
            Violation(
                EMBARGO_CLEAR,
                case.key,
                _(
                    "{key} is under embargo until {end}; its advisory may not leave at TLP:CLEAR"
                ).format(key=case.key, end=end.isoformat()),
            )
        )
    if publish:
        problem = namespace_problem(namespace or "")
        if problem:
            out.append(Violation(NAMESPACE, case.key, problem))
    return out


def transition_violations(
    session: Session, case: Case, target: CaseStatus, now: datetime | None = None
) -> list[Violation]:
    """Why ``case`` may not move to ``target`` yet (only ``disclosed`` waits for the embargo)."""
    if target != CaseStatus.DISCLOSED:
        return []
    end = under_embargo(session, case, now)
    if end is None:
        return []
    return [
        Violation(
            EMBARGO_DISCLOSED,
            case.key,
            _("{key} is under embargo until {end}; it may not be disclosed before").format(
                key=case.key, end=end.isoformat()
            ),
        )
    ]


def configured_namespace(session: Session) -> str:
    """The publisher namespace a coordinator set (``advisory namespace``), or ""."""
    row = session.get(Setting, "org.namespace")
    return str(row.value) if row is not None and row.value else ""


def namespace_problem(url: str) -> str | None:
    """Why ``url`` is no real publisher namespace (https, a public host name), or None."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    if not url.strip():
        return _(
            "no publisher namespace is set; a coordinator sets the organisation's with "
            "advisory namespace URL"
        )
    if parts.scheme != "https" or not host:
        return _("the publisher namespace must be an https:// URL, not {url}").format(url=url)
    labels = host.split(".")
    if (
        host in PLACEHOLDER_HOSTS
        or host.endswith(PLACEHOLDER_SUFFIXES)
        or "example" in labels
        or len(labels) < 2
        or all(c.isdigit() or c in ".:" for c in host)
    ):
        return _(
            "the publisher namespace {url} is a placeholder; set the organisation's real one "
            "(advisory namespace URL)"
        ).format(url=url)
    return None


def check(actor: Actor, violations: Sequence[Violation], override: str | None) -> None:
    """``enforce`` without recording anything (for previews): raise unless nothing is broken
    or a coordinator's reason may set every broken rule aside."""
    if not violations:
        return
    hard = [v for v in violations if not v.overridable]
    if hard:
        raise TrustRefused(hard)
    if not (override or "").strip():
        raise TrustRefused(violations, _("a coordinator may override this with --override REASON"))
    actor.require(Permission.OVERRIDE_TRUST)


def enforce(
    session: Session,
    actor: Actor,
    violations: Sequence[Violation],
    override: str | None,
    *,
    action: str,
    entity: str,
    entity_id: object,
    case_key: str | None = None,
) -> None:
    """Refuse when rules are broken, unless every broken rule may be overridden and a
    coordinator gave a reason: that override is audited with the rules it set aside."""
    if not violations:
        return
    check(actor, violations, override)
    audit.record(
        session, actor, "trust.override", entity, entity_id, case_key=case_key,
        details={
            "action": action,
            "reason": (override or "").strip(),
            "rules": [v.as_json() for v in violations],
        },
    )  # fmt: skip
