"""Severity use cases for the CLI and the GUI: score vectors, decide SSVC, list the taxonomy,
evaluate the shared model and store assessments (history kept, never overwritten)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from app.errors import AccordError, UsageError
from i18n import N_, _
from i18n.data import severity_text
from i18n.labels import tier_label
from taxonomy import ai, ssvc
from taxonomy.cvss_scores import CvssError, parse, split_vector
from taxonomy.model import ModelError, SeverityModel, default_model, model_for
from taxonomy.severity import InputError, Inputs, Move, Result
from taxonomy.severity import evaluate as evaluate_model

# Scoring, SSVC and the taxonomy need no database: `accord score` must not pay for SQLAlchemy
# and the models, so only assess() and history() import them.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.identity.actor import Actor

AI_KEYS = {
    "access": "access",
    "success": "success",
    "success-rate": "success",
    "transferability": "transferability",
    "harm": "harm_type",
    "harm-type": "harm_type",
    "harm_type": "harm_type",
    "class": "ai_class",
    "ai-class": "ai_class",
    "ai_class": "ai_class",
}
FACTOR_NAMES = {
    "access": N_("access needed"),
    "success_rate": N_("measured success rate"),
    "transferability": N_("transferability"),
    "harm_type": N_("harm type"),
    "sector": N_("sector"),
    "sector_harm": N_("sector overlay for this harm"),
}


def score_vector(vector: str) -> dict[str, Any]:
    """Score one CVSS 3.0/3.1/4.0 vector; AccordError names the bad metric or value."""
    try:
        return parse(vector).as_dict()
    except CvssError as exc:
        raise AccordError(str(exc)) from exc


def score_line(vector: str) -> dict[str, Any]:
    """Like score_vector but never raises: a bad vector gives ``{"vector", "error"}``."""
    try:
        return parse(vector).as_dict()
    except CvssError as exc:
        return {"vector": vector, "error": str(exc)}


def split_pairs(pairs: Iterable[str], what: str) -> dict[str, str]:
    """``["E=A", "A=Y"]`` → ``{"E": "A", "A": "Y"}``; UsageError on a malformed pair."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(
                _("{what}: expected KEY=VALUE, got '{pair}'").format(what=what, pair=pair)
            )
        if key.strip() in result:
            raise UsageError(_("{what}: {key} given twice").format(what=what, key=key.strip()))
        result[key.strip()] = value.strip()
    return result


def decide_ssvc(table_name: str, pairs: Sequence[str]) -> dict[str, Any]:
    """Evaluate an SSVC table from ``KEY=VALUE`` pairs."""
    try:
        return ssvc.evaluate(table_name, split_pairs(pairs, "ssvc")).as_dict()
    except ssvc.SsvcError as exc:
        raise AccordError(str(exc)) from exc


def taxonomy_list(name: str) -> list[dict[str, Any]]:
    """One taxonomy list as ``[{"id", "name", ...}]``."""
    try:
        return [entry.as_dict() for entry in ai.entries(name)]
    except ai.TaxonomyError as exc:
        raise UsageError(str(exc)) from exc


def build_inputs(
    cvss: str,
    ssvc_pairs: Sequence[str] = (),
    ai_pairs: Sequence[str] = (),
    sector: str | None = None,
    ssvc_groups: Sequence[Sequence[str]] = (),
) -> Inputs:
    """Model inputs from CLI-style strings. ``--ssvc table=deployer`` picks another table;
    ``ssvc_groups`` answer more tables, one ``--ssvc table=NAME K=V…`` each (the
    coordinator's triage and publication decisions, recorded beside the tier's)."""
    decision_points = split_pairs(ssvc_pairs, "--ssvc")
    table = decision_points.pop("table", None)
    more: list[tuple[str, dict[str, str]]] = []
    for group in ssvc_groups:
        answers = split_pairs(group, "--ssvc")
        name = answers.pop("table", None)
        if name is None:
            raise UsageError(_("--ssvc: each further table needs table=NAME"))
        more.append((name, answers))
    factors: dict[str, Any] = {}
    for key, value in split_pairs(ai_pairs, "--ai").items():
        name = AI_KEYS.get(key.lower())
        if name is None:
            allowed = "access, success=K/N, transferability, harm, class"
            raise UsageError(
                _("--ai: unknown factor {key}; allowed: {allowed}").format(key=key, allowed=allowed)
            )
        factors[name] = value
    success = factors.pop("success", None)
    if success is not None:
        k, sep, n = success.partition("/")
        if not sep or not k.strip().isdigit() or not n.strip().isdigit():
            raise UsageError(_("--ai success: expected K/N, e.g. success=7/10"))
        factors["success_k"], factors["success_n"] = int(k), int(n)
    return Inputs(
        cvss=cvss, ssvc=decision_points, ssvc_table=table, ssvc_more=tuple(more),
        sector=sector or "general", **factors,
    )  # fmt: skip


