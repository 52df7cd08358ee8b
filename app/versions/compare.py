"""Version ordering per versioning scheme, as sort keys.

``key(scheme, text)`` turns a version into a value that sorts as the scheme orders versions,
so ranges compare with ``<`` and ``==`` alone. ``pypi`` follows PEP 440 (``packaging``);
``semver``, ``npm``, ``golang``, ``cargo`` follow SemVer 2.0 precedence, leniently (a ``v``
prefix and a missing minor or patch are accepted); ``deb`` follows dpkg's ``verrevcmp`` and
``rpm`` follows ``rpmvercmp``; every other scheme (``generic``, ``maven``, vendor versions
such as ``V4.3.8``, ``R10.04`` or ``1.295H``) uses a dotted alphanumeric comparison in the
spirit of libversion: numbers compare as numbers, known pre-release words sort before the
release and other letters after it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from packaging.version import InvalidVersion, Version

SEMVER_SCHEMES = frozenset({"semver", "npm", "golang", "cargo", "hex", "pub", "swift"})
PRE_RELEASE = frozenset(
    {"dev", "pre", "preview", "alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot"}
)
_SEMVER = re.compile(
    r"^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_LEADING_LETTER = re.compile(r"^[A-Za-z](?=\d)")

Key = Any  # a tuple or a packaging Version: only ever compared with keys of the same scheme


class NotComparable(ValueError):
    """The text is not a version of this scheme (the match is then "unknown-version")."""


@functools.lru_cache(maxsize=8192)
def key(scheme: str, text: str) -> Key:
    """The sort key of ``text`` as a version of ``scheme``; raises NotComparable."""
    text = text.strip()
    if not text:
        raise NotComparable(text)
    if scheme == "pypi":
        try:
            return Version(text)
        except InvalidVersion:
            raise NotComparable(text) from None
    if scheme in SEMVER_SCHEMES:
        return _semver(text)
    if scheme == "deb":
        return _deb(text)
    if scheme in ("rpm", "alpm"):
        return _rpm(text)
    return _generic(text)


def _semver(text: str) -> Key:
    m = _SEMVER.match(text)
    if m is None:
        raise NotComparable(text)
    release = tuple(int(g or 0) for g in m.group(1, 2, 3))
    if m.group(4) is None:
        return (release, (1,))  # a release sorts after all its pre-releases
    pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m.group(4).split("."))
    return (release, (0, pre))


@functools.total_ordering
class _Dotted:
    """A generic version: tokens compared pairwise, the shorter padded with zeros."""

    __slots__ = ("tokens",)
    PAD = (2, 0, "")

    def __init__(self, tokens: list[tuple[int, int, str]]) -> None:
        while tokens and tokens[-1] == self.PAD:  # 1.0 == 1.0.0
            tokens.pop()
        self.tokens = tuple(tokens)

    def _pairs(self, other: _Dotted) -> Iterator[tuple[Any, Any]]:
        return itertools.zip_longest(self.tokens, other.tokens, fillvalue=self.PAD)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Dotted) and self.tokens == other.tokens

    def __hash__(self) -> int:
        return hash(self.tokens)

    def __lt__(self, other: _Dotted) -> bool:
        for a, b in self._pairs(other):
            if a != b:
                return bool(a < b)
        return False


def _generic(text: str) -> Key:
    text = _LEADING_LETTER.sub("", text)  # V4.3.8, R10.04: a vendor's prefix, not a word
    tokens: list[tuple[int, int, str]] = []
    for t in _TOKEN.findall(text):
        if t.isdigit():
            tokens.append((2, int(t), ""))
        elif t.casefold() in PRE_RELEASE:
            tokens.append((0, 0, t.casefold()))  # before the release: 1.0rc1 < 1.0
        else:
            tokens.append((3, 0, t.casefold()))  # after it: 1.295 < 1.295H
    if not any(kind == 2 for kind, _n, _s in tokens):
        raise NotComparable(text)  # "nightly", "latest": no number, no order
    return _Dotted(tokens)


def _dpkg_part(text: str) -> tuple[Any, ...]:
    """dpkg order: runs of non-digits char by char (``~`` first, then the end, then letters,
    then other characters), then runs of digits as numbers."""
    out: list[Any] = []
    for alpha, digits in re.findall(r"(\D*)(\d*)", text):
        if not alpha and not digits:
            continue
        order = (-1 if c == "~" else ord(c) if c.isalpha() else ord(c) + 256 for c in alpha)
        out += [(*order, 0), int(digits or 0)]
    out.append((0,))  # the end: after "~", before anything else
    return tuple(out)


def _deb(text: str) -> Key:
    epoch, _sep, rest = text.rpartition(":") if ":" in text else ("0", "", text)
    if not epoch.isdigit() or not rest or not rest[0].isdigit():
        raise NotComparable(text)
    upstream, _sep, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
    return (int(epoch), _dpkg_part(upstream), _dpkg_part(revision))


def _rpm_part(text: str) -> tuple[Any, ...]:
    """rpmvercmp order: ``~`` before the end, ``^`` after it, letters before numbers."""
    out: list[Any] = []
    for tok in re.findall(r"~|\^|\d+|[A-Za-z]+", text):
        if tok == "~":
            out.append((0,))
        elif tok == "^":
            out.append((1, 1))
        elif tok.isdigit():
            out.append((3, int(tok)))
        else:
            out.append((2, tok))
    return (*out, (1,))


def _rpm(text: str) -> Key:
    epoch, _sep, rest = text.partition(":") if ":" in text else ("0", "", text)
    if not epoch.isdigit() or not rest:
        raise NotComparable(text)
    version, _sep, release = rest.partition("-")
    return (int(epoch), _rpm_part(version), _rpm_part(release))
