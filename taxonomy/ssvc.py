"""SSVC decision tables, evaluated by lookup in the project's own data files.

The tables in resources/ssvc/ are derived from CERT/CC's official SSVC data
(https://certcc.github.io/SSVC/, CERTCC/SSVC data/json/decision_tables) by
scripts/derive_taxonomy_data.py; each keeps its namespaced id and version, e.g.
``cisa:DT_CO:2.0.3``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from taxonomy.data import load_json

TABLE_NAMES = ("cisa", "deployer", "supplier", "coordinator-triage", "coordinator-publication")


class SsvcError(ValueError):
    """Unknown table, missing or unknown decision point, or value; the message lists choices."""


@dataclass(frozen=True)
class Value:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class DecisionPoint:
    id: str
    key: str
    name: str
    description: str
    values: tuple[Value, ...]

    def value(self, text: str) -> Value:
        """The value whose key (or, case-insensitively, whose key or name) is ``text``."""
        for candidate in self.values:
            if candidate.key == text:
                return candidate
        folded = text.casefold()
        for candidate in self.values:
            if folded in (candidate.key.casefold(), candidate.name.casefold()):
                return candidate
        raise SsvcError(
            f"{self.key} ({self.name}) has no value {text!r}; allowed: {self.choices()}"
        )

    def choices(self) -> str:
        return ", ".join(f"{v.key} ({v.name})" for v in self.values)


@dataclass(frozen=True)
class Decision:
    """The outcome of one lookup; ``inputs`` maps decision-point key to value key."""

    table: str
    decision: str
    outcome_key: str
    inputs: dict[str, str]
    path: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "decision": self.decision,
            "outcome_key": self.outcome_key,
            "inputs": dict(self.inputs),
        }


@dataclass(frozen=True)
class DecisionTable:
    id: str
    cli_name: str
    name: str
    description: str
    source: str
    decision_points: tuple[DecisionPoint, ...]
    outcome: DecisionPoint
    rows: dict[tuple[str, ...], str]

    def point(self, key: str) -> DecisionPoint:
        for dp in self.decision_points:
            if dp.key == key or dp.key.casefold() == key.casefold():
                return dp
        raise SsvcError(f"table {self.id} has no decision point {key!r}; {self.allowed()}")

    def allowed(self) -> str:
        """The keys and values this table takes, for error messages."""
        parts = [f"{dp.key}=<{'|'.join(v.key for v in dp.values)}>" for dp in self.decision_points]
        return "allowed: " + " ".join(parts)

    def evaluate(self, inputs: Mapping[str, str]) -> Decision:
        """Look the decision up; refuse missing, unknown or duplicate keys and unknown values."""
        chosen: dict[str, Value] = {}
        for key, text in inputs.items():
            dp = self.point(key)
            if dp.key in chosen:
                raise SsvcError(f"decision point {dp.key} given twice")
            chosen[dp.key] = dp.value(text)
        missing = [dp.key for dp in self.decision_points if dp.key not in chosen]
        if missing:
            raise SsvcError(f"table {self.id} needs {', '.join(missing)}; {self.allowed()}")
        row = tuple(chosen[dp.key].key for dp in self.decision_points)
        outcome_key = self.rows[row]
        outcome = self.outcome.value(outcome_key)
        return Decision(
            table=self.id,
            decision=outcome.name,
            outcome_key=outcome.key,
            inputs={dp.key: chosen[dp.key].key for dp in self.decision_points},
            path=tuple((dp.name, chosen[dp.key].name) for dp in self.decision_points),
        )


def _point(raw: Mapping[str, Any]) -> DecisionPoint:
    return DecisionPoint(
        id=raw["id"],
        key=raw["key"],
        name=raw["name"],
        description=raw["description"],
        values=tuple(Value(v["key"], v["name"], v["description"]) for v in raw["values"]),
    )


@cache
def table(name: str) -> DecisionTable:
    """Load a table by its CLI name (``cisa``, ``deployer`` …) or its id (``cisa:DT_CO:2.0.3``)."""
    cli_name = _BY_ID.get(name, name)
    if cli_name not in TABLE_NAMES:
        raise SsvcError(f"unknown SSVC table {name!r}; choose one of {', '.join(TABLE_NAMES)}")
    raw = load_json("ssvc", f"{cli_name}.json")
    points = tuple(_point(p) for p in raw["decision_points"])
    outcome = _point(raw["outcome"])
    rows: dict[tuple[str, ...], str] = {}
    for row in raw["rows"]:
        rows[tuple(row[:-1])] = row[-1]
    expected = 1
    for dp in points:
        expected *= len(dp.values)
    if len(rows) != expected:
        raise SsvcError(f"SSVC table {raw['id']} has {len(rows)} rows, expected {expected}")
    return DecisionTable(
        id=raw["id"],
        cli_name=raw["cli_name"],
        name=raw["name"],
        description=raw["description"],
        source=raw["source"],
        decision_points=points,
        outcome=outcome,
        rows=rows,
    )


_BY_ID = {
    "cisa:DT_CO:2.0.3": "cisa",
    "ssvc:DT_DP:1.0.0": "deployer",
    "ssvc:DT_SP:1.0.0": "supplier",
    "ssvc:DT_COORD_TRIAGE:1.0.0": "coordinator-triage",
    "ssvc:DT_COORD_PUBLISH:1.0.0": "coordinator-publication",
}


def evaluate(name: str, inputs: Mapping[str, str]) -> Decision:
    """Evaluate table ``name`` on ``{decision-point key: value key}``."""
    return table(name).evaluate(inputs)
