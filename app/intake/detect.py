"""Recognise a document's format from its bytes and name, refusing hostile input early.

Order of checks: empty, size, binary, UTF-8, then structure (JSON/YAML with a nesting-depth
and node-count limit), then the format by content. Each refusal is one line.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from app.intake.model import Limits, Rejected
from i18n import _

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
SPREADSHEET_SUFFIXES = (".csv", ".xlsx")
ZIP_MAGIC = b"PK\x03\x04"
# Below this many values an aliased YAML document is never refused for its expansion.
ALIAS_FLOOR = 10_000


def suffix(name: str) -> str:
    base = name.rsplit("!", 1)[-1].rsplit("/", 1)[-1].lower()
    return "." + base.rsplit(".", 1)[-1] if "." in base else ""


def check_bytes(data: bytes, limits: Limits) -> None:
    if not data.strip():
        raise Rejected(_("empty file"))
    if len(data) > limits.max_file_size:
        raise Rejected(
            _("file larger than the limit of {mb} MB").format(mb=limits.max_file_size // 2**20)
        )


def decode_text(data: bytes) -> str:
    """Strict UTF-8 (a BOM is allowed); binary content and invalid bytes are refused."""
    if b"\x00" in data:
        raise Rejected(_("binary file (NUL bytes), not a text document"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Rejected(_("invalid UTF-8 at byte {pos}").format(pos=exc.start)) from None


def check_depth(obj: Any, limits: Limits) -> None:
    """Walk a parsed JSON value level by level: nesting deeper than the limit, or too many
    values, is refused. (JSON never shares a node; YAML can: see ``check_expansion``.)"""
    level: list[Any] = [obj] if isinstance(obj, dict | list) else []
    depth = 1
    nodes = 0
    while level:
        if depth > limits.max_depth:
            raise Rejected(_("nesting deeper than {n} levels").format(n=limits.max_depth))
        below: list[Any] = []
        for node in level:
            nodes += len(node)
            below.extend(
                c
                for c in (node.values() if isinstance(node, dict) else node)
                if isinstance(c, dict | list)
            )
        if nodes > limits.max_nodes:
            raise Rejected(_("more than {n} values in one document").format(n=limits.max_nodes))
        level = below
        depth += 1


def check_expansion(obj: Any, limits: Limits) -> None:
    """A parsed YAML value as every later step sees it, aliases expanded: its depth and
    number of values, each node measured once (so a "billion laughs" file is measured in
    the time its few distinct nodes take). Refused: recursive aliases, nesting deeper than
    the limit, more values than the limit, or aliases that multiply the document more than
    ``limits.yaml_max_expansion`` times."""
    measured: dict[int, tuple[int, int]] = {}  # node id -> (depth, values), aliases expanded
    open_nodes: set[int] = set()
    distinct = 0
    stack: list[tuple[Any, bool]] = [(obj, False)] if isinstance(obj, dict | list) else []
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in measured:
            continue
        children = [
            c
            for c in (node.values() if isinstance(node, dict) else node)
            if isinstance(c, dict | list)
        ]
        if not children_done:
            if key in open_nodes:
                raise Rejected(_("recursive YAML alias"))
            open_nodes.add(key)
            stack.append((node, True))
            for c in children:
                if id(c) in open_nodes:
                    raise Rejected(_("recursive YAML alias"))
                stack.append((c, False))
            continue
        open_nodes.discard(key)
        distinct += len(node)
        depth = 1 + max((measured[id(c)][0] for c in children), default=0)
        values = len(node) + sum(measured[id(c)][1] for c in children)
        if depth > limits.max_depth:
            raise Rejected(_("nesting deeper than {n} levels").format(n=limits.max_depth))
        if values > limits.max_nodes:
            raise Rejected(_("more than {n} values in one document").format(n=limits.max_nodes))
        measured[key] = (depth, values)
    if not measured:
        return
    expanded = measured[id(obj)][1]
    if expanded > ALIAS_FLOOR and expanded > limits.yaml_max_expansion * max(distinct, 1):
        raise Rejected(
            _("YAML aliases expand {n} values to {m} (alias bomb)").format(n=distinct, m=expanded)
        )


def load_json(text: str, limits: Limits) -> Any:
    try:
        obj = json.loads(text)
    except RecursionError:
        raise Rejected(_("nesting deeper than {n} levels").format(n=limits.max_depth)) from None
    except json.JSONDecodeError as exc:
        raise Rejected(
            _("invalid JSON at line {line}, column {col}: {msg}").format(
                line=exc.lineno, col=exc.colno, msg=exc.msg
            )
        ) from None
    check_depth(obj, limits)
    return obj


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, but timestamps stay strings (OSV and CSAF want RFC 3339 text)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, limits: Limits) -> Any:
    try:
        obj = yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise Rejected(_("nesting deeper than {n} levels").format(n=limits.max_depth)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" at line {line}").format(line=mark.line + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise Rejected(
            _("invalid YAML{where}: {problem}").format(where=where, problem=problem)
        ) from None
    check_expansion(obj, limits)
    return obj


def structured(data: bytes) -> Any:
    """The parsed JSON or YAML value of trusted, already-checked bytes, or None."""
    try:
        text = data.decode("utf-8-sig")
        return (
            json.loads(text) if text.lstrip()[:1] in ("{", "[") else yaml.load(text, Loader=_Loader)
        )
    except (ValueError, yaml.YAMLError, RecursionError):
        return None


def json_kind(obj: Any) -> str | None:
    """Which JSON document family this is, from its content alone."""
    if not isinstance(obj, dict):
        return None
    doc = obj.get("document")
    if isinstance(doc, dict) and "csaf_version" in doc:
        return "csaf"
    if obj.get("dataType") == "CVE_RECORD" or ("cveMetadata" in obj and "containers" in obj):
        return "cve5"
    if obj.get("data_type") == "AVID":
        return "avid"
    if (
        "id" in obj
        and "modified" in obj
        and ("affected" in obj or "aliases" in obj or "schema_version" in obj or "details" in obj)
    ):
        return "osv"
    return None


def sniff(name: str, data: bytes) -> str:
    """The parser to use: csaf, cve5, osv, avid, spreadsheet, email or text ('json' = unknown)."""
    ext = suffix(name)
    if ext == ".xlsx" or (data.startswith(ZIP_MAGIC) and ext != ".csv"):
        return "xlsx"
    if ext == ".csv":
        return "csv"
    if ext == ".eml":
        return "email"
    if ext in (".yaml", ".yml"):
        return "yaml"
    if ext == ".json":
        return "json"
    if ext in TEXT_SUFFIXES:
        return "text"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    lowered = data[:2048].lower()
    if b"\nsubject:" in b"\n" + lowered and (b"\nfrom:" in b"\n" + lowered):
        return "email"
    return "text"
