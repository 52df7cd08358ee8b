"""Recompute CVSS scores from vectors (through the shared severity code) and compare them
with what a document states. Real documents get stated scores wrong; the vector wins."""

from __future__ import annotations

from dataclasses import replace

from app.intake.model import SCORE_TOLERANCE, ParsedDoc, Score, Scored
from app.severity import score_line

TOLERANCE = SCORE_TOLERANCE
__all__ = ["TOLERANCE", "Scored", "recompute", "recompute_doc"]


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


def recompute_doc(doc: ParsedDoc) -> ParsedDoc:
    """The document with every vulnerability's scores recomputed (``ParsedVuln.scored``)."""
    if not any(v.scores for v in doc.vulns):
        return doc
    vulns = tuple(
        replace(v, scored=tuple(recompute(s) for s in v.scores)) if v.scores else v
        for v in doc.vulns
    )
    return replace(doc, vulns=vulns)
