"""The version-range model: ordering per scheme, vers: URIs, free text, CVE 5 and OSV."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.versions import sources, text
from app.versions.compare import NotComparable, key
from app.versions.ranges import Interval, InvalidRange, build, complement, parse_vers


def _ordered(scheme: str, *versions: str) -> None:
    keys = [key(scheme, v) for v in versions]
    assert all(a < b for a, b in itertools.pairwise(keys)), versions


def test_ordering_per_scheme() -> None:
    _ordered("semver", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0")
    _ordered("semver", "1.0.0", "v1.0.1", "1.2", "1.10.0")
    _ordered("pypi", "2.0rc1", "2.0", "2.0.post1", "2.10")
    _ordered("generic", "1.0rc1", "1.0", "1.0.1", "1.10")
    _ordered("generic", "V4.3.7", "V4.3.8", "4.10")  # Siemens' V prefix
    _ordered("generic", "R9.01", "R10.04")
    _ordered("generic", "1.295", "1.295H", "1.296")  # a letter after a release is later
    _ordered("generic", "21.4", "21.4R3-S4", "22.1")  # Junos
    _ordered("deb", "1.0~rc1", "1.0", "1.0a", "1.0.0", "1:0.1")
    _ordered("rpm", "1.0~rc1", "1.0", "1.0^git1", "1.0.1")
    assert key("generic", "1.0") == key("generic", "1.0.0")
    assert key("semver", "3.4") == key("semver", "3.4.0")
    for scheme, bad in (("pypi", "nightly"), ("semver", "latest"), ("generic", "nightly")):
        with pytest.raises(NotComparable):
            key(scheme, bad)


def test_vers_uris_parse_to_one_canonical_form() -> None:
    r = parse_vers("vers:semver/>=3.2.0|<=3.4.1")
    assert str(r) == "vers:semver/>=3.2.0|<=3.4.1"
    assert [v for v in ("3.1.9", "3.2.0", "3.3.7", "3.4.1", "3.4.2") if r.contains(v)] == [
        "3.2.0",
        "3.3.7",
        "3.4.1",
    ]
    # the spec's own example; spaces removed, order and redundancy normalised
    assert str(parse_vers("vers:npm/ <5.0.0 | >=2.0.0 | 1.2.3")) == "vers:npm/1.2.3|>=2.0.0|<5.0.0"
    assert str(parse_vers("vers:pypi/<1|<2")) == "vers:pypi/<2"
    assert str(parse_vers("vers:pypi/>=1.0|!=1.1|<2")) == "vers:pypi/>=1.0|!=1.1|<2"
    assert not parse_vers("vers:pypi/>=1.0|!=1.1|<2").contains("1.1")
    # "vers:all/<V4.3.8" as Siemens writes it: compared generically
    assert str(parse_vers("vers:all/<V4.3.8")) == "vers:generic/<V4.3.8"
    assert parse_vers("vers:all/*").contains("anything")
    for bad in ("vers:", "vers:npm/", "semver/<1", "vers:/<1"):
        with pytest.raises(InvalidRange):
            parse_vers(bad)
    assert str(complement(parse_vers("vers:semver/>=3.2.0|<=3.4.1"))) == (  # type: ignore[arg-type]
        "vers:semver/<3.2.0|>3.4.1"
    )


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("3.2.0 - 3.4.1", "vers:generic/>=3.2.0|<=3.4.1"),
        ("3.2.0-3.4.1", "vers:generic/>=3.2.0|<=3.4.1"),
        ("from 3.2 to 3.4", "vers:generic/>=3.2|<=3.4"),
        ("before 3.4.2", "vers:generic/<3.4.2"),
        ("versions prior to 2.1", "vers:generic/<2.1"),
        ("<= 3.4.1", "vers:generic/<=3.4.1"),
        ("3.4.1 and earlier", "vers:generic/<=3.4.1"),
        ("3.2 and later", "vers:generic/>=3.2"),
        ("2.0+", "vers:generic/>=2.0"),
        ("3.x", "vers:generic/>=3|<4"),
        ("3.4.x", "vers:generic/>=3.4|<3.5"),
        ("all versions", "vers:generic/*"),
        (">=1.0,<1.3", "vers:generic/>=1.0|<1.3"),
        (">=R9.01|<=R10.04", "vers:generic/>=R9.01|<=R10.04"),
        ("All versions < V7.2", "vers:generic/<V7.2"),
        ("before 1.2; 2.0 - 2.3", "vers:generic/<1.2|>=2.0|<=2.3"),
        ("1.0, 1.1 and 1.2", "vers:generic/1.0|1.1|1.2"),
        ("~=1.4.2", "vers:generic/>=1.4.2|<1.5"),
    ],
)
def test_free_text(written: str, stored: str) -> None:
    assert str(text.parse(written)) == stored


def test_free_text_that_states_no_range_is_refused_not_guessed() -> None:
    for prose in ("whenever the moon is full", "the latest one", ""):
        with pytest.raises(InvalidRange):
            text.parse(prose)
    assert sources.from_text("the latest one") == (None, "the latest one")  # kept as written
    assert sources.from_text("2.4") == ("2.4", None)  # one version is a version


def test_product_lines_split_name_and_range() -> None:
    name, rng = text.split_product("Portico LLM Gateway 3.2.0 - 3.4.1")
    assert (name, str(rng)) == ("Portico LLM Gateway", "vers:generic/>=3.2.0|<=3.4.1")
    assert text.split_product("Orca-7B-Instruct") == ("Orca-7B-Instruct", None)
    assert text.split_product("Llama 3 70B") == ("Llama 3 70B", None)  # no dotted version
    name, rng = text.split_product("HelpBot (versions before 2.1)")
    assert (name, str(rng)) == ("HelpBot", "vers:generic/<2.1")


def test_cve5_versions() -> None:
    def cve(*versions: dict[str, object], default: str = "unaffected") -> sources.Columns:
        return sources.from_cve5({"versions": list(versions), "defaultStatus": default})

    assert cve({"version": "0", "lessThan": "3.4.2", "status": "affected"}) == (
        None,
        "vers:generic/<3.4.2",
    )
    inclusive = {"version": "3.2.0", "lessThanOrEqual": "3.4.1", "status": "affected"}
    assert cve({**inclusive, "versionType": "semver"}) == (None, "vers:semver/>=3.2.0|<=3.4.1")
    assert cve({"version": "2.1", "status": "affected"}) == ("2.1", None)
    # defaultStatus "affected" with the unaffected versions carved out (Jenkins, CVE-2024-23897)
    assert cve(
        {"version": "0", "lessThan": "1.606", "status": "unaffected", "versionType": "maven"},
        {"version": "2.442", "lessThan": "*", "status": "unaffected", "versionType": "maven"},
        default="affected",
    ) == (None, "vers:maven/>=1.606|<2.442")
    # a change within a range ends the affected part
    assert cve(
        {
            "version": "1.2.0",
            "lessThan": "2.0",
            "status": "affected",
            "changes": [{"at": "1.2.96", "status": "unaffected"}],
        }
    ) == (None, "vers:generic/>=1.2.0|<1.2.96")
    assert cve({"version": "0ab12cd9", "status": "affected", "versionType": "git"}) == (
        None,
        "git:0ab12cd9",
    )


def test_osv_ranges() -> None:
    pypi = {
        "package": {"ecosystem": "PyPI", "name": "jinja2"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}],
        "versions": ["2.0", "2.10"],
    }
    assert sources.from_osv(pypi) == (None, "vers:pypi/<2.10.1")
    semver = {
        "package": {"ecosystem": "npm", "name": "x"},
        "ranges": [
            {
                "type": "SEMVER",
                "events": [
                    {"introduced": "1.0.0"},
                    {"last_affected": "1.4.2"},
                    {"introduced": "2.0.0"},
                ],
            }
        ],
    }
    assert sources.from_osv(semver) == (None, "vers:npm/>=1.0.0|<=1.4.2|>=2.0.0")
    git_only = {
        "package": {"ecosystem": "GIT", "name": "y"},
        "ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "abc1234"}]}],
    }
    assert sources.from_osv(git_only) == (None, "git:introduced=abc1234")
    git_with_versions = {**git_only, "versions": ["1.0", "1.1"]}
    assert sources.from_osv(git_with_versions) == (None, "vers:generic/1.0|1.1")


semver = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)).map(
    lambda t: ".".join(map(str, t))
)


def _inside(k: object, i: Interval) -> bool:
    lo, hi = key("semver", i.low or "0"), key("semver", i.high or "0")
    above = lo < k or (lo == k and i.low_inclusive)  # type: ignore[operator]
    below = k < hi or (k == hi and i.high_inclusive)  # type: ignore[operator]
    return bool(above and below)


@given(
    bounds=st.lists(st.tuples(semver, semver, st.booleans(), st.booleans()), max_size=4),
    probe=semver,
)
def test_vers_round_trip_and_containment(
    bounds: list[tuple[str, str, bool, bool]], probe: str
) -> None:
    """Any union of intervals: its vers: URI parses back to itself, and a version is in the
    stored range exactly when it is in one of the intervals."""
    intervals = []
    for a, b, low_inclusive, high_inclusive in bounds:
        low, high = sorted((a, b), key=lambda v: key("semver", v))
        i = Interval(low, low_inclusive, high, high_inclusive)
        if low != high or (low_inclusive and high_inclusive):
            intervals.append(i)
    if not intervals:
        return
    rng = build("semver", intervals)
    assert str(parse_vers(str(rng))) == str(rng)
    k = key("semver", probe)
    assert rng.contains(probe) == any(_inside(k, i) for i in intervals)
