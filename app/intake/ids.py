"""Identifier schemes and aliases: CVE, GHSA, PYSEC, AVID, CSAF tracking ids, vendor ids."""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("CVE", re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.I)),
    ("GHSA", re.compile(r"\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b", re.I)),
    ("PYSEC", re.compile(r"\bPYSEC-\d{4}-\d+\b", re.I)),
    ("AVID", re.compile(r"\bAVID-\d{4}-[RV]\d+\b", re.I)),
)


def scheme_of(value: str, default: str = "vendor") -> str:
    for scheme, pattern in PATTERNS:
        if pattern.fullmatch(value.strip()):
            return scheme
    return default


def normalise(value: str) -> str:
    """The comparison form of an identifier (case and surrounding space do not matter)."""
    return value.strip().upper()


def find_in_text(text: str) -> list[tuple[str, str]]:
    """Every well-known identifier mentioned in free text, in order of first mention."""
    found: dict[str, str] = {}
    for scheme, pattern in PATTERNS:
        for m in pattern.finditer(text):
            found.setdefault(normalise(m.group(0)), scheme)
    return [(scheme, value) for value, scheme in found.items()]


def unique(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for scheme, value in pairs:
        v = value.strip()
        key = normalise(v)
        if not v or key in seen:
            continue
        seen.add(key)
        out.append((scheme, v[:300]))
    return tuple(out)


CVSS_VECTOR = re.compile(
    r"CVSS:(?:3\.[01]|4\.0)/[A-Za-z]{1,3}:[A-Za-z](?:/[A-Za-z]{1,3}:[A-Za-z])+"
)
