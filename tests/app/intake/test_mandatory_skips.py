"""Mandatory tests that cannot fail on a document are not run (app/intake/schemas.py): the
warnings are the same as when every test runs, on the OASIS test suite, its examples and
CISA's advisories."""

from __future__ import annotations

import json

import pytest

from app.intake import schemas
from app.intake.model import Rejected
from tests.conftest import shared_data


def _verdict(doc: dict[str, object], skip: bool) -> object:
    try:
        return schemas._check_csaf20(doc, skip_unneeded=skip)
    except Rejected as exc:
        return ("refused", str(exc))


def test_skipping_tests_that_cannot_fail_changes_no_verdict():
    oasis = shared_data("csaf", "oasis", "csaf_2.0")
    files = sorted((oasis / "test" / "validator" / "data").rglob("*.json"))
    files += sorted((oasis / "examples" / "csaf").rglob("*.json"))
    files += sorted(shared_data("csaf", "cisa-sample").glob("*.json"))
    schemas._reuse_compiled_jsonpath()
    compared = skipped = 0
    failing: set[str] = set()
    for path in files:
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict) or doc.get("document", {}).get("csaf_version") != "2.0":
            continue
        full = _verdict(doc, skip=False)
        assert _verdict(doc, skip=True) == full, path.name
        compared += 1
        keys = schemas._keys(doc)
        skipped += any(keys.isdisjoint(k) for k in schemas.CSAF20_NEEDS_KEYS.values())
        if isinstance(full, list):
            failing |= {w.split()[3] for w in full if w.startswith("CSAF mandatory test")}
    assert compared > 200 and skipped > 100
    # The suite's failing documents of each skippable test are still caught (those of 6.1.8,
    # an invalid CVSS object, are already refused by the schema).
    assert set(schemas.CSAF20_NEEDS_KEYS) - {"6.1.8"} <= failing


@pytest.mark.parametrize(
    ("doc", "keys"),
    [
        ({"a": [{"b": {"purl": 1}}, [{"c": 2}]]}, {"a", "b", "purl", "c"}),
        ([], set()),
    ],
)
def test_keys_of_a_document(doc, keys):
    assert schemas._keys(doc) == keys
