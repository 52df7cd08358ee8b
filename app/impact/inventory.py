"""Deployment inventories: CSV and XLSX sheets (column mapping) and CycloneDX 1.5/1.6 BOMs.

Every source becomes a list of :class:`Item` — one product, model or system running in one
deployment of one organisation — ready for matching against a case's affected products.
Files are read into memory only; nothing is written beside them.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from app.errors import AccordError, UsageError
from i18n import _

FIELDS = (
    "deployment",
    "organisation",
    "sector",
    "country",
    "product",
    "vendor",
    "version",
    "hash",
    "users",
    "kind",
    "purl",
)
# Common headers seen in asset inventories and CMDB exports, normalised (see _norm_header).
SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        [
            "deployment",
            "deployment id",
            "deployment name",
            "system",
            "system name",
            "instance",
            "site",
            "service",
            "asset",
            "asset id",
            "host",
            "hostname",
        ],
        "deployment",
    ),
    **dict.fromkeys(
        [
            "organisation",
            "organization",
            "org",
            "organisation name",
            "organization name",
            "company",
            "operator",
            "entity",
            "customer",
            "constituent",
            "owner",
        ],
        "organisation",
    ),
    **dict.fromkeys(["sector", "industry", "nace", "vertical"], "sector"),
    **dict.fromkeys(["country", "country code", "iso country", "iso 3166", "nation"], "country"),
    **dict.fromkeys(
        [
            "product",
            "product name",
            "model",
            "model name",
            "component",
            "component name",
            "software",
            "application",
            "name",
            "ai model",
        ],
        "product",
    ),
    **dict.fromkeys(
        ["vendor", "supplier", "manufacturer", "provider", "publisher", "model provider"], "vendor"
    ),
    **dict.fromkeys(
        ["version", "product version", "model version", "release", "revision"], "version"
    ),
    **dict.fromkeys(
        [
            "hash",
            "sha256",
            "sha 256",
            "digest",
            "checksum",
            "weights hash",
            "model hash",
            "file hash",
        ],
        "hash",
    ),
    **dict.fromkeys(
        [
            "users",
            "user count",
            "users count",
            "active users",
            "monthly active users",
            "mau",
            "seats",
            "end users",
        ],
        "users",
    ),
    **dict.fromkeys(["kind", "type", "component type", "asset type"], "kind"),
    **dict.fromkeys(["purl", "package url"], "purl"),
}
PROP = "accord:"  # our namespace for deployment facts in a BOM's metadata properties

Progress = Callable[[int, int, str], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Item:
    """One product, model or system found in one deployment."""

    deployment: str
    organisation: str
    sector: str
    country: str
    product: str
    vendor: str
    version: str
    hashes: tuple[str, ...]
    users: int | None
    kind: str
    purl: str
    source: str
    locator: str  # row number or bom-ref, to point back into the file


@dataclass(frozen=True)
class Inventory:
    file: str
    format: str
    sha256: str
    items: tuple[Item, ...]

    def summary(self) -> dict[str, Any]:
        deployments = {(i.organisation, i.deployment) for i in self.items}
        return {
            "file": self.file,
            "format": self.format,
            "sha256": self.sha256,
            "items": len(self.items),
            "deployments": len(deployments),
        }


def _norm_header(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[_\-./()]+", " ", text.strip().casefold())).strip()


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["Kunde=organisation", ...]`` → {column: field}; fields are checked against FIELDS."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, fld = pair.rpartition("=")
        fld = fld.strip().lower()
        if not sep or not column.strip():
            raise UsageError(_("--map takes COLUMN=FIELD, not {pair}").format(pair=pair))
        if fld not in FIELDS:
            raise UsageError(
                _("--map {pair}: unknown field {field}; fields are: {fields}").format(
                    pair=pair, field=fld, fields=", ".join(FIELDS)
                )
            )
        out[column.strip()] = fld
    return out


def map_columns(columns: Sequence[str], mapping: Mapping[str, str], source: str) -> dict[str, str]:
    """field → column: explicit ``--map`` entries first, then common headers auto-mapped."""
    chosen: dict[str, str] = {}
    by_norm = {_norm_header(c): c for c in columns}
    for column, fld in mapping.items():
        actual: str | None = column if column in columns else by_norm.get(_norm_header(column))
        if actual is None:
            continue  # the mapping may be meant for another of the files
        chosen[fld] = actual
    used = set(chosen.values())
    for column in columns:
        auto = SYNONYMS.get(_norm_header(column))
        if auto and auto not in chosen and column not in used:
            chosen[auto] = column
            used.add(column)
    if "product" not in chosen:
        raise UsageError(
            _(
                "{file}: no column for the product or model name; columns are: {columns} "
                "(map one with --map COLUMN=product)"
            ).format(file=source, columns=", ".join(columns))
        )
    return chosen


def _users(value: str, source: str, locator: str) -> int | None:
    text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not text:
        return None
    try:
        n = float(text)
    except ValueError:
        raise AccordError(
            _("{file}: {where}: users {value} is not a number").format(
                file=source, where=locator, value=value
            )
        ) from None
    if n < 0 or n != int(n):
        raise AccordError(
            _("{file}: {where}: users {value} is not a whole number of users").format(
                file=source, where=locator, value=value
            )
        )
    return int(n)


def _cell(row: Mapping[str, Any], column: str | None) -> str:
    if column is None:
        return ""
    value = row.get(column)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def read_table(data: bytes, source: str, kind: str, mapping: Mapping[str, str]) -> tuple[Item, ...]:
    """A CSV or XLSX sheet, one row per product in a deployment."""
    try:
        if kind == "csv":
            frame = pd.read_csv(
                io.BytesIO(data),
                dtype=str,
                keep_default_na=False,
                sep=None,
                engine="python",
                encoding="utf-8-sig",
            )
        else:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
    except Exception as exc:  # pandas raises many types for one unreadable file
        raise AccordError(
            _("{file}: cannot read as {kind}: {problem}").format(
                file=source, kind=kind.upper(), problem=exc
            )
        ) from None
    columns = [str(c) for c in frame.columns]
    frame.columns = pd.Index(columns)
    cols = map_columns(columns, mapping, source)
    items = []
    header_rows = 1
    for n, row in enumerate(frame.to_dict("records"), start=header_rows + 1):
        get = {f: _cell(row, cols.get(f)) for f in FIELDS}
        if not get["product"]:
            continue
        locator = _("row {n}").format(n=n)
        deployment = get["deployment"] or f"{Path(source).name}:{n}"
        items.append(
            Item(
                deployment=deployment,
                organisation=get["organisation"] or deployment,
                sector=get["sector"].lower(),
                country=get["country"].upper(),
                product=get["product"],
                vendor=get["vendor"],
                version=get["version"],
                hashes=tuple(h for h in re.split(r"[\s;|]+", get["hash"]) if h),
                users=_users(get["users"], source, locator),
                kind=get["kind"].lower(),
                purl=get["purl"],
                source=source,
                locator=locator,
            )
        )
    return tuple(items)


def _props(obj: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(p.get("name", "")): str(p.get("value", ""))
        for p in obj.get("properties", []) or []
        if isinstance(p, dict)
    }


def _org(meta: Mapping[str, Any]) -> tuple[str, str]:
    """Organisation name and country from metadata (manufacturer in 1.6, else supplier)."""
    for key in ("manufacturer", "supplier", "manufacture"):
        ent = meta.get(key)
        if isinstance(ent, dict) and ent.get("name"):
            country = ""
            address = ent.get("address")
            if isinstance(address, dict):
                country = str(address.get("country", ""))
            return str(ent["name"]), country
    return "", ""


def _walk(components: Sequence[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in components or []:
        if isinstance(c, dict):
            out.append(c)
            out.extend(_walk(c.get("components", [])))
    return out


def read_cyclonedx(data: bytes, source: str) -> tuple[Item, ...]:
    """A CycloneDX 1.5 or 1.6 JSON BOM describing one deployment; validated first."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        text = data.decode("utf-8-sig")
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AccordError(
            _("{file}: not JSON: {problem}").format(file=source, problem=exc)
        ) from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise AccordError(_("{file}: not a CycloneDX BOM (bomFormat)").format(file=source))
    spec = str(doc.get("specVersion", ""))
    if spec not in ("1.5", "1.6"):
        raise AccordError(
            _("{file}: CycloneDX {version} is not supported; use 1.5 or 1.6").format(
                file=source, version=spec or "?"
            )
        )
    error = JsonStrictValidator(SchemaVersion.from_version(spec)).validate_str(text)
    if error is not None:
        detail = getattr(error, "data", None)
        where = getattr(detail, "json_path", "$")
        problem = getattr(detail, "message", str(error))
        raise AccordError(
            _("{file}: invalid CycloneDX {version} at {where}: {problem}").format(
                file=source, version=spec, where=where, problem=problem
            )
        )
    meta = doc.get("metadata", {}) or {}
    props = _props(meta)
    top = meta.get("component", {}) or {}
    org, country = _org(meta)
    deployment = props.get(PROP + "deployment") or str(top.get("name", "")) or Path(source).name
    organisation = props.get(PROP + "organisation") or org or deployment
    users = _users(props.get(PROP + "users", ""), source, "metadata.properties")
    items = []
    for comp in _walk(doc.get("components", [])):
        ctype = str(comp.get("type", ""))
        vendor = ""
        for key in ("manufacturer", "supplier"):
            ent = comp.get(key)
            if isinstance(ent, dict) and ent.get("name"):
                vendor = str(ent["name"])
                break
        vendor = vendor or str(comp.get("publisher", "") or comp.get("group", ""))
        items.append(
            Item(
                deployment=deployment,
                organisation=organisation,
                sector=props.get(PROP + "sector", "").lower(),
                country=(props.get(PROP + "country") or country).upper(),
                product=str(comp["name"]),
                vendor=vendor,
                version=str(comp.get("version", "")),
                hashes=tuple(
                    str(h.get("content", ""))
                    for h in comp.get("hashes", []) or []
                    if h.get("content")
                ),
                users=users,
                kind="model" if ctype == "machine-learning-model" else ctype,
                purl=str(comp.get("purl", "")),
                source=source,
                locator=str(comp.get("bom-ref", "") or comp["name"]),
            )
        )
    return tuple(items)


def detect_format(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".json" or data.lstrip()[:1] == b"{":
        return "cyclonedx"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise UsageError(
        _("{file}: unknown inventory format; use .csv, .xlsx or a CycloneDX .json").format(
            file=path
        )
    )


def load(
    paths: Sequence[Path],
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> list[Inventory]:
    """Read every inventory file; checks ``cancel`` between files."""
    out: list[Inventory] = []
    for n, path in enumerate(paths):
        if cancel is not None and cancel():
            break
        if progress is not None:
            progress(n, len(paths), path.name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AccordError(
                _("{file}: cannot read: {problem}").format(file=path, problem=exc.strerror)
            ) from None
        fmt = detect_format(path, data)
        source = path.name
        if fmt == "cyclonedx":
            items = read_cyclonedx(data, source)
        else:
            items = read_table(data, source, fmt, mapping or {})
        out.append(Inventory(source, fmt, hashlib.sha256(data).hexdigest(), items))
    if progress is not None:
        progress(len(out), len(paths), "")
    return out
