"""Who is affected: deployments, organisations, sectors, countries, and users as a range.

Users low / likely / high come from stated assumptions, each given (``--assume``) or a
stated default, and every one is returned with the figures:

- ``vulnerable_share`` — share of matched deployments running the vulnerable configuration,
  ``LOW:LIKELY:HIGH`` or one number (default ``1``: every matched deployment);
- ``users_per_deployment`` — users assumed for a deployment whose inventory gives none,
  one number or ``LOW:LIKELY:HIGH`` (default: the median of the inventories' known counts).

low = confirmed users × share(low); likely = confirmed users × share(likely);
high = (confirmed + possibly affected users) × share(high), where "possibly affected"
deployments run an affected product in an unknown version. Figures round half up.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.advisories.drafting import seed_impact
from app.auditing import chain as audit
from app.casework.cases import get_case
from app.errors import AccordError, UsageError
from app.identity.actor import Actor
from app.impact import matching
from app.impact.inventory import Inventory, Item
from app.impact.matching import CONFIRMED, Target
from i18n import _, ngettext
from models import AffectedProduct, Case, ImpactEstimate, Vulnerability, utcnow

ASSUMPTION_KEYS = ("vulnerable_share", "users_per_deployment")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Triple:
    low: float
    likely: float
    high: float

    def text(self) -> str:
        return f"{_fmt(self.low)}:{_fmt(self.likely)}:{_fmt(self.high)}"


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def parse_triple(key: str, value: str, *, upper: float | None) -> Triple:
    parts = [p.strip().rstrip("%") for p in value.split(":")]
    try:
        nums = [float(p) / (100 if value.strip().endswith("%") else 1) for p in parts]
    except ValueError:
        raise UsageError(
            _("--assume {key}={value}: give a number or LOW:LIKELY:HIGH").format(
                key=key, value=value
            )
        ) from None
    if len(nums) == 1:
        nums = nums * 3
    if len(nums) != 3 or not nums[0] <= nums[1] <= nums[2] or nums[0] < 0:
        raise UsageError(
            _("--assume {key}={value}: need 0 <= LOW <= LIKELY <= HIGH").format(
                key=key, value=value
            )
        )
    if upper is not None and nums[2] > upper:
        raise UsageError(
            _("--assume {key}={value}: a share cannot exceed {upper}").format(
                key=key, value=value, upper=_fmt(upper)
            )
        )
    return Triple(*nums)


@dataclass
class _Deployment:
    deployment: str
    organisation: str
    sector: str
    country: str
    users: int | None
    match: str | None = None
    product: str = ""
    version: str = ""
    target: str = ""
    source: str = ""


def _group(inventories: Sequence[Inventory]) -> dict[tuple[str, str], _Deployment]:
    out: dict[tuple[str, str], _Deployment] = {}
    for inv in inventories:
        for item in inv.items:
            key = (item.organisation.casefold(), item.deployment.casefold())
            d = out.get(key)
            if d is None:
                d = out[key] = _Deployment(
                    item.deployment,
                    item.organisation,
                    item.sector or UNKNOWN,
                    item.country or UNKNOWN,
                    item.users,
                    source=item.source,
                )
            if item.users is not None:
                d.users = max(d.users or 0, item.users)
            if d.sector == UNKNOWN and item.sector:
                d.sector = item.sector
            if d.country == UNKNOWN and item.country:
                d.country = item.country
    return out


def compute(
    inventories: Sequence[Inventory],
    targets: Sequence[Target],
    assumptions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The estimate, as the JSON-able dict ``accord impact --json`` prints (pure; no DB)."""
    given = dict(assumptions or {})
    unknown = sorted(set(given) - set(ASSUMPTION_KEYS))
    if unknown:
        raise UsageError(
            _("unknown assumption {keys}; assumptions are: {known}").format(
                keys=", ".join(unknown), known=", ".join(ASSUMPTION_KEYS)
            )
        )
    deployments = _group(inventories)
    rank = {matching.HASH: 3, matching.VERSION: 2, matching.ANY_VERSION: 2, matching.POSSIBLE: 1}
    for inv in inventories:
        for item in inv.items:
            _apply(deployments, item, list(targets), rank)
    affected = [d for d in deployments.values() if d.match in CONFIRMED]
    possible = [d for d in deployments.values() if d.match == matching.POSSIBLE]

    share = parse_triple("vulnerable_share", given.get("vulnerable_share", "1"), upper=1.0)
    known_users = [d.users for d in deployments.values() if d.users is not None]
    default_upd = float(statistics.median(known_users)) if known_users else 0.0
    upd = parse_triple(
        "users_per_deployment", given.get("users_per_deployment", _fmt(default_upd)), upper=None
    )

    def users(group: list[_Deployment], fill: float) -> float:
        return float(sum(d.users if d.users is not None else fill for d in group))

    low = round_half_up(users(affected, upd.low) * share.low)
    likely = round_half_up(users(affected, upd.likely) * share.likely)
    high = round_half_up((users(affected, upd.high) + users(possible, upd.high)) * share.high)
    missing = sum(1 for d in affected + possible if d.users is None)
    stated = [
        {
            "key": "vulnerable_share",
            "value": share.text(),
            "source": "given" if "vulnerable_share" in given else "default",
            "statement": _(
                "Share of matched deployments running the vulnerable configuration: "
                "low {low}, likely {likely}, high {high}."
            ).format(low=_fmt(share.low), likely=_fmt(share.likely), high=_fmt(share.high)),
        },
        {
            "key": "users_per_deployment",
            "value": upd.text(),
            "source": "given" if "users_per_deployment" in given else "default",
            "statement": _(
                "Users assumed for each of the {n} matched deployments whose inventory gives "
                "no user count: low {low}, likely {likely}, high {high} (default: the median "
                "of the known counts)."
            ).format(n=missing, low=_fmt(upd.low), likely=_fmt(upd.likely), high=_fmt(upd.high)),
        },
        {
            "key": "unknown_version",
            "value": len(possible),
            "source": "inventory",
            "statement": ngettext(
                "{n} deployment runs an affected product in an unknown version; it counts "
                "in the high figure only.",
                "{n} deployments run an affected product in an unknown version; they count "
                "in the high figure only.",
                len(possible),
            ).format(n=len(possible)),
        },
    ]
    rows = sorted(affected + possible, key=lambda d: (d.organisation.casefold(), d.deployment))
    return {
        "affected_deployments": len(affected),
        "organisations": len({d.organisation.casefold() for d in affected}),
        "by_sector": dict(sorted(Counter(d.sector for d in affected).items())),
        "by_country": dict(sorted(Counter(d.country for d in affected).items())),
        "users": {"low": low, "likely": likely, "high": high},
        "assumptions": stated,
        "possibly_affected": len(possible),
        "deployments_seen": len(deployments),
        "deployments": [
            {
                "deployment": d.deployment,
                "organisation": d.organisation,
                "sector": d.sector,
                "country": d.country,
                "users": d.users,
                "product": d.product,
                "version": d.version,
                "affected_by": d.target,
                "match": d.match,
                "source": d.source,
            }
            for d in rows
        ],
        "inventories": [inv.summary() for inv in inventories],
    }