def evaluate(inputs: Inputs, model: SeverityModel | None = None) -> dict[str, Any]:
    """Apply the shared model; the result names the model, tier, SSVC decision, SLA and why."""
    result = _run(inputs, model)
    return summary(result)


def _run(inputs: Inputs, model: SeverityModel | None) -> Result:
    try:
        return evaluate_model(inputs, model)
    except CvssError as exc:
        raise AccordError(_("--cvss: {error}").format(error=exc)) from exc
    except InputError as exc:
        raise AccordError(str(exc)) from exc
    except ModelError as exc:
        raise AccordError(str(exc)) from exc


def summary(result: Result) -> dict[str, Any]:
    """The public shape printed by ``accord assess``."""
    return {
        "tier": result.tier,
        "ssvc_decision": result.ssvc.decision if result.ssvc else None,
        "sla_hours": result.sla_hours,
        "explanation": explain(result),
        "model": result.model,
        "cvss": result.cvss.as_dict(),
        "ssvc": result.ssvc.as_dict() if result.ssvc else None,
        "ssvc_recorded": [d.as_dict() for d in result.recorded],
        "points": result.points,
        "moves": [dict(m.__dict__) for m in result.moves],
    }


def _note(move: Move) -> str:
    """A move's note in the reader's language; the taxonomy writes it in English, as the
    ``moves`` of ``--json`` keep it."""
    for prefix, text in (
        ("lower bound ", N_("lower bound {value}")),
        ("from AI class ", N_("from AI class {value}")),
    ):
        if move.note.startswith(prefix):
            return _(text).format(value=move.note.removeprefix(prefix))
    return move.note


def explain(result: Result, model: SeverityModel | None = None) -> str:
    """Plain language: the starting point, each input that moved it, floors, the SLA. The
    model's labels and tiers are in the reader's language; CVSS severities and SSVC decisions
    keep their specifications' names."""
    cvss = result.cvss
    parts = [
        _("CVSS {version} score {score} ({severity}) is the starting point.").format(
            version=cvss.version, score=cvss.score, severity=cvss.severity
        )
    ]
    for sign, title in ((1, _("Raised by")), (-1, _("Lowered by"))):
        moved = [m for m in result.moves if m.points * sign > 0]
        if moved:
            items = "; ".join(
                _("{factor} {value}: {label} ({points:+.1f})").format(
                    factor=_(FACTOR_NAMES.get(m.factor, m.factor)), value=m.value,
                    label=severity_text(m.label), points=m.points,
                ) + (f" [{_note(m)}]" if m.note else "")
                for m in moved
            )  # fmt: skip
            parts.append(f"{title}: {items}.")
    if not any(m.points for m in result.moves):
        parts.append(_("No AI factor or sector moved the score."))
    if result.adjustment != result.raw_adjustment:
        parts.append(
            _("The adjustments total {raw:+.1f}, limited by the model to {used:+.1f}.").format(
                raw=result.raw_adjustment, used=result.adjustment
            )
        )
    parts.append(
        _("{points} points give the tier {tier}.").format(
            points=result.points, tier=tier_label(result.points_tier)
        )
    )
    if result.ssvc is not None:
        if result.floor:
            text = _("The SSVC decision {decision} ({table}) raised the tier to {tier}.")
        else:
            text = _("The SSVC decision is {decision} ({table}); it did not change the tier.")
        parts.append(
            text.format(
                decision=result.ssvc.decision, table=result.ssvc.table, tier=tier_label(result.tier)
            )
        )
    for decision in result.recorded:
        parts.append(
            _("Recorded: the {table} decision {decision}; it does not set the tier.").format(
                table=ssvc.table(decision.table).name, decision=decision.decision
            )
        )
    source = _("the SSVC decision") if result.sla_source == "ssvc" else _("the tier")
    parts.append(
        _("Respond within {hours} hours (set by {source}).").format(
            hours=result.sla_hours, source=source
        )
    )
    return " ".join(parts)


