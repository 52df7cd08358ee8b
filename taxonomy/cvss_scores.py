"""CVSS 3.0, 3.1 and 4.0: parse, validate, score and rate, with the `cvss` library.

All arithmetic is the library's; this module only validates (naming the bad metric or value),
normalises the vector to the specification's metric order, and says which score applies.
Specifications: https://www.first.org/cvss/v3.0/specification-document,
https://www.first.org/cvss/v3.1/specification-document,
https://www.first.org/cvss/v4.0/specification-document (section 1.3 for the CVSS-B, -BT, -BE
and -BTE nomenclature, section 6 for the qualitative severity rating).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cvss import CVSS3, CVSS4, CVSSError
from cvss import constants3 as c3
from cvss import constants4 as c4

VERSIONS = ("3.0", "3.1", "4.0")
V3_TEMPORAL = ("E", "RL", "RC")
V3_ENVIRONMENTAL = ("CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA")
V4_THREAT = ("E",)
V4_ENVIRONMENTAL = (
    "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI",
    "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
)  # fmt: skip
V4_SUPPLEMENTAL = ("S", "AU", "R", "V", "RE", "U")


class CvssError(ValueError):
    """A vector that cannot be scored; ``metric`` and ``value`` name the culprit when known."""

    def __init__(self, message: str, metric: str | None = None, value: str | None = None):
        super().__init__(message)
        self.metric = metric
        self.value = value


@dataclass(frozen=True)
class CvssResult:
    """A scored vector. ``score`` is the score of the groups present (3.x: the most specific of
    base, temporal, environmental; 4.0: CVSS-B/BT/BE/BTE per ``nomenclature``) and ``severity``
    its rating. For 4.0, ``base_score`` is CVSS-B and the 3.x-only scores are None."""

    vector: str
    version: str
    base_score: float
    temporal_score: float | None
    environmental_score: float | None
    score: float
    severity: str
    nomenclature: str
    metrics: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``accord score`` and stored with assessments."""
        return {
            "vector": self.vector,
            "version": self.version,
            "base_score": self.base_score,
            "temporal_score": self.temporal_score,
            "environmental_score": self.environmental_score,
            "score": self.score,
            "severity": self.severity,
            "nomenclature": self.nomenclature,
        }


def severity_rating(score: float) -> str:
    """Qualitative rating, the same bands in CVSS 3.x (section 5) and 4.0 (section 6)."""
    if score == 0.0:
        return "None"
    if score < 4.0:
        return "Low"
    if score < 7.0:
        return "Medium"
    if score < 9.0:
        return "High"
    return "Critical"


def metric_values(version: str) -> dict[str, tuple[str, ...]]:
    """Every metric of a version, in specification order, with its allowed value letters."""
    if version in ("3.0", "3.1"):
        return {m: tuple(c3.METRICS_VALUES[m]) for m in c3.METRICS_ABBREVIATIONS}
    if version == "4.0":
        return {m: tuple(c4.METRICS_VALUE_NAMES[m]) for m in c4.METRICS_ABBREVIATIONS}
    raise CvssError(f"unsupported CVSS version {version!r}; supported: {', '.join(VERSIONS)}")


def metric_names(version: str) -> dict[str, str]:
    """Metric abbreviation → full name, e.g. ``AV`` → ``Attack Vector``."""
    source = c4.METRICS_ABBREVIATIONS if version == "4.0" else c3.METRICS_ABBREVIATIONS
    metric_values(version)  # refuses an unknown version
    return {k: str(v) for k, v in source.items()}


def split_vector(vector: str) -> tuple[str, dict[str, str]]:
    """Check the prefix and every ``metric:value`` pair; return the version and the metrics."""
    text = vector.strip()
    if not text:
        raise CvssError("empty CVSS vector")
    prefix, _, rest = text.partition("/")
    if not prefix.startswith("CVSS:"):
        raise CvssError(f"vector must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/: {text!r}")
    version = prefix[len("CVSS:") :]
    if version not in VERSIONS:
        raise CvssError(
            f"unsupported CVSS version {version!r}; supported: {', '.join(VERSIONS)}",
            metric="CVSS",
            value=version,
        )
    allowed = metric_values(version)
    metrics: dict[str, str] = {}
    for part in rest.split("/"):
        metric, sep, value = part.partition(":")
        if not part or not sep:
            raise CvssError(
                f"malformed field {part!r} in CVSS {version} vector (want METRIC:VALUE)"
            )
        if metric not in allowed:
            raise CvssError(
                f"unknown CVSS {version} metric {metric!r}; known: {', '.join(allowed)}",
                metric=metric,
                value=value,
            )
        if value not in allowed[metric]:
            raise CvssError(
                f"invalid value {value!r} for CVSS {version} metric {metric}; "
                f"allowed: {', '.join(allowed[metric])}",
                metric=metric,
                value=value,
            )
        if metric in metrics:
            raise CvssError(f"metric {metric} given twice ({part})", metric=metric, value=value)
        metrics[metric] = value
    mandatory = c4.METRICS_MANDATORY if version == "4.0" else c3.METRICS_MANDATORY
    missing = [m for m in mandatory if m not in metrics]
    if missing:
        raise CvssError(
            f"CVSS {version} vector is missing mandatory metric(s) {', '.join(missing)}",
            metric=missing[0],
        )
    return version, metrics


