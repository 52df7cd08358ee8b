"""Ranges as each source states them, turned into the stored ``vers:`` form.

- CVE JSON 5 ``affected[]``: ``versions[]`` (``version``, ``lessThan``, ``lessThanOrEqual``,
  ``status``, ``versionType``, ``changes[]``) and ``defaultStatus`` (CVE Record Format 5.1,
  "versions" and "defaultStatus" of the product object).
- OSV ``affected[]``: ``ranges[]`` of type ``SEMVER`` and ``ECOSYSTEM`` (events
  ``introduced``, ``fixed``, ``last_affected``) and ``versions[]`` (OSV schema 1.6,
  "affected[].ranges"). ``GIT`` ranges name commits, not versions: kept as written and matched
  as "unknown-version" unless the record also lists the versions.
- CSAF product tree branches ``product_version`` and ``product_version_range`` (``vers:`` or
  free text; CSAF 2.0 section 3.1.2.3).

Each function returns the two columns of an affected product, ``(version, version_range)``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from app.versions import text
from app.versions.ranges import (
    Interval,
    InvalidRange,
    VersionRange,
    build,
    complement,
    parse_vers,
    stored,
)

Columns = tuple[str | None, str | None]
GIT = "git:"  # a stored range naming commits: never compared as versions
MAX_RANGE = 4000

CVE_TYPES = {
    "semver": "semver",
    "python": "pypi",
    "pypi": "pypi",
    "pep440": "pypi",
    "maven": "maven",
    "rpm": "rpm",
    "deb": "deb",
    "debian": "deb",
    "npm": "npm",
    "go": "golang",
    "golang": "golang",
}
OSV_ECOSYSTEMS = {
    "pypi": "pypi",
    "npm": "npm",
    "go": "golang",
    "crates.io": "cargo",
    "maven": "maven",
    "rubygems": "gem",
    "nuget": "nuget",
    "packagist": "composer",
    "hex": "hex",
    "pub": "pub",
    "swifturl": "swift",
    "debian": "deb",
    "ubuntu": "deb",
    "almalinux": "rpm",
    "rocky linux": "rpm",
    "red hat": "rpm",
    "suse": "rpm",
    "opensuse": "rpm",
    "mageia": "rpm",
    "alpine": "apk",
}
PURL_TYPES = {
    "pypi": "pypi",
    "npm": "npm",
    "golang": "golang",
    "cargo": "cargo",
    "maven": "maven",
    "gem": "gem",
    "nuget": "nuget",
    "deb": "deb",
    "rpm": "rpm",
    "composer": "composer",
    "hex": "hex",
    "pub": "pub",
    "apk": "apk",
}


def scheme_of_purl(purl: str | None) -> str:
    """The versioning scheme a package URL's type implies (``generic`` when none)."""
    if not purl or not purl.startswith("pkg:"):
        return "generic"
    return PURL_TYPES.get(purl[4:].split("/", 1)[0].lower(), "generic")


# Package types whose purl is the ecosystem's type, a name and, split off the name, the
# namespace the purl spec gives it (https://github.com/package-url/purl-spec, PURL-TYPES).
_NAMESPACE_SPLIT = {"npm": "/", "golang": "/", "composer": "/", "maven": ":"}
_LANGUAGE_TYPES = {
    "pypi",
    "npm",
    "golang",
    "cargo",
    "maven",
    "gem",
    "nuget",
    "composer",
    "hex",
    "pub",
}


def purl_for_osv(ecosystem: str, name: str) -> str | None:
    """The package URL an OSV ``package`` (ecosystem and name) denotes, for the language
    ecosystems; None for distributions (whose purl needs a release the record may not name)."""
    kind = OSV_ECOSYSTEMS.get(ecosystem.split(":")[0].strip().lower())
    if kind not in _LANGUAGE_TYPES or not name.strip():
        return None
    from packageurl import PackageURL  # only OSV intake needs it

    namespace, sep = None, _NAMESPACE_SPLIT.get(kind)
    if sep and sep in name:
        namespace, name = name.rsplit(sep, 1)
    try:
        return str(PackageURL(type=kind, namespace=namespace, name=name).to_string())
    except ValueError:
        return None


def _columns(rng: VersionRange | None) -> Columns:
    if rng is None:
        return None, None
    version, vers = stored(rng)
    if vers is not None and len(vers) > MAX_RANGE:
        return None, None  # beyond any sane column: better "any version" than a cut range
    return version, vers


# --- CVE 5 -------------------------------------------------------------------------------


_OPEN = frozenset({"", "0", "*", "-", "n/a", "unspecified", "unknown", "all", "all versions"})
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def _unbounded(version: str) -> bool:
    # "0", "*", "n/a" and "unspecified" all say "from the first version" in real records;
    # a link ("https://aka.ms/…", Microsoft's lessThan) names no version either.
    return version.strip().casefold() in _OPEN or "://" in version


