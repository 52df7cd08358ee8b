"""The AI vulnerability taxonomy: OWASP Top 10 for LLM Applications 2025, MITRE ATLAS,
AVID, and the OWASP→ATLAS mappings, as read-only records from resources/taxonomy/.

Sources and versions are carried in each data file's ``source`` and ``version`` fields
(OWASP 2025, ATLAS 5.6.0, AVID taxonomy 0.2); scripts/derive_taxonomy_data.py derives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from taxonomy.data import load_json

LISTS = ("owasp-llm-2025", "atlas-tactics", "atlas-techniques", "avid")


class TaxonomyError(ValueError):
    """An unknown list name or taxonomy id."""


@dataclass(frozen=True)
class Entry:
    """One taxonomy item; ``extra`` holds list-specific fields (tactics, parent, domain …)."""

    id: str
    name: str
    description: str
    source: str
    version: str
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind}
        data.update(self.extra)
        data["description"] = self.description
        data["version"] = self.version
        return data


@cache
def entries(name: str) -> tuple[Entry, ...]:
    """All items of one list: ``owasp-llm-2025``, ``atlas-tactics``, ``atlas-techniques``,
    ``avid`` (AVID categories, then lifecycle stages)."""
    if name == "owasp-llm-2025":
        raw = load_json("taxonomy", "owasp-llm-2025.json")
        return tuple(_entry(i, raw, "owasp-llm-2025") for i in raw["items"])
    if name in ("atlas-tactics", "atlas-techniques"):
        raw = load_json("taxonomy", "atlas.json")
        group = "tactics" if name == "atlas-tactics" else "techniques"
        return tuple(_entry(i, raw, name) for i in raw[group])
    if name == "avid":
        raw = load_json("taxonomy", "avid.json")
        categories = tuple(_entry(i, raw, "avid-category") for i in raw["categories"])
        stages = tuple(_entry(i, raw, "avid-lifecycle") for i in raw["lifecycle"])
        return categories + stages
    raise TaxonomyError(f"unknown taxonomy list {name!r}; choose one of {', '.join(LISTS)}")


def _entry(item: dict[str, Any], raw: dict[str, Any], kind: str) -> Entry:
    extra = {k: v for k, v in item.items() if k not in ("id", "name", "description")}
    return Entry(
        id=item["id"],
        name=item["name"],
        description=item.get("description", ""),
        source=raw["source"],
        version=str(raw["version"]),
        kind=kind,
        extra=extra,
    )


@cache
def _index() -> dict[str, Entry]:
    return {e.id: e for name in LISTS for e in entries(name)}


def lookup(entry_id: str) -> Entry:
    """Any taxonomy item by id: ``LLM06:2025``, ``AML.T0051.000``, ``AML.TA0000``, ``S0301``."""
    found = _index().get(entry_id.strip())
    if found is None:
        raise TaxonomyError(
            f"unknown AI taxonomy id {entry_id!r} (expected an OWASP LLM id such as LLM01:2025, "
            "an ATLAS id such as AML.T0051, or an AVID code such as S0403)"
        )
    return found


def is_known(entry_id: str) -> bool:
    return entry_id.strip() in _index()


@cache
def owasp_to_atlas() -> dict[str, tuple[str, ...]]:
    """OWASP LLM 2025 id → the ATLAS ids its entry cites."""
    raw = load_json("taxonomy", "owasp-atlas-mappings.json")
    result: dict[str, list[str]] = {}
    for row in raw["mappings"]:
        result.setdefault(row["owasp"], []).append(row["atlas"])
    return {k: tuple(v) for k, v in result.items()}


def atlas_to_owasp(atlas_id: str) -> tuple[str, ...]:
    """OWASP LLM 2025 ids whose entry cites ``atlas_id`` or one of its sub-techniques."""
    return tuple(
        owasp
        for owasp, ids in owasp_to_atlas().items()
        if any(i == atlas_id or i.startswith(atlas_id + ".") for i in ids)
    )
