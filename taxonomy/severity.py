"""Evaluate the shared severity model: CVSS + AI factors + sector → points → tier, SSVC → floor.

Deterministic and data-driven: the same inputs and the same model id/version give the same
result on every partner's machine. The rationale for each step is in resources/severity/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from taxonomy import ai, ssvc
from taxonomy.cvss_scores import CvssResult, parse
from taxonomy.model import SeverityModel, default_model
from taxonomy.ssvc import Decision as SsvcDecision


class InputError(ValueError):
    """An input the model does not accept; ``field`` names it and the message lists choices."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Inputs:
    """What an analyst gives the model. Every AI factor is optional. ``ssvc`` answers one
    table (``ssvc_table``, default the model's); ``ssvc_more`` answers further tables as
    ``(table, answers)``: at most one of all tables may feed the tier, the model's
    recorded-only tables (the coordinator's) are decided and recorded alongside."""

    cvss: str
    ssvc: Mapping[str, str] = field(default_factory=dict)
    ssvc_table: str | None = None
    ssvc_more: tuple[tuple[str, Mapping[str, str]], ...] = ()
    access: str | None = None
    success_k: int | None = None
    success_n: int | None = None
    transferability: str | None = None
    harm_type: str | None = None
    ai_class: str | None = None
    sector: str = "general"


@dataclass(frozen=True)
class Move:
    """One input's effect on the points; ``factor`` is the model key, ``label`` plain language."""

    factor: str
    value: str
    label: str
    points: float
    note: str = ""


@dataclass(frozen=True)
class Result:
    """The outcome of one evaluation; ``as_dict`` is the form stored with an assessment."""

    model: str
    tier: str
    cvss: CvssResult
    points: float
    points_tier: str
    moves: tuple[Move, ...]
    raw_adjustment: float
    adjustment: float
    ssvc: ssvc.Decision | None
    floor: str | None
    sla_hours: int
    sla_source: str
    harm_from_class: bool = False
    recorded: tuple[SsvcDecision, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tier": self.tier,
            "points": self.points,
            "points_tier": self.points_tier,
            "adjustment": self.adjustment,
            "raw_adjustment": self.raw_adjustment,
            "moves": [m.__dict__.copy() for m in self.moves],
            "ssvc": self.ssvc.as_dict() if self.ssvc else None,
            "ssvc_recorded": [d.as_dict() for d in self.recorded],
            "ssvc_floor": self.floor,
            "sla_hours": self.sla_hours,
            "sla_source": self.sla_source,
            "cvss": self.cvss.as_dict(),
        }


def wilson_lower_bound(k: int, n: int, z: float) -> float:
    """Lower end of the Wilson score interval for k successes in n trials."""
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def _choice(model: SeverityModel, factor: str, value: str) -> Move:
    spec = model.factor(factor)
    if value not in spec["values"]:
        allowed = ", ".join(spec["values"])
        raise InputError(factor, f"{spec['label']}: unknown value {value!r}; allowed: {allowed}")
    chosen = spec["values"][value]
    return Move(factor, value, chosen["label"], float(chosen["points"]))


def _success(model: SeverityModel, k: int | None, n: int | None) -> Move | None:
    if k is None and n is None:
        return None
    if k is None or n is None or n <= 0 or k < 0 or k > n:
        raise InputError(
            "success_rate", "success rate must be k of n trials with 0 <= k <= n, n > 0"
        )
    spec = model.factor("success_rate")
    value = f"{k}/{n}"
    if k == 0:
        zero = spec["zero_successes"]
        return Move("success_rate", value, zero["label"], float(zero["points"]))
    lower = wilson_lower_bound(k, n, float(spec["z"]))
    for band in spec["bands"]:
        if lower >= band["min_lower_bound"]:
            note = f"lower bound {lower:.2f}"
            return Move("success_rate", value, band["label"], float(band["points"]), note)
    raise AssertionError("the model's last band starts at 0")  # pragma: no cover


def _harm_from_class(model: SeverityModel, entry_id: str) -> str | None:
    defaults: dict[str, str] = model.factor("ai_class")["default_harm"]
    if entry_id in defaults:
        return defaults[entry_id]
    for owasp in ai.atlas_to_owasp(entry_id):
        if owasp in defaults:
            return defaults[owasp]
    return None


def _tier_for(model: SeverityModel, points: float) -> str:
    for tier in model.tiers:
        if points >= tier["min_points"]:
            return str(tier["name"])
    return model.tier_names()[-1]  # pragma: no cover - the last tier starts at 0


