"""JSON-schema checks, each schema taken from where it is maintained.

- CSAF 2.0 / 2.1: the schemas and mandatory tests of the ``csaf`` package (its Python API;
  nothing is written to disk). A schema violation refuses the document; a failed mandatory
  test (CSAF 2.0 section 6.1, CSAF 2.1 section 6.1) becomes a warning on the report. The
  schema is compiled once per process on ``jsonschema-rs`` (the package's ``fast-schema``
  backend); it gives the same verdicts as the pure-Python path on every OASIS test file.
  CSAF 2.1 is still a committee draft: the package tracks the newest (``SPEC_STAGE``) and
  ships the earlier ones; a document written to an earlier draft is accepted by that draft's
  schema and tests, with a warning naming the draft.
- CVE JSON 5.x: the bundled record schema that ``cvelib`` ships.
- OSV: ``resources/schemas/osv/schema.json``, a copy of ossf/osv-schema
  ``validation/schema.json`` (JSON Schema 2020-12). It is vendored because no maintained
  Python package ships it.
"""

from __future__ import annotations

import functools
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from app.intake.model import Rejected
from i18n import _

OSV_SCHEMA = Path(__file__).resolve().parents[2] / "resources" / "schemas" / "osv" / "schema.json"
MAX_ERRORS_SHOWN = 1


# A reason is one line of bounded length: schema messages may quote the document.
MAX_MESSAGE = 200
# Keywords whose messages name properties, never values.
_NAMING_KEYWORDS = ("required", "additionalProperties", "dependentRequired")


def _short(text: str, size: int = MAX_MESSAGE) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _first_error(errors: list[tuple[str, str]]) -> str:
    path, message = errors[0]
    more = len(errors) - 1
    text = _("schema violation at {path}: {message}").format(
        path=path or "/", message=_short(message)
    )
    if more > 0:
        text += " " + _("(and {n} more)").format(n=more)
    return text


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts)


def check_csaf(doc: dict[str, Any]) -> list[str]:
    """Refuse a schema-invalid CSAF document; return failed mandatory tests as warnings.

    The verdict comes from the ``csaf`` package's schemas and mandatory tests. The schema
    check runs on a compiled ``jsonschema-rs`` validator built once per process (the ``csaf``
    package's own fast path for 2.1, built here the same way for 2.0); a document it refuses
    is checked again by the package's ``jsonschema`` path, so the reason is worded as before.
    """
    _reuse_compiled_jsonpath()
    version = str(doc.get("document", {}).get("csaf_version", ""))
    if version == "2.0":
        return _check_csaf20(doc)
    if version == "2.1":
        return _check_csaf21(doc)
    raise Rejected(_("unsupported CSAF version {version!r}").format(version=version))


# The CSAF 2.1 committee drafts the ``csaf`` package ships, newest first after its own stage.
CSAF21_EARLIER_DRAFTS = ("csd03", "csd02")


def _check_csaf21(doc: dict[str, Any]) -> list[str]:
    import importlib

    from csaf.csaf.v21 import SPEC_STAGE
    from csaf.csaf.v21._validator import validate as validate21

    report = validate21(doc, preset="mandatory")
    if report.results[0].passed:
        return _csaf_verdict(report.results)
    for draft in CSAF21_EARLIER_DRAFTS:
        if draft == SPEC_STAGE:
            continue
        try:
            earlier = importlib.import_module(f"csaf.csaf.v21{draft}._validator")
        except ImportError:  # a later release of the package dropped that draft
            continue
        older = earlier.validate(doc, preset="mandatory")
        if older.results[0].passed:
            note = _(
                "written to CSAF 2.1 committee draft {draft}, not the current {current}: "
                "checked against that draft"
            ).format(draft=draft.upper(), current=str(SPEC_STAGE).upper())
            return [note, *_csaf_verdict(older.results)]
    # Refused by every draft: the reason is the current draft's, worded by the jsonschema path.
    report = validate21(doc, preset="mandatory", fast_schema=False)
    return _csaf_verdict(report.results)


@cache
def _reuse_compiled_jsonpath() -> None:
    """Keep compiled JSONPath queries for the ``csaf`` package's mandatory tests.

    Those tests call ``jsonpath.finditer(query, doc)``, which compiles the same thirty-odd
    query strings again for every document: a third of their time. python-jsonpath documents
    ``JSONPathEnvironment.compile`` as preparing a path "for repeated matching against
    different data", and a compiled path keeps no per-document state (filter caches are
    rebuilt on every match), so the default environment's compile is memoised per process.
    """
    import jsonpath

    env = jsonpath.DEFAULT_ENV
    if not hasattr(env.compile, "cache_info"):
        setattr(env, "compile", functools.lru_cache(maxsize=512)(env.compile))  # noqa: B010


def _csaf_verdict(results: Any) -> list[str]:
    schema = results[0]
    if not schema.passed:
        errors = [(e.instance_path, e.message) for e in schema.errors]
        raise Rejected(_first_error(errors or [("/", _("invalid"))]))
    warnings = []
    for result in results[1:]:
        if result.skipped or result.passed:
            continue
        first = result.errors[0] if result.errors else None
        detail = f" ({first.instance_path}: {first.message})" if first else ""
        warnings.append(
            _("CSAF mandatory test {id} failed: {title}").format(id=result.id, title=result.title)
            + detail
        )
    return warnings


