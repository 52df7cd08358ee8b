"""Matching inventory items against a case's affected models, systems and products.

A weights or file hash decides when both sides have one; otherwise the name (and vendor,
when both give one) must agree and the version must fall in the affected range or equal the
affected version. Ranges are the stored ``vers:`` form (``app.versions``), compared in their
scheme; older or hand-written ranges (``>=1.0,<1.3``, ``before 2.1``) are read the same way,
in the purl's scheme when there is one. A matching name whose version cannot be compared
(unknown, unparseable, or a range naming commits) is "possible", never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from app.impact.inventory import Item
from app.versions import sources
from app.versions.compare import NotComparable
from app.versions.ranges import VersionRange

HASH, VERSION, ANY_VERSION, POSSIBLE = "hash", "version", "any-version", "unknown-version"
CONFIRMED = frozenset({HASH, VERSION, ANY_VERSION})


@dataclass(frozen=True)
class Target:
    """What the case says is affected (from an AffectedProduct row)."""

    id: int
    kind: str
    name: str
    vendor: str
    version: str
    version_range: str
    hash: str
    purl: str

    @property
    def label(self) -> str:
        return " ".join(x for x in (self.name, self.version_range or self.version) if x)


def norm_name(text: str) -> str:
    return re.sub(r"[\s_\-]+", "-", text.strip().casefold())


def norm_hash(text: str) -> str:
    """``sha256:ABC…`` / ``SHA-256=abc…`` / ``abc…`` → ``abc…``."""
    return re.split(r"[:=]", text.strip())[-1].strip().lower()


def _purl_name(purl: str) -> str:
    return purl.split("?")[0].split("#")[0].split("@")[0].casefold()


def version_range(target: Target) -> VersionRange | None:
    """The target's range as a model; None when it states none or one that cannot be read."""
    if not target.version_range.strip():
        return None
    return sources.resolve(target.version_range, sources.scheme_of_purl(target.purl))


def _version(text: str) -> Version | None:
    try:
        return Version(text.strip().removeprefix("v").removeprefix("V"))
    except InvalidVersion:
        return None


def match(item: Item, target: Target) -> str | None:
    """How ``item`` is affected by ``target``: hash, version, any-version, unknown-version."""
    item_hashes = {norm_hash(h) for h in item.hashes}
    if target.hash and item_hashes:
        if norm_hash(target.hash) in item_hashes:
            return HASH
        if not (target.version or target.version_range):
            return None  # the hash pins the affected artifact; this one is different
    same_purl = bool(target.purl and item.purl) and _purl_name(target.purl) == _purl_name(item.purl)
    if not same_purl:
        if norm_name(item.product) != norm_name(target.name):
            return None
        if target.vendor and item.vendor and norm_name(target.vendor) != norm_name(item.vendor):
            return None
    if target.version_range.strip():
        rng = version_range(target)
        if rng is None or not item.version.strip():
            return POSSIBLE
        try:
            return VERSION if rng.contains(item.version) else None
        except NotComparable:
            return POSSIBLE
    if not target.version:
        return ANY_VERSION
    if not item.version.strip():
        return POSSIBLE
    found = _version(item.version)
    wanted = _version(target.version)
    if found is not None and wanted is not None:
        return VERSION if found == wanted else None
    return VERSION if item.version.strip().casefold() == target.version.strip().casefold() else None


def best(item: Item, targets: list[Target]) -> tuple[str, Target] | None:
    """The strongest match of an item against any target."""
    rank = {HASH: 3, VERSION: 2, ANY_VERSION: 2, POSSIBLE: 1}
    found: tuple[str, Target] | None = None
    for t in targets:
        how = match(item, t)
        if how and (found is None or rank[how] > rank[found[0]]):
            found = (how, t)
    return found