def assess(
    session: Session,
    actor: Actor,
    case_key: str,
    inputs: Inputs,
    *,
    rationale: str = "",
    model: SeverityModel | None = None,
) -> dict[str, Any]:
    """Evaluate and store a new Assessment for a case (earlier ones are kept), update the
    case's denormalised tier for the queue, and audit it."""
    from app.auditing import chain as audit
    from app.casework.cases import TIER_RANK, get_case
    from models import Assessment

    model = model or _default_model()
    result = _run(inputs, model)
    case = get_case(session, case_key)
    data = summary(result)
    row = Assessment(
        case_id=case.id, model_id=model.id, model_version=model.version,
        cvss_version=result.cvss.version, cvss_vector=result.cvss.vector,
        cvss_score=result.cvss.score, cvss_severity=result.cvss.severity,
        ssvc_table=result.ssvc.table if result.ssvc else None,
        ssvc_inputs=dict(result.ssvc.inputs) if result.ssvc else {},
        ssvc_decision=result.ssvc.decision if result.ssvc else None,
        ssvc_recorded=data["ssvc_recorded"], ai_factors=_ai_factors(inputs),
        sector=inputs.sector, tier=result.tier,
        sla_hours=result.sla_hours, explanation=data["explanation"], rationale=rationale,
        analyst_id=actor.id,
    )  # fmt: skip
    session.add(row)
    previous = case.tier
    case.tier = result.tier
    case.tier_rank = TIER_RANK.get(result.tier, 0)
    session.flush()
    audit.record(
        session, actor, "assessment.create", "assessment", row.id, case_key=case.key,
        details={"model": model.ref, "tier": result.tier, "previous_tier": previous},
    )  # fmt: skip
    data["id"] = row.id
    data["case"] = case.key
    return data


def _default_model() -> SeverityModel:
    try:
        return default_model()
    except ModelError as exc:
        raise AccordError(str(exc)) from exc


def _ai_factors(inputs: Inputs) -> dict[str, Any]:
    factors: dict[str, Any] = {
        "access": inputs.access,
        "transferability": inputs.transferability,
        "harm_type": inputs.harm_type,
        "ai_class": inputs.ai_class,
    }
    if inputs.success_n is not None:
        factors["success"] = {"k": inputs.success_k, "n": inputs.success_n}
    return {k: v for k, v in factors.items() if v is not None}


def history(session: Session, case_key: str) -> list[dict[str, Any]]:
    """A case's assessments, oldest first, with who, when, and the model they used."""
    from sqlalchemy import select

    from app.casework.cases import get_case
    from models import Analyst, Assessment

    case = get_case(session, case_key)
    rows = session.execute(
        select(Assessment, Analyst.name)
        .outerjoin(Analyst, Analyst.id == Assessment.analyst_id)
        .where(Assessment.case_id == case.id)
        .order_by(Assessment.created_at, Assessment.id)
    ).all()
    return [
        {
            "id": a.id, "at": a.created_at.isoformat(), "analyst": name,
            "model": f"{a.model_id}/{a.model_version}", "tier": a.tier,
            "cvss_vector": a.cvss_vector, "cvss_score": a.cvss_score,
            "ssvc_table": a.ssvc_table, "ssvc_inputs": a.ssvc_inputs,
            "ssvc_decision": a.ssvc_decision, "ssvc_recorded": list(a.ssvc_recorded or []),
            "ai_factors": a.ai_factors, "sector": a.sector,
            "sla_hours": a.sla_hours, "explanation": a.explanation, "rationale": a.rationale,
        }
        for a, name in rows
    ]  # fmt: skip


def changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two ``history`` rows: ``[{"field", "from", "to"}]``. A CVSS vector
    of the same version is compared metric by metric (field ``cvss:AV`` …), SSVC inputs and AI
    factors key by key (``ssvc:E``, ``ai:access``), recorded SSVC tables by decision and
    input (``ssvc[coordinator-triage]``, ``ssvc[coordinator-triage]:PSI``); the first
    assessment changes nothing."""
    if previous is None:
        return []
    result: list[dict[str, Any]] = []

    def add(name: str, old: Any, new: Any) -> None:
        if old != new:
            result.append({"field": name, "from": old, "to": new})

    add("tier", previous.get("tier"), current.get("tier"))
    old_vec, new_vec = previous.get("cvss_vector") or "", current.get("cvss_vector") or ""
    try:
        old_version, old_metrics = split_vector(old_vec)
        new_version, new_metrics = split_vector(new_vec)
    except CvssError:
        old_version, new_version, old_metrics, new_metrics = "", "?", {}, {}
    if old_version == new_version:
        for metric in dict.fromkeys([*old_metrics, *new_metrics]):
            add(f"cvss:{metric}", old_metrics.get(metric), new_metrics.get(metric))
    else:
        add("cvss_vector", old_vec or None, new_vec or None)
    add("ssvc_table", previous.get("ssvc_table"), current.get("ssvc_table"))
    add("ssvc_decision", previous.get("ssvc_decision"), current.get("ssvc_decision"))
    for group, key in (("ssvc", "ssvc_inputs"), ("ai", "ai_factors")):
        old_map, new_map = previous.get(key) or {}, current.get(key) or {}
        for name in dict.fromkeys([*old_map, *new_map]):
            add(f"{group}:{name}", old_map.get(name), new_map.get(name))
    old_rec = {_table_name(r["table"]): r for r in previous.get("ssvc_recorded") or []}
    new_rec = {_table_name(r["table"]): r for r in current.get("ssvc_recorded") or []}
    for name in dict.fromkeys([*old_rec, *new_rec]):
        old_row, new_row = old_rec.get(name) or {}, new_rec.get(name) or {}
        add(f"ssvc[{name}]", old_row.get("decision"), new_row.get("decision"))
        old_map, new_map = old_row.get("inputs") or {}, new_row.get("inputs") or {}
        for point in dict.fromkeys([*old_map, *new_map]):
            add(f"ssvc[{name}]:{point}", old_map.get(point), new_map.get(point))
    add("sector", previous.get("sector"), current.get("sector"))
    return result


def _table_name(table_id: str) -> str:
    """The CLI name of a stored SSVC table id (``coordinator-triage``), the id if unknown."""
    try:
        return ssvc.table(table_id).cli_name
    except ssvc.SsvcError:
        return table_id


def recompute(row: dict[str, Any]) -> dict[str, Any]:
    """Evaluate a stored assessment (a ``history`` row) again with the model version it
    names, not today's: what a partner holding that model file gets from those inputs."""
    try:
        model = model_for(str(row["model"]))
    except ModelError as exc:
        raise AccordError(str(exc)) from exc
    factors = dict(row.get("ai_factors") or {})
    success = factors.pop("success", None)
    if isinstance(success, dict):
        factors["success_k"], factors["success_n"] = success.get("k"), success.get("n")
    more = tuple((r["table"], dict(r["inputs"])) for r in row.get("ssvc_recorded") or [])
    inputs = Inputs(
        cvss=str(row["cvss_vector"]), ssvc=dict(row.get("ssvc_inputs") or {}),
        ssvc_table=row.get("ssvc_table"), ssvc_more=more, sector=row.get("sector") or "general",
        **factors,
    )  # fmt: skip
    return summary(_run(inputs, model))
