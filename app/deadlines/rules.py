"""Jurisdiction rules as data: load, validate and index the YAML files.

One file per jurisdiction or programme (``resources/jurisdictions/*.yaml``), checked against
``schema.json``; a team may add its own files. A malformed file is refused with its path, the
line and the problem, using PyYAML's node marks.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import yaml

from app.errors import UsageError
from i18n import _

RULES_DIR = Path(__file__).resolve().parents[2] / "resources" / "jurisdictions"
SCHEMA_FILE = RULES_DIR / "schema.json"
ENV_DIRS = "ACCORD_JURISDICTIONS"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFSET_UNITS = ("hours", "days", "business_days", "months", "timely")
# Who may owe an obligation; ``this-cert`` is us, every other role is a party's duty we watch.
THIS_CERT = "this-cert"
DUTY_HOLDERS = (
    THIS_CERT,
    "manufacturer",
    "deployer",
    "essential-entity",
    "important-entity",
    "provider-high-risk-ai",
    "reporter",
    "coordinator",
)
COMPUTATIONS = ("exact", "calendar", "end-of-day", "working-day")
# The computation a rule uses when its file does not say (what the engine always did).
DEFAULT_COMPUTATION = {
    "hours": "exact",
    "days": "exact",
    "business_days": "calendar",
    "months": "calendar",
    "timely": "exact",
}
# Facts that do not start a clock but matter to the engine (embargo conflicts).
EMBARGO_FACTS = ("embargo-until", "publication-planned")


@dataclass(frozen=True)
class Rule:
    """One obligation: ``offset`` after ``trigger`` (a case fact), owed to ``recipient``."""

    id: str
    jurisdiction: str
    programme: str
    trigger: str
    unit: str
    amount: int
    recipient: str
    obligation: str
    binding: bool
    effective: date
    until: date | None
    source: str
    url: str
    requires: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    met_by: str | None = None
    configurable: bool = False
    due_soon_hours: float = 24.0
    owed_by: str = THIS_CERT
    # Every role whose holder owes it (NIS2: an essential or an important entity).
    holder_roles: tuple[str, ...] = (THIS_CERT,)
    # The party owing it when the case names none: a programme's own coordinator (JPCERT/CC).
    holder: str | None = None
    owed_to: str = ""
    publishes: bool = False
    computation: str = "exact"
    computation_why: str = ""
    fact_party: str | None = None

    @property
    def cited_source(self) -> str:
        return f"{self.source} — {self.url}"

    @property
    def ours(self) -> bool:
        """True when this CERT owes it; otherwise it is a party's duty that we watch."""
        return THIS_CERT in self.holder_roles


@dataclass(frozen=True)
class RuleFile:
    """A jurisdiction or programme: its calendar (zone, weekend, holidays) and its rules."""

    code: str
    jurisdiction: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    always: bool
    timezone: str
    weekend: frozenset[int]
    holidays: frozenset[date]
    rules: tuple[Rule, ...]
    path: str
    text: str = ""
    origin: str = "built-in"
    holiday_country: str | None = None
    holiday_subdiv: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def answers_to(self, code: str) -> bool:
        c = code.strip().upper()
        return c == self.code or c == self.jurisdiction or c in self.aliases


@dataclass(frozen=True)
class RuleSet:
    files: tuple[RuleFile, ...]

    def rule(self, rule_id: str) -> Rule:
        for f in self.files:
            for r in f.rules:
                if r.id == rule_id:
                    return r
        raise UsageError(_("no deadline rule {rule}").format(rule=rule_id))

    def file_of(self, rule_id: str) -> RuleFile:
        for f in self.files:
            if any(r.id == rule_id for r in f.rules):
                return f
        raise UsageError(_("no deadline rule {rule}").format(rule=rule_id))

    def known_codes(self) -> list[str]:
        codes: set[str] = set()
        for f in self.files:
            codes.update((f.code, f.jurisdiction, *f.aliases))
        return sorted(codes)

    def files_for(self, codes: Iterable[str]) -> list[RuleFile]:
        wanted = [c.strip().upper() for c in codes]
        return [f for f in self.files if f.always or any(f.answers_to(c) for c in wanted)]

    def facts(self) -> list[str]:
        """Every fact name a rule refers to, plus the embargo facts."""
        names: set[str] = set(EMBARGO_FACTS)
        for f in self.files:
            for r in f.rules:
                names.update((r.trigger, *r.requires, *r.unless))
                if r.met_by:
                    names.add(r.met_by)
        return sorted(names)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so the schema sees what the file says."""


# The same with libyaml's parser where PyYAML has it: every process that shows deadlines
# loads the rules once, and the pure-Python parser took about 0.08 s of it. A file it
# refuses is parsed again by ``_Loader``, whose messages are the ones users have seen.
class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``_Loader`` on libyaml (dates kept as strings too, below)."""


