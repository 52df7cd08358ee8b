"""One version-range model, stored as a ``vers:`` URI.

The stored form follows the package-url version range specifier ("vers",
https://github.com/package-url/purl-spec/blob/master/VERSION-RANGE-SPEC.rst):
``vers:<scheme>/<constraint>|<constraint>…``, constraints sorted by version, each version
once. Internally a range is a sorted list of disjoint intervals (plus excluded versions),
so ranges from CVE 5, OSV, CSAF and free text merge into one canonical string, and
containment is a comparison of sort keys (``app.versions.compare``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from app.versions.compare import Key, NotComparable, key

ANY = "*"
# Schemes as written by CSAF producers that mean "compare generically" when they carry
# constraints ("vers:all/<V4.3.8" in Siemens advisories).
GENERIC_ALIASES = frozenset({"all", "intdot", "lexicographic"})


class InvalidRange(ValueError):
    """Text that is not a version range of its scheme (kept as written, matched as unknown)."""


@dataclass(frozen=True)
class Interval:
    """Versions between ``low`` and ``high`` (``None``: unbounded)."""

    low: str | None = None
    low_inclusive: bool = True
    high: str | None = None
    high_inclusive: bool = True

    @classmethod
    def point(cls, version: str) -> Interval:
        return cls(version, True, version, True)


@dataclass(frozen=True)
class VersionRange:
    """A set of versions of one versioning scheme; ``str()`` gives its ``vers:`` URI."""

    scheme: str
    intervals: tuple[Interval, ...]
    excluded: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"vers:{self.scheme}/{'|'.join(self.constraints())}"

    @property
    def single(self) -> str | None:
        """The one version this range holds, when it is a single version."""
        if len(self.intervals) == 1 and not self.excluded:
            i = self.intervals[0]
            if i.low is not None and i.low == i.high:
                return i.low
        return None

    @property
    def is_any(self) -> bool:
        return self.intervals == (Interval(),) and not self.excluded

    def constraints(self) -> list[str]:
        if self.is_any:
            return [ANY]
        out: list[tuple[Key, int, str]] = []
        for n, i in enumerate(self.intervals):
            if i.low is not None and i.low == i.high:
                out.append((key(self.scheme, i.low), n, _q(i.low)))
                continue
            if i.low is not None:
                op = ">=" if i.low_inclusive else ">"
                out.append((key(self.scheme, i.low), n, op + _q(i.low)))
            if i.high is not None:
                op = "<=" if i.high_inclusive else "<"
                out.append((key(self.scheme, i.high), n, op + _q(i.high)))
        out += [(key(self.scheme, v), -1, "!=" + _q(v)) for v in self.excluded]
        out.sort(key=lambda c: (c[0], c[1]))
        return [c[2] for c in out]

    def contains(self, version: str) -> bool:
        """Whether ``version`` is in the range; raises NotComparable for a version that is not
        one of this scheme (the caller reports "unknown-version")."""
        if self.scheme == "none":  # the spec's "no version at all"
            return False
        if self.is_any or self.scheme == "all":
            return True
        k = key(self.scheme, version.strip())
        if any(k == key(self.scheme, v) for v in self.excluded):
            return False
        return any(_in(self.scheme, k, i) for i in self.intervals)


def _q(version: str) -> str:
    # The spec percent-encodes "%" and the "|" separator; spaces are removed on parsing.
    return version.replace("%", "%25").replace("|", "%7C").replace(" ", "%20")


def _in(scheme: str, k: Key, i: Interval) -> bool:
    if i.low is not None:
        lo = key(scheme, i.low)
        if k < lo or (k == lo and not i.low_inclusive):
            return False
    if i.high is not None:
        hi = key(scheme, i.high)
        if k > hi or (k == hi and not i.high_inclusive):
            return False
    return True


def build(scheme: str, intervals: Iterable[Interval], excluded: Iterable[str] = ()) -> VersionRange:
    """The canonical range of the union of ``intervals`` (sorted, merged), minus ``excluded``.

    Versions that ``scheme`` cannot order move the whole range to ``generic`` (a vendor's
    ``V4.3.8`` written under ``semver``); if even that fails, InvalidRange.
    """
    scheme = scheme.strip().lower() or "generic"
    items, gone = list(intervals), list(dict.fromkeys(v for v in excluded if v))
    if scheme in GENERIC_ALIASES and items != [Interval()]:
        scheme = "generic"
    for candidate in dict.fromkeys((scheme, "generic")):
        try:
            return _canonical(candidate, items, gone)
        except NotComparable:
            continue
    raise InvalidRange(scheme)


def _lo(scheme: str, i: Interval) -> tuple[int, Key, int]:
    if i.low is None:
        return (0, (), 0)
    return (1, key(scheme, i.low), 0 if i.low_inclusive else 1)


def _canonical(scheme: str, items: list[Interval], excluded: list[str]) -> VersionRange:
    if not items:
        raise InvalidRange(scheme)
    merged: list[Interval] = []
    for i in sorted(items, key=lambda i: _lo(scheme, i)):
        if i.low is not None and i.high is not None:
            lo, hi = key(scheme, i.low), key(scheme, i.high)
            if lo > hi or (lo == hi and not (i.low_inclusive and i.high_inclusive)):
                continue  # empty (">=2|<1" or "<1|>1" for the same version)
        if merged and _touches(scheme, merged[-1], i):
            last = merged[-1]
            merged[-1] = Interval(last.low, last.low_inclusive, *_max_high(scheme, last, i))
        else:
            merged.append(i)
    if not merged:
        raise InvalidRange(scheme)
    keep = tuple(v for v in excluded if any(_in(scheme, key(scheme, v), i) for i in merged))
    return VersionRange(scheme, tuple(merged), keep)


def _touches(scheme: str, a: Interval, b: Interval) -> bool:
    """Whether ``b`` (starting at or after ``a``) overlaps or adjoins ``a``."""
    if a.high is None or b.low is None:
        return True
    hi, lo = key(scheme, a.high), key(scheme, b.low)
    return lo < hi or (lo == hi and (a.high_inclusive or b.low_inclusive))


def _max_high(scheme: str, a: Interval, b: Interval) -> tuple[str | None, bool]:
    if a.high is None or b.high is None:
        return None, True
    ha, hb = key(scheme, a.high), key(scheme, b.high)
    if hb > ha or (hb == ha and b.high_inclusive):
        return b.high, b.high_inclusive
    return a.high, a.high_inclusive


def complement(rng: VersionRange) -> VersionRange | None:
    """Every version of the scheme not in ``rng`` (``None`` when that is no version)."""
    gaps: list[Interval] = []
    low: str | None = None
    low_inclusive = True
    for i in rng.intervals:
        if i.low is not None:
            gaps.append(Interval(low, low_inclusive, i.low, not i.low_inclusive))
        if i.high is None:
            low = None
            break
        low, low_inclusive = i.high, not i.high_inclusive
    else:
        gaps.append(Interval(low, low_inclusive, None, True))
    gaps += [Interval.point(v) for v in rng.excluded]
    try:
        return build(rng.scheme, gaps) if gaps else None
    except InvalidRange:
        return None


def parse_vers(text: str) -> VersionRange:
    """A ``vers:`` URI as the spec parses it (spaces removed, constraints split on ``|``)."""
    raw = "".join(text.split())
    scheme_part, sep, rest = raw.partition("/")
    if not scheme_part.lower().startswith("vers:") or not sep or not rest.strip("|"):
        raise InvalidRange(text)
    scheme = scheme_part[5:].lower()
    if not scheme:
        raise InvalidRange(text)
    if rest == ANY:
        return VersionRange(scheme, (Interval(),))
    points: list[Interval] = []
    excluded: list[str] = []
    bounds: list[tuple[str, str]] = []
    for c in filter(None, rest.split("|")):
        op = next((o for o in (">=", "<=", "!=", "<", ">", "=") if c.startswith(o)), "=")
        version = unquote(c[len(op) :] if c.startswith(op) else c)
        if not version:
            raise InvalidRange(text)
        if op == "=":
            points.append(Interval.point(version))
        elif op == "!=":
            excluded.append(version)
        else:
            bounds.append((op, version))
    intervals = points + pair_bounds(scheme, bounds)
    if not intervals and excluded:
        intervals = [Interval()]  # "!=1.0" alone: every version but 1.0
    return build(scheme, intervals, excluded)


def pair_bounds(scheme: str, bounds: list[tuple[str, str]]) -> list[Interval]:
    """Successive ``>``/``<`` constraints, sorted by version, as intervals (the spec's
    containment walk); a redundant bound ("<1|<2", ">1|>2") widens the interval."""
    for candidate in dict.fromkeys(
        (scheme if scheme not in GENERIC_ALIASES else "generic", "generic")
    ):
        try:
            # at one version, "<" before ">": "<1|>1" is everything but 1, never empty
            ordered = sorted(bounds, key=lambda b: (key(candidate, b[1]), b[0][0] == ">"))
            break
        except NotComparable:
            continue
    else:
        raise InvalidRange(scheme)
    out: list[Interval] = []
    pending: tuple[str, bool] | None = None
    for op, version in ordered:
        if op in (">", ">="):
            if pending is None:
                pending = (version, op == ">=")
        elif pending is not None:
            out.append(Interval(*pending, version, op == "<="))
            pending = None
        elif out:  # "<1|<2", ">=1|<2|<3": the later bound is the one that counts
            last = out[-1]
            out[-1] = Interval(last.low, last.low_inclusive, version, op == "<=")
        else:
            out.append(Interval(None, True, version, op == "<="))
    if pending is not None:
        out.append(Interval(*pending, None, True))
    return out


def stored(rng: VersionRange) -> tuple[str | None, str | None]:
    """The (version, version_range) columns of an affected product for ``rng``."""
    if rng.single is not None:
        return rng.single, None
    return None, str(rng)
