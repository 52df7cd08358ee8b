"""Recompute CVSS scores from vectors (through the shared severity code) and compare them
with what a document states. Real documents get stated scores wrong; the vector wins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.intake.model import Score
from app.severity import score_line

TOLERANCE = 0.05


@dataclass(frozen=True)
class Scored:
    vector: str
    version: str | None
    computed: float | None
    severity: str | None
    stated: float | None
    error: str | None = None

    @property
    def disagrees(self) -> bool:
        return (
            self.stated is not None
            and self.computed is not None
            and abs(self.stated - self.computed) > TOLERANCE
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "vector": self.vector,
            "version": self.version,
            "score": self.computed,
            "severity": self.severity,
            "stated": self.stated,
            "error": self.error,
        }


def recompute(score: Score) -> Scored:
    """The base score computed from the vector (CVSS 3.0, 3.1, 4.0)."""
    result = score_line(score.vector.strip())
    if "error" in result:
        return Scored(score.vector, None, None, None, score.stated, str(result["error"]))
    computed = result.get("base_score")
    if computed is None:
        computed = result.get("score")
    return Scored(
        vector=str(result.get("vector") or score.vector),
        version=str(result.get("version")) if result.get("version") else None,
        computed=float(computed) if computed is not None else None,
        severity=str(result.get("severity")) if result.get("severity") else None,
        stated=score.stated,
    )
