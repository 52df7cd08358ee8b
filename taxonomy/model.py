"""The shared severity model as data: load a model file, validate it, refuse it naming the field.

A model is a YAML file (resources/severity/accord-severity-1.0.yaml) checked first against
accord-severity.schema.json and then for the cross-references a schema cannot express (tier
names, SSVC decisions, harm types, taxonomy ids). Evaluation lives in taxonomy/severity.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from taxonomy import ai, ssvc
from taxonomy.data import resource_path

DEFAULT_MODEL = "accord-severity-1.1.yaml"
# Model refs (``id/version``) are files ``id-version.yaml`` beside the default: an old
# version stays loadable so assessments that name it can be recomputed.
_REF = re.compile(r"^([a-z][a-z0-9-]*)/([0-9]+\.[0-9]+)$")
SCHEMA = "accord-severity.schema.json"


class ModelError(ValueError):
    """A model file that cannot be used; ``field`` is the dotted path of the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"severity model field {field or '(root)'}: {message}")
        self.field = field


@dataclass(frozen=True)
class SeverityModel:
    """A validated model. ``data`` is the parsed file (treat as read-only)."""

    id: str
    version: str
    data: dict[str, Any]
    path: Path | None = None

    @property
    def ref(self) -> str:
        """``id/version``, the string every assessment records."""
        return f"{self.id}/{self.version}"

    @property
    def tiers(self) -> list[dict[str, Any]]:
        return list(self.data["tiers"])

    def tier_names(self) -> list[str]:
        """Tier names, highest first."""
        return [t["name"] for t in self.data["tiers"]]

    def factor(self, name: str) -> dict[str, Any]:
        return dict(self.data["ai_factors"][name])

    def choices(self, name: str) -> list[str]:
        """Allowed values of a choice factor (``access``, ``transferability``, ``harm_type``)."""
        return list(self.data["ai_factors"][name]["values"])

    def sectors(self) -> list[str]:
        return list(self.data["sectors"])

    def tier_tables(self) -> list[str]:
        """The SSVC tables whose decision may raise the tier and tighten the SLA."""
        return list(self.data["ssvc"]["tables"])

    def recorded_tables(self) -> list[str]:
        """The SSVC tables whose decisions are recorded with an assessment but move nothing."""
        return list(self.data["ssvc"].get("recorded_only", []))


def _path_text(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@cache
def _schema() -> dict[str, Any]:
    with resource_path("severity", SCHEMA).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


def validate(data: Any) -> SeverityModel:
    """Check a parsed model; raise ModelError naming the first bad field."""
    import jsonschema  # imported here: scoring a vector never loads a model file

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.path), list(e.path)))
    if errors:
        error = errors[0]
        field = _path_text(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = [r for r in error.validator_value if r not in error.instance]
            if missing:
                field = _path_text([*error.absolute_path, missing[0]])
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            if extra:
                field = _path_text([*error.absolute_path, extra[0]])
        raise ModelError(field, error.message)
    _check_references(data)
    return SeverityModel(id=data["id"], version=data["version"], data=data)


def _check_references(data: dict[str, Any]) -> None:
    tiers = data["tiers"]
    names = [t["name"] for t in tiers]
    if len(set(names)) != len(names):
        raise ModelError("tiers", "tier names must be unique")
    for i in range(1, len(tiers)):
        if tiers[i]["min_points"] >= tiers[i - 1]["min_points"]:
            raise ModelError(f"tiers[{i}].min_points", "tiers must be listed highest first")
    if tiers[-1]["min_points"] != 0:
        raise ModelError(f"tiers[{len(tiers) - 1}].min_points", "the lowest tier must start at 0")
    harms = set(data["ai_factors"]["harm_type"]["values"])
    for entry_id, harm in data["ai_factors"]["ai_class"]["default_harm"].items():
        field = f"ai_factors.ai_class.default_harm.{entry_id}"
        if not ai.is_known(entry_id):
            raise ModelError(field, f"{entry_id!r} is not in the AI taxonomy")
        if harm not in harms:
            raise ModelError(
                field, f"unknown harm type {harm!r}; known: {', '.join(sorted(harms))}"
            )
    bands = data["ai_factors"]["success_rate"]["bands"]
    if bands[-1]["min_lower_bound"] != 0:
        raise ModelError(
            f"ai_factors.success_rate.bands[{len(bands) - 1}].min_lower_bound",
            "the last band must start at 0",
        )
    for sector, overlay in data["sectors"].items():
        for harm in overlay.get("harm_points", {}):
            if harm not in harms:
                raise ModelError(f"sectors.{sector}.harm_points.{harm}", "unknown harm type")
    _check_ssvc(data["ssvc"], set(names))


def _check_ssvc(section: dict[str, Any], tier_names: set[str]) -> None:
    if section["default_table"] not in section["tables"]:
        raise ModelError("ssvc.default_table", "must be one of the tables listed under ssvc.tables")
    for table_name, decisions in section["tables"].items():
        field = f"ssvc.tables.{table_name}"
        try:
            table = ssvc.table(table_name)
        except ssvc.SsvcError as exc:
            raise ModelError(field, str(exc)) from exc
        outcomes = {v.name for v in table.outcome.values}
        if set(decisions) != outcomes:
            raise ModelError(
                field, f"must list exactly the decisions {', '.join(sorted(outcomes))}"
            )
        for decision, rule in decisions.items():
            if rule["floor"] is not None and rule["floor"] not in tier_names:
                raise ModelError(f"{field}.{decision}.floor", f"unknown tier {rule['floor']!r}")
    for i, table_name in enumerate(section.get("recorded_only", [])):
        field = f"ssvc.recorded_only[{i}]"
        if table_name in section["tables"]:
            raise ModelError(field, f"{table_name!r} already feeds the tier under ssvc.tables")
        try:
            ssvc.table(table_name)
        except ssvc.SsvcError as exc:
            raise ModelError(field, str(exc)) from exc


def load_model(path: str | Path | None = None) -> SeverityModel:
    """Load and validate a model file (default: the shipped accord-severity 1.0)."""
    import yaml

    file = Path(path) if path is not None else resource_path("severity", DEFAULT_MODEL)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError("", f"cannot read {file}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ModelError("", f"{file} is not valid YAML: {exc}") from exc
    model = validate(data)
    return SeverityModel(id=model.id, version=model.version, data=model.data, path=file)


@cache
def default_model() -> SeverityModel:
    """The shipped model, loaded once per process."""
    return load_model()


@cache
def model_for(ref: str) -> SeverityModel:
    """The shipped model an assessment names (``accord-severity/1.0``), loaded once; a
    ModelError when no such model ships."""
    match = _REF.match(ref.strip())
    if match is None:
        raise ModelError("", f"not a model reference (id/version): {ref!r}")
    file = resource_path("severity", f"{match.group(1)}-{match.group(2)}.yaml")
    if not file.is_file():
        raise ModelError("", f"no severity model {ref} ships with this version of Accord")
    return load_model(file)