@cache
def _csaf20_schema() -> Any:
    """CSAF 2.0's bundled schema (and the CVSS schemas it references) on jsonschema-rs, with
    the ``csaf`` package's format checks; references resolve only to the bundled files."""
    try:
        import jsonschema_rs
    except ImportError:  # not installed: the package's jsonschema path decides alone
        return None
    import msgspec.json
    from csaf._jsonschema import FORMATS
    from csaf.csaf.v20 import _validator as v20

    by_uri: dict[str, Any] = {
        uri: msgspec.json.decode((v20._SCHEMA_DIR / rel).read_bytes())
        for uri, rel in v20._URI_CATALOG.items()
    }
    for path in v20._SCHEMA_DIR.rglob("*.json"):
        schema = msgspec.json.decode(path.read_bytes())
        for key in ("$id", "id"):
            if isinstance(schema, dict) and isinstance(schema.get(key), str):
                by_uri[schema[key].split("?")[0]] = schema

    def retrieve(uri: str) -> Any:
        found = by_uri.get(uri.split("?")[0])
        if found is None:
            raise LookupError(uri)  # never the network
        return found

    return jsonschema_rs.Draft202012Validator(
        v20._main_schema(), retriever=retrieve, validate_formats=True, formats=FORMATS
    )


# Mandatory tests that can only fail in a document holding one of these keys: each looks
# only at values under them (read in the csaf package's rules: 6.1.4 at referenced
# ``group_ids``, 6.1.8 at a score's ``cvss_v2``/``cvss_v3``, 6.1.13 at ``purl``, 6.1.25 at
# ``hashes[*].file_hashes``). In a document without them they find nothing, so they are not
# run: a third of the mandatory tests' time on CISA's advisories, which have no purls or hashes.
CSAF20_NEEDS_KEYS: dict[str, frozenset[str]] = {
    # 6.1.1 reports references to undefined product ids: it reads them only under these keys
    # (its referencing paths' last step); 6.1.2 a product id defined twice: none, none twice.
    "6.1.1": frozenset(
        {
            "product_ids",
            "product_reference",
            "relates_to_product_reference",
            "first_affected",
            "first_fixed",
            "fixed",
            "known_affected",
            "known_not_affected",
            "last_affected",
            "recommended",
            "under_investigation",
            "products",
        }
    ),
    "6.1.2": frozenset({"product_id"}),
    "6.1.4": frozenset({"group_ids"}),
    "6.1.8": frozenset({"cvss_v2", "cvss_v3"}),
    "6.1.13": frozenset({"purl"}),
    "6.1.25": frozenset({"file_hashes"}),
}


def _keys(doc: Any) -> set[str]:
    """Every object key anywhere in a parsed JSON document (one walk, no recursion)."""
    found: set[str] = set()
    todo = [doc]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            found.update(node)
            todo.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            todo.extend(v for v in node if isinstance(v, dict | list))
    return found


def _check_csaf20(doc: dict[str, Any], skip_unneeded: bool = True) -> list[str]:
    from csaf.csaf.v20 import _validator as v20
    from csaf.csaf.v20 import validate
    from csaf.csaf.v20.rules._registry import all_rules

    fast = _csaf20_schema()
    if fast is None or not fast.is_valid(doc):
        return _csaf_verdict(validate(doc, preset="mandatory").results)
    # Schema-valid: the package's mandatory tests (CSAF 2.0 section 6.1), in its catalogue
    # order, exactly as validate(preset="mandatory") runs them after its schema step.
    rules = all_rules()
    keys = _keys(doc) if skip_unneeded else None
    warnings = []
    for entry in v20._catalog():
        status = entry.get("status", "")
        if entry["group"] != "mandatory" or status in ("obsolete", "not_implemented"):
            continue
        fn = rules.get(entry["id"])
        if fn is None:
            continue
        needs = CSAF20_NEEDS_KEYS.get(entry["id"])
        if keys is not None and needs is not None and keys.isdisjoint(needs):
            continue  # it can find nothing here
        errors = fn(doc)
        if errors:
            first = errors[0]
            warnings.append(
                _("CSAF mandatory test {id} failed: {title}").format(
                    id=entry["id"], title=entry["title"]
                )
                + f" ({first.instance_path}: {first.message})"
            )
    return warnings


@cache
def _cve_validator() -> Any:
    import cvelib

    path = Path(cvelib.__file__).parent / "schemas" / "CVE_JSON_bundled_5.1.1.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _osv_validator() -> Any:
    schema = json.loads(OSV_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _deepest(error: Any) -> Any:
    """Into oneOf/anyOf alternatives, down to the most relevant failure of the closest one:
    "matches no alternative" at the root names nothing that could be fixed."""
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    return error


def _describe(error: Any) -> str:
    """What the schema wanted, in words that never quote the document's values (they may be
    report content, and a reason is shown, printed and kept)."""
    if error.validator in _NAMING_KEYWORDS:
        return str(error.message)
    rule = json.dumps(error.validator_value, ensure_ascii=False, default=str)
    return _('fails the schema\'s "{keyword}" rule: {rule}').format(
        keyword=error.validator, rule=_short(rule, 80)
    )


def _check(validator: Any, obj: Any) -> None:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        best = _deepest(jsonschema.exceptions.best_match(errors))
        raise Rejected(
            _first_error(
                [(_pointer(best.absolute_path), _describe(best))] + [("", "")] * (len(errors) - 1)
            )
        )


def check_cve(obj: Any) -> None:
    _check(_cve_validator(), obj)


def check_osv(obj: Any) -> None:
    _check(_osv_validator(), obj)