def evaluate(inputs: Inputs, model: SeverityModel | None = None) -> Result:
    """Apply ``model`` (default: the shipped accord-severity 1.0) to ``inputs``."""
    model = model or default_model()
    cvss = parse(inputs.cvss)
    moves: list[Move] = []
    if inputs.access is not None:
        moves.append(_choice(model, "access", inputs.access))
    success = _success(model, inputs.success_k, inputs.success_n)
    if success is not None:
        moves.append(success)
    if inputs.transferability is not None:
        moves.append(_choice(model, "transferability", inputs.transferability))
    harm = inputs.harm_type
    harm_from_class = False
    if inputs.ai_class is not None:
        try:
            entry = ai.lookup(inputs.ai_class)
        except ai.TaxonomyError as exc:
            raise InputError("ai_class", str(exc)) from exc
        if harm is None:
            harm = _harm_from_class(model, entry.id)
            harm_from_class = harm is not None
    if harm is not None:
        move = _choice(model, "harm_type", harm)
        note = f"from AI class {inputs.ai_class}" if harm_from_class else ""
        moves.append(Move(move.factor, move.value, move.label, move.points, note))
    sectors = model.data["sectors"]
    if inputs.sector not in sectors:
        raise InputError(
            "sector", f"unknown sector {inputs.sector!r}; allowed: {', '.join(sectors)}"
        )
    overlay = sectors[inputs.sector]
    if overlay["points"]:
        moves.append(Move("sector", inputs.sector, overlay["label"], float(overlay["points"])))
    if harm is not None and harm in overlay.get("harm_points", {}):
        extra = float(overlay["harm_points"][harm])
        moves.append(Move("sector_harm", f"{inputs.sector}+{harm}", overlay["label"], extra))
    raw = round(sum(m.points for m in moves), 2)
    limits = model.data["adjustment_limits"]
    adjustment = min(max(raw, float(limits["min"])), float(limits["max"]))
    points = round(min(max(cvss.score + adjustment, 0.0), 10.0), 2)
    points_tier = _tier_for(model, points)
    feeding, recorded = _decide_ssvc(model, inputs)
    decision, floor, tier = _apply_ssvc(model, feeding, points_tier)
    sla, sla_source = _sla(model, tier, decision)
    return Result(
        model=model.ref, tier=tier, cvss=cvss, points=points, points_tier=points_tier,
        moves=tuple(moves), raw_adjustment=raw, adjustment=adjustment, ssvc=decision,
        floor=floor, sla_hours=sla, sla_source=sla_source, harm_from_class=harm_from_class,
        recorded=recorded,
    )  # fmt: skip


def _decide_ssvc(
    model: SeverityModel, inputs: Inputs
) -> tuple[ssvc.Decision | None, tuple[ssvc.Decision, ...]]:
    """Decide every table answered: the one feeding the tier (if any) and the recorded ones."""
    groups: list[tuple[str, Mapping[str, str]]] = []
    if inputs.ssvc:
        groups.append((inputs.ssvc_table or model.data["ssvc"]["default_table"], inputs.ssvc))
    groups += inputs.ssvc_more
    feeding: ssvc.Decision | None = None
    recorded: list[ssvc.Decision] = []
    seen: set[str] = set()
    for name, answers in groups:
        try:
            table_name = ssvc.table(name).cli_name
        except ssvc.SsvcError as exc:
            raise InputError("ssvc_table", str(exc)) from exc
        try:
            decision = ssvc.evaluate(table_name, answers)
        except ssvc.SsvcError as exc:
            raise InputError("ssvc", str(exc)) from exc
        if table_name in seen:
            raise InputError("ssvc_table", f"SSVC table {table_name} answered twice")
        seen.add(table_name)
        if table_name in model.tier_tables():
            if feeding is not None:
                raise InputError(
                    "ssvc_table",
                    f"only one SSVC table sets the tier; got {ssvc.table(feeding.table).cli_name}"
                    f" and {table_name}",
                )
            feeding = decision
        elif table_name in model.recorded_tables():
            recorded.append(decision)
        else:
            raise InputError("ssvc_table", _tables_text(model, table_name))
    return feeding, tuple(recorded)


def _tables_text(model: SeverityModel, table_name: str) -> str:
    text = f"the model uses SSVC tables {', '.join(model.tier_tables())}"
    if model.recorded_tables():
        text += f" and records {', '.join(model.recorded_tables())}"
    return f"{text}, not {table_name!r}"


def _apply_ssvc(
    model: SeverityModel, decision: ssvc.Decision | None, tier: str
) -> tuple[ssvc.Decision | None, str | None, str]:
    if decision is None:
        return None, None, tier
    table_name = ssvc.table(decision.table).cli_name
    floor = model.data["ssvc"]["tables"][table_name][decision.decision]["floor"]
    names = model.tier_names()
    if floor is not None and names.index(floor) < names.index(tier):
        return decision, floor, floor
    return decision, None, tier


def _sla(model: SeverityModel, tier: str, decision: ssvc.Decision | None) -> tuple[int, str]:
    hours = int(next(t["sla_hours"] for t in model.tiers if t["name"] == tier))
    source = "tier"
    if decision is not None:
        table_name = ssvc.table(decision.table).cli_name
        rule = model.data["ssvc"]["tables"][table_name][decision.decision]
        if rule["sla_hours"] is not None and rule["sla_hours"] < hours:
            hours, source = int(rule["sla_hours"]), "ssvc"
    return hours, source