def _cve_entry(v: dict[str, Any]) -> list[tuple[Interval, str]]:
    """An entry's intervals with their status (``changes`` split the range at each ``at``)."""
    start = str(v.get("version", "")).strip()
    status = str(v.get("status", "")).strip()
    upper, inclusive = v.get("lessThan"), False
    if not upper and v.get("lessThanOrEqual"):
        upper, inclusive = v.get("lessThanOrEqual"), True
    if not upper:
        if _unbounded(start):
            return []
        if any(c in start for c in " <>=,"):  # "All versions < V3.0", "<= 2.1" as the version
            try:
                return [(i, status) for i in text.parse(start).intervals]
            except InvalidRange:
                pass
        return [(Interval.point(start), status)]
    upper = str(upper).split(",")[-1].strip()  # Juniper: "22.3R2-S2, 22.3R3-S1"
    low = None if _unbounded(start) else start
    high = None if _unbounded(upper) else upper
    cuts = sorted(
        (str(c["at"]), str(c.get("status", "")))
        for c in v.get("changes", []) or []
        if isinstance(c, dict) and c.get("at")
    )
    # Sorted as text only to be stable; the order is checked by build() on each piece.
    out: list[tuple[Interval, str]] = []
    for at, new_status in cuts:
        out.append((Interval(low, True, at, False), status))
        low, status = at, new_status
    out.append((Interval(low, True, high, inclusive), status))
    return out


def from_cve5(product: dict[str, Any]) -> Columns:
    """The affected versions of one CVE 5 product object (``affected[]`` item)."""
    versions = [v for v in product.get("versions", []) or [] if isinstance(v, dict)]
    default = str(product.get("defaultStatus", "unknown"))
    types = {str(v.get("versionType", "")).lower() for v in versions} - {""}
    listed = [str(v.get("version", "")) for v in versions if v.get("status") == "affected"]
    if listed and all(_COMMIT.match(v) for v in listed):  # commits, whatever the type says
        return None, (GIT + ",".join(listed))[:MAX_RANGE]
    scheme = next((CVE_TYPES[t] for t in sorted(types) if t in CVE_TYPES), "generic")
    pieces = [piece for v in versions for piece in _cve_entry(v)]
    affected = [i for i, status in pieces if status == "affected"]
    try:
        if default == "affected":
            unaffected = [i for i, status in pieces if status == "unaffected"]
            if not unaffected:
                return _columns(build(scheme, [Interval()]))
            rest = complement(build(scheme, unaffected))
            affected += list(rest.intervals) if rest is not None else []
        return _columns(build(scheme, affected)) if affected else (None, None)
    except InvalidRange:
        return None, None


# --- OSV ---------------------------------------------------------------------------------


def _osv_scheme(ecosystem: str, range_type: str) -> str:
    scheme = OSV_ECOSYSTEMS.get(ecosystem.split(":")[0].strip().lower(), "generic")
    if range_type == "SEMVER" and scheme not in ("npm", "golang", "cargo", "hex", "pub"):
        return "semver"
    return scheme


def _osv_events(events: list[Any]) -> list[Interval]:
    out: list[Interval] = []
    low: str | None = None
    opened = False
    for e in events:
        if not isinstance(e, dict):
            continue
        if "introduced" in e:
            intro = str(e["introduced"])
            low, opened = (None if intro == "0" else intro), True
        elif "fixed" in e and opened:
            out.append(Interval(low, True, str(e["fixed"]), False))
            opened = False
        elif "last_affected" in e and opened:
            out.append(Interval(low, True, str(e["last_affected"]), True))
            opened = False
    if opened:
        out.append(Interval(low, True, None, True))
    return out


def from_osv(affected: dict[str, Any]) -> Columns:
    """The affected versions of one OSV ``affected[]`` item."""
    ecosystem = str((affected.get("package") or {}).get("ecosystem") or "")
    intervals: list[Interval] = []
    scheme = _osv_scheme(ecosystem, "ECOSYSTEM")
    commits: list[str] = []
    for r in affected.get("ranges", []) or []:
        if not isinstance(r, dict):
            continue
        kind = str(r.get("type", ""))
        if kind == "GIT":
            commits += [f"{k}={v}" for e in r.get("events", []) or [] for k, v in e.items()]
            continue
        scheme = _osv_scheme(ecosystem, kind)
        intervals += _osv_events(r.get("events", []) or [])
    listed = [str(v) for v in affected.get("versions", []) or [] if v]
    if not intervals:
        intervals = [Interval.point(v) for v in listed]
    if not intervals:
        return None, (GIT + ",".join(commits))[:MAX_RANGE] if commits else None
    try:
        return _columns(build(scheme, intervals))
    except InvalidRange:
        return None, None


# --- CSAF and free text ------------------------------------------------------------------


def from_text(value: str, scheme: str = "generic") -> Columns:
    """A version or range as written (``vers:`` or words); unreadable text is kept as the
    range, matched as "unknown-version"."""
    value = value.strip()
    if not value:
        return None, None
    try:
        rng = parse_vers(value) if value.lower().startswith("vers:") else text.parse(value, scheme)
    except InvalidRange:
        return None, value[:MAX_RANGE]
    return _columns(rng)


@functools.lru_cache(maxsize=1024)
def resolve(version_range: str, scheme: str = "generic") -> VersionRange | None:
    """The stored range as a model, or None where it cannot be compared (commits, prose)."""
    value = version_range.strip()
    if not value or value.startswith(GIT):
        return None
    try:
        if value.lower().startswith("vers:"):
            return parse_vers(value)
        return text.parse(value, scheme)
    except InvalidRange:
        return None
