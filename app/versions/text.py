"""Version ranges written by people: e-mails, text reports, CSAF free-text branch names.

Understood forms (English, case-insensitive): ``3.2.0 - 3.4.1``, ``3.2 to 3.4``, ``between 1
and 2``, ``before 3.4.2``, ``versions prior to 2.1``, ``<= 3.4.1``, ``3.4.1 and earlier``,
``3.2 and later``, ``3.2+``, ``since 3.2``, ``3.x``, ``all versions``, comparator lists
(``>=1.0,<1.3``, ``>=R9.01|<=R10.04``, ``!=1.1``), ``~=1.4``, ``^1.2``, ``~1.2`` and several
of these joined by ``;``, ``||`` or ``or``. Anything else is not guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from app.versions.ranges import (
    Interval,
    InvalidRange,
    VersionRange,
    build,
    pair_bounds,
    parse_vers,
)

VERSION = r"[A-Za-z]?\d+(?:[._+~-]?[0-9A-Za-z]+)*"
_V = rf"(?:versions?\s+|v(?:er)?\.?\s+)?({VERSION})"
_DASH = r"\s*(?:-|–|—|\.\.\.?)\s*|\s+(?:to|through|thru|until|and)\s+"
_FLAGS = re.I

_BETWEEN = re.compile(
    rf"^(?:from\s+|between\s+)?{_V}(?:{_DASH}){_V}(?:\s*\(?inclusive\)?)?$", _FLAGS
)
_BELOW = re.compile(
    rf"^(?:<|before|prior\s+to|earlier\s+than|older\s+than|lower\s+than|less\s+than|below|"
    rf"up\s+to\s+but\s+(?:not|excluding)(?:\s+including)?)\s*{_V}$",
    _FLAGS,
)
_UP_TO = re.compile(
    rf"^(?:<=|=<|≤|up\s+to(?:\s+and\s+including)?|through|until|to)\s*{_V}"
    rf"(?:\s*\(?inclusive\)?)?$",
    _FLAGS,
)
_AND_EARLIER = re.compile(
    rf"^{_V}\s*(?:and|or|&)\s*(?:earlier|older|lower|below|before|prior|previous)"
    rf"(?:\s+versions?)?$",
    _FLAGS,
)
_FROM = re.compile(rf"^(?:>=|=>|≥|since|from|starting\s+(?:with|at|from)|as\s+of)\s*{_V}$", _FLAGS)
_AND_LATER = re.compile(
    rf"^{_V}\s*(?:(?:and|or|&)\s*(?:later|newer|higher|above|greater|after)"
    rf"(?:\s+versions?)?|\+)$",
    _FLAGS,
)
_ABOVE = re.compile(
    rf"^(?:>|after|later\s+than|newer\s+than|above|greater\s+than|higher\s+than)\s*{_V}$", _FLAGS
)
_EXACT = re.compile(rf"^(?:==?\s*)?{_V}$", _FLAGS)
_WILDCARD = re.compile(r"^(?:==?\s*)?[vV]?((?:\d+\.)*\d+)\.(?:x|\*)(?:\.(?:x|\*))*$", _FLAGS)
_TILDE = re.compile(rf"^(~=|\^|~)\s*({VERSION})$")
_OPS = re.compile(rf"(>=|<=|=<|=>|!=|==|≤|≥|<|>|=)\s*({VERSION})")
_ALL = re.compile(r"^(?:all(?:\s+versions?)?|any(?:\s+versions?)?|\*)$", _FLAGS)
_NARROW_DASH = re.compile(r"^[vV]?(\d+(?:\.\d+)+)-[vV]?(\d+(?:\.\d+)+)$")
_UNION = re.compile(
    r"\s*(?:;|\|\||\bor\b(?!\s+(?:earlier|older|lower|below|before|prior|previous|later|"
    r"newer|higher|above|greater|after)))\s*",
    _FLAGS,
)
_NOISE = re.compile(r"^(?:affected\s+)?(?:versions?\s*:?\s*)", _FLAGS)
_OP_NAMES = {"=<": "<=", "=>": ">=", "≤": "<=", "≥": ">=", "==": "="}


def parse(text: str, scheme: str = "generic") -> VersionRange:
    """The range ``text`` states, in ``scheme``; raises InvalidRange when it states none."""
    t = " ".join(text.split()).strip(" .,:")
    if t.lower().startswith("vers:"):
        return parse_vers(t)
    intervals: list[Interval] = []
    excluded: list[str] = []
    for part in filter(None, _UNION.split(t)):
        found = _part(part.strip(" ,.()"), scheme)
        if found is None:
            found = _list(part, scheme)
        if found is None:
            raise InvalidRange(text)
        intervals += found.intervals
        excluded += found.excluded
    if not intervals:
        raise InvalidRange(text)
    return build(scheme, intervals, excluded)


def _part(t: str, scheme: str) -> VersionRange | None:
    t = _NOISE.sub("", t).strip()
    if not t:
        return None
    one = _single(t)
    if one is not None:
        return build(scheme, [one])
    m = _TILDE.match(t)
    if m:
        return build(scheme, [_tilde(m.group(1), m.group(2))])
    ops = _OPS.findall(t)
    # A comparator list (">=1.0,<1.3", ">=R9.01|<=R10.04", "All versions < V7.2 on Windows"):
    # the constraints as the vers spec pairs them.
    if ops:
        bounds = [(_OP_NAMES.get(op, op), v) for op, v in ops]
        points = [Interval.point(v) for op, v in bounds if op == "="]
        pairs = pair_bounds(scheme, [(op, v) for op, v in bounds if op not in ("=", "!=")])
        gone = [v for op, v in bounds if op == "!="]
        intervals = points + pairs or ([Interval()] if gone else [])
        return build(scheme, intervals, gone) if intervals else None
    return None


def _single(t: str) -> Interval | None:
    """One interval written in words or with one comparator."""
    if _ALL.match(t):
        return Interval()
    m = _NARROW_DASH.match(t)
    if m:
        return Interval(m.group(1), True, m.group(2), True)
    m = _WILDCARD.match(t)
    if m:
        return _prefix(m.group(1))
    for pattern, make in _SHAPES:
        m = pattern.match(t)
        if m:
            return make(m.groups())
    return None


Shape = Callable[[Sequence[str]], Interval]
_SHAPES: tuple[tuple[re.Pattern[str], Shape], ...] = (
    (_BETWEEN, lambda g: Interval(g[0], True, g[1], True)),
    (_BELOW, lambda g: Interval(None, True, g[0], False)),
    (_UP_TO, lambda g: Interval(None, True, g[0], True)),
    (_AND_EARLIER, lambda g: Interval(None, True, g[0], True)),
    (_FROM, lambda g: Interval(g[0], True, None, True)),
    (_AND_LATER, lambda g: Interval(g[0], True, None, True)),
    (_ABOVE, lambda g: Interval(g[0], False, None, True)),
    (_EXACT, lambda g: Interval.point(g[0])),
)


def _prefix(stem: str) -> Interval:
    """``3.4.x``: from 3.4 up to (not including) 3.5."""
    parts = stem.split(".")
    upper = [*parts[:-1], str(int(parts[-1]) + 1)]
    return Interval(stem, True, ".".join(upper), False)


def _tilde(op: str, version: str) -> Interval:
    """npm ``^``/``~`` and PEP 440 ``~=``: up to the next release of the pinned part."""
    nums = [int(n) for n in re.findall(r"\d+", version.split("-")[0].split("+")[0])[:3]]
    if op == "^":
        first = next((i for i, n in enumerate(nums) if n), len(nums) - 1)
        upper = [*nums[:first], nums[first] + 1]
    elif op == "~":
        upper = [nums[0] + 1] if len(nums) == 1 else [nums[0], nums[1] + 1]
    else:  # ~=1.4.2: >=1.4.2, ==1.4.*
        upper = nums[:-1] if len(nums) > 1 else nums
        upper[-1] += 1
    return Interval(version, True, ".".join(map(str, upper)), False)


def _list(t: str, scheme: str) -> VersionRange | None:
    """``1.0, 1.1 and 1.2`` or ``before 1.2, 2.0 - 2.3``: each item a range of its own."""
    items = [i.strip(" .()") for i in re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", t) if i.strip()]
    if len(items) < 2:
        return None
    intervals: list[Interval] = []
    for item in items:
        found = _part(item, scheme)
        if found is None:
            return None
        intervals += found.intervals
    return build(scheme, intervals)


# Where a product line's name ends and its versions begin: a dotted or v-prefixed version, or a
# range word, after a space ("Portico LLM Gateway 3.2.0 - 3.4.1", "Foo before 2.1").
_VERSION_START = re.compile(
    r"\s(?=\(?(?:versions?\b|v\d|\d+(?:\.\d+|\.x)|[<>≤≥=]|before\b|prior\s+to\b|up\s+to\b|"
    r"from\s+v?\d|since\s+v?\d|between\s+v?\d|all\s+versions\b|earlier\s+than\b))",
    _FLAGS,
)


def split_product(text: str, scheme: str = "generic") -> tuple[str, VersionRange | None]:
    """A product line as (name, range): ``Portico LLM Gateway 3.2.0 - 3.4.1`` gives
    ``Portico LLM Gateway`` and ``vers:generic/>=3.2.0|<=3.4.1``; no range when the rest of
    the line states none (the line is then all name)."""
    for m in _VERSION_START.finditer(text):
        name, rest = text[: m.start()].strip(" ,:-"), text[m.end() :].strip(" ()")
        if not name:
            continue
        try:
            return name, parse(rest, scheme)
        except InvalidRange:
            continue
    return text.strip(), None
