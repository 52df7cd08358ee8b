"""JSON-schema checks, each schema taken from where it is maintained.

- CSAF 2.0 / 2.1: the schemas and mandatory tests of the ``csaf`` package (its Python API;
  nothing is written to disk). A schema violation refuses the document; a failed mandatory
  test (CSAF 2.0 section 6.1, CSAF 2.1 section 6.1) becomes a warning on the report.
- CVE JSON 5.x: the bundled record schema that ``cvelib`` ships.
- OSV: ``resources/schemas/osv/schema.json``, a copy of ossf/osv-schema
  ``validation/schema.json`` (JSON Schema 2020-12). It is vendored because no maintained
  Python package ships it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from app.intake.model import Rejected
from i18n import _

OSV_SCHEMA = Path(__file__).resolve().parents[2] / "resources" / "schemas" / "osv" / "schema.json"
MAX_ERRORS_SHOWN = 1


def _first_error(errors: list[tuple[str, str]]) -> str:
    path, message = errors[0]
    more = len(errors) - 1
    text = _("schema violation at {path}: {message}").format(path=path or "/", message=message)
    if more > 0:
        text += " " + _("(and {n} more)").format(n=more)
    return text


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts)


def check_csaf(doc: dict[str, Any]) -> list[str]:
    """Refuse a schema-invalid CSAF document; return failed mandatory tests as warnings."""
    version = str(doc.get("document", {}).get("csaf_version", ""))
    if version == "2.0":
        from csaf.csaf.v20 import validate
    elif version == "2.1":
        from csaf.csaf.v21._validator import validate
    else:
        raise Rejected(_("unsupported CSAF version {version!r}").format(version=version))
    report = validate(doc, preset="mandatory")
    schema = report.results[0]
    if not schema.passed:
        errors = [(e.instance_path, e.message) for e in schema.errors]
        raise Rejected(_first_error(errors or [("/", _("invalid"))]))
    warnings = []
    for result in report.results[1:]:
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


def _check(validator: Any, obj: Any) -> None:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise Rejected(
            _first_error(
                [(_pointer(best.absolute_path), best.message)] + [("", "")] * (len(errors) - 1)
            )
        )


def check_cve(obj: Any) -> None:
    _check(_cve_validator(), obj)


def check_osv(obj: Any) -> None:
    _check(_osv_validator(), obj)