_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data, from one parse."""
    loader: _FastLoader | _Loader
    try:
        loader = _FastLoader(text)
    except yaml.YAMLError:
        loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError:
            if isinstance(loader, _Loader):
                raise
            loader.dispose()
            loader = _Loader(text)  # its message, not libyaml's
            root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


def _node_at(node: yaml.Node, path: Sequence[object]) -> yaml.Node:
    """The YAML node for a JSON path, as deep as the path exists (for its line number)."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _fail(path: str, line: int, problem: str) -> UsageError:
    return UsageError(
        _("{file}: line {line}: {problem}").format(file=path, line=line, problem=problem)
    )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def parse_text(text: str, path: str, origin: str = "built-in") -> RuleFile:
    """Validate and build one rules file; UsageError names the file, the line and the problem."""
    try:
        root, data = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise _fail(path, line, str(exc.problem or exc)) from None
    if root is None:
        raise _fail(path, 1, _("the file is empty"))
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        while err.context:  # a oneOf: the alternative that got furthest says what is wrong
            err = max(err.context, key=lambda e: len(e.absolute_path))
        where = "/".join(str(p) for p in err.absolute_path) or _("top level")
        raise _fail(
            path,
            _line(_node_at(root, list(err.absolute_path))),
            _("{where}: {message}").format(where=where, message=err.message),
        )
    return _build(data, root, path, text, origin)