def _defined(metrics: dict[str, str], group: tuple[str, ...]) -> bool:
    return any(metrics.get(m, "X") != "X" for m in group)


def parse(vector: str) -> CvssResult:
    """Validate and score a CVSS 3.0/3.1/4.0 vector; raise CvssError naming what is wrong."""
    version, metrics = split_vector(vector)
    text = vector.strip()
    try:
        if version == "4.0":
            return _score_v4(CVSS4(text), metrics)
        return _score_v3(CVSS3(text), version, metrics)
    except CVSSError as exc:  # pragma: no cover - split_vector catches what the library would
        raise CvssError(str(exc)) from exc


def _score_v3(obj: CVSS3, version: str, metrics: dict[str, str]) -> CvssResult:
    base, temporal, environmental = (float(s) for s in obj.scores())
    if _defined(metrics, V3_ENVIRONMENTAL):
        score, nomenclature = environmental, "environmental"
    elif _defined(metrics, V3_TEMPORAL):
        score, nomenclature = temporal, "temporal"
    else:
        score, nomenclature = base, "base"
    return CvssResult(
        vector=obj.clean_vector(),
        version=version,
        base_score=base,
        temporal_score=temporal,
        environmental_score=environmental,
        score=score,
        severity=severity_rating(score),
        nomenclature=nomenclature,
        metrics=_ordered(metrics, c3.METRICS_ABBREVIATIONS),
    )


def _ordered(metrics: dict[str, str], order: Any) -> dict[str, str]:
    return {m: metrics[m] for m in order if metrics.get(m, "X") != "X"}


def _score_v4(obj: CVSS4, metrics: dict[str, str]) -> CvssResult:
    score = float(obj.scores()[0])
    base_only = "/".join(f"{m}:{metrics[m]}" for m in c4.METRICS_MANDATORY)
    base = float(CVSS4("CVSS:4.0/" + base_only).scores()[0])
    nomenclature = "CVSS-B"
    if _defined(metrics, V4_THREAT):
        nomenclature += "T"
    if _defined(metrics, V4_ENVIRONMENTAL):
        nomenclature += "E"
    return CvssResult(
        vector=obj.clean_vector(),
        version="4.0",
        base_score=base,
        temporal_score=None,
        environmental_score=None,
        score=score,
        severity=severity_rating(score),
        nomenclature=nomenclature,
        metrics=_ordered(metrics, c4.METRICS_ABBREVIATIONS),
    )


def normalise(vector: str) -> str:
    """The vector with metrics in specification order and ``X`` (Not Defined) values dropped."""
    return parse(vector).vector


def value_names(version: str) -> dict[str, dict[str, str]]:
    """Metric → {value letter → value name}, as the specification names them, in spec order
    (e.g. ``AV`` → ``{"N": "Network", "A": "Adjacent", …}``); for calculators and tooltips."""
    metric_values(version)  # refuses an unknown version
    source = c4.METRICS_VALUE_NAMES if version == "4.0" else c3.METRICS_VALUE_NAMES
    return {m: {str(k): str(v) for k, v in names.items()} for m, names in source.items()}


def metric_groups(version: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The specification's metric groups in order, each with its metrics: 3.x ``base``,
    ``temporal``, ``environmental`` (v3.1 section 2-4); 4.0 ``base``, ``threat``,
    ``environmental``, ``supplemental`` (v4.0 section 2-5)."""
    metric_values(version)  # refuses an unknown version
    if version == "4.0":
        return (
            ("base", tuple(c4.METRICS_MANDATORY)),
            ("threat", V4_THREAT),
            ("environmental", V4_ENVIRONMENTAL),
            ("supplemental", V4_SUPPLEMENTAL),
        )
    return (
        ("base", tuple(c3.METRICS_MANDATORY)),
        ("temporal", V3_TEMPORAL),
        ("environmental", V3_ENVIRONMENTAL),
    )