def _apply(
    deployments: dict[tuple[str, str], _Deployment],
    item: Item,
    targets: list[Target],
    rank: Mapping[str, int],
) -> None:
    found = matching.best(item, targets)
    if found is None:
        return
    how, target = found
    d = deployments[(item.organisation.casefold(), item.deployment.casefold())]
    if d.match is None or rank[how] > rank[d.match]:
        d.match, d.product, d.version, d.target = how, item.product, item.version, target.label


def targets_for(session: Session, case: Case) -> list[Target]:
    rows = session.scalars(
        select(AffectedProduct)
        .join(Vulnerability, AffectedProduct.vulnerability_id == Vulnerability.id)
        .where(Vulnerability.case_id == case.id)
        .order_by(AffectedProduct.id)
    ).all()
    return [
        Target(
            r.id,
            r.kind,
            r.name,
            r.vendor or "",
            r.version or "",
            r.version_range or "",
            r.hash or "",
            r.purl or "",
        )
        for r in rows
    ]


def estimate(
    session: Session,
    actor: Actor,
    case_key: str,
    inventories: Sequence[Inventory],
    assumptions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Match the inventories against the case's affected products and store the estimate."""
    case = get_case(session, case_key)
    if not inventories:
        raise UsageError(_("give at least one inventory"))
    targets = targets_for(session, case)
    if not targets:
        raise AccordError(
            _(
                "{key} has no affected models or systems recorded; add them before estimating "
                "impact"
            ).format(key=case.key)
        )
    result = compute(inventories, targets, assumptions)
    row = ImpactEstimate(
        case_id=case.id,
        analyst_id=actor.id or None,
        result=result,
        assumptions=result["assumptions"],
        inventories=result["inventories"],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "impact.estimate",
        "impact_estimate",
        row.id,
        case_key=case.key,
        details={
            "inventories": len(inventories),
            "affected_deployments": result["affected_deployments"],
            "organisations": result["organisations"],
            "users": result["users"],
        },
    )
    # The advisory draft shows who is affected; never over an analyst's own text.
    seed_impact(session, actor, case.key)
    return {"case": case.key, "estimate_id": row.id, "created_at": row.created_at, **result}