def _date(value: str, node: yaml.Node, path: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(path, _line(node), _("{value} is not a date").format(value=value)) from None


def _build(data: dict[str, Any], root: yaml.Node, path: str, text: str, origin: str) -> RuleFile:
    try:
        ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(
            path,
            _line(_node_at(root, ["timezone"])),
            _("unknown time zone {zone}").format(zone=data["timezone"]),
        ) from None
    holidays = frozenset(
        _date(h, _node_at(root, ["holidays", i]), path)
        for i, h in enumerate(data.get("holidays", []))
    )
    default_soon = float(data.get("due_soon_hours", 24))
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(data["rules"]):
        node = _node_at(root, ["rules", i])
        if r["id"] in seen:
            raise _fail(
                path,
                _line(_node_at(node, ["id"])),
                _("duplicate rule id {rule}").format(rule=r["id"]),
            )
        seen.add(r["id"])
        if r["offset"] == "timely":  # no fixed period: "in a timely manner", "without delay"
            unit, amount = "timely", 0
        else:
            unit, amount = next(iter(r["offset"].items()))
        owed_to = r.get("owed_to", "")
        owed = r.get("owed_by", THIS_CERT)
        holder_roles = tuple(owed) if isinstance(owed, list) else (owed,)
        rules.append(
            Rule(
                id=r["id"],
                jurisdiction=data["jurisdiction"],
                programme=data["code"],
                trigger=r["trigger"],
                unit=unit,
                amount=int(amount),
                recipient=r["recipient"],
                obligation=r["obligation"],
                binding=bool(r.get("binding", False)),
                effective=_date(r["effective"], _node_at(node, ["effective"]), path),
                until=_date(r["until"], _node_at(node, ["until"]), path) if "until" in r else None,
                source=r["source"],
                url=r["url"],
                requires=tuple(r.get("requires", ())),
                unless=tuple(r.get("unless", ())),
                met_by=r.get("met_by"),
                configurable=bool(r.get("configurable", False)),
                due_soon_hours=float(r.get("due_soon_hours", default_soon)),
                owed_by=holder_roles[0],
                holder_roles=holder_roles,
                holder=r.get("holder"),
                owed_to=owed_to,
                publishes=bool(r.get("publishes", owed_to == "public")),
                computation=r.get("computation", DEFAULT_COMPUTATION[unit]),
                computation_why=r.get("computation_why", ""),
                fact_party=r.get("fact_party"),
            )
        )
    return RuleFile(
        code=data["code"],
        jurisdiction=data["jurisdiction"],
        name=data["name"],
        kind=data["kind"],
        aliases=tuple(data.get("aliases", ())),
        always=bool(data.get("always", False)),
        timezone=data["timezone"],
        weekend=frozenset(WEEKDAYS.index(d) for d in data.get("weekend", ["sat", "sun"])),
        holidays=holidays,
        rules=tuple(rules),
        path=path,
        text=text,
        origin=origin,
        holiday_country=data.get("holiday_country"),
        holiday_subdiv=data.get("holiday_subdiv"),
    )


# Parsed rule files per process, keyed by path, origin and the file's mtime and size: the
# queue and every case shown ask for the rules, and parsing plus schema checks cost ~100 ms.
# A file edited on disk has a new mtime/size and is parsed again (RuleFile is frozen).
_PARSED: dict[tuple[str, str, int, int], RuleFile] = {}
_PARSED_LOCK = threading.Lock()


def load_file(path: Path, origin: str | None = None) -> RuleFile:
    """One rule file, parsed and checked (once per process while the file is unchanged)."""
    if origin is None:
        origin = "built-in" if path.parent == RULES_DIR else _("file {path}").format(path=path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise UsageError(
            _("{file}: cannot read: {problem}").format(file=path, problem=exc)
        ) from None
    key = (str(path), origin, stat.st_mtime_ns, stat.st_size)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    if cached is not None:
        return cached
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            _("{file}: cannot read: {problem}").format(file=path, problem=exc)
        ) from None
    parsed = parse_text(text, str(path), origin)
    with _PARSED_LOCK:
        # Older versions of the same file are dropped: the cache holds what is on disk now.
        for stale in [k for k in _PARSED if k[0] == key[0] and k[1] == origin]:
            del _PARSED[stale]
        _PARSED[key] = parsed
    return parsed


def _dirs(extra: Sequence[Path]) -> list[Path]:
    dirs = [RULES_DIR, *extra]
    env = os.environ.get(ENV_DIRS)
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    return dirs


def load_rules(extra_dirs: Sequence[Path] = ()) -> RuleSet:
    """The shipped rules plus a team's files (extra folders and ``ACCORD_JURISDICTIONS``)."""
    files: list[RuleFile] = []
    for d in _dirs(extra_dirs):
        if d.is_dir():
            files.extend(load_file(p) for p in sorted(d.glob("*.yaml")))
    codes: dict[str, str] = {}
    ids: dict[str, str] = {}
    for f in files:
        if f.code in codes:
            raise UsageError(
                _("{file}: code {code} is already defined in {other}").format(
                    file=f.path, code=f.code, other=codes[f.code]
                )
            )
        codes[f.code] = f.path
        for r in f.rules:
            if r.id in ids:
                raise UsageError(
                    _("{file}: rule {rule} is already defined in {other}").format(
                        file=f.path, rule=r.id, other=ids[r.id]
                    )
                )
            ids[r.id] = f.path
    return RuleSet(tuple(files))


TEAM_RULES_DIR = "jurisdictions"


def for_workspace(directory: Path | None) -> RuleSet:
    """Shipped rules plus the team's files in ``WORKSPACE/jurisdictions`` and the env folders."""
    return load_rules([directory / TEAM_RULES_DIR] if directory is not None else [])


@lru_cache(maxsize=1)
def builtin_rules() -> RuleSet:
    """The shipped rules only (cached; the files are read-only data)."""
    return RuleSet(tuple(load_file(p) for p in sorted(RULES_DIR.glob("*.yaml"))))
