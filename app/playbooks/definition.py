"""Playbook definitions: versioned YAML files in resources/playbooks/, validated on load.

A malformed file is refused with the file, the line and the problem: YAML syntax errors carry
PyYAML's mark, schema errors (resources/playbooks/schema.json) and graph errors (unknown step,
unreachable step, cycle) are mapped back to the line of the offending node.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from app.errors import AccordError, NotFound
from i18n import _
from taxonomy.data import resources_dir

ROLES = ("analyst", "shift-lead", "coordinator")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class PlaybookError(AccordError):
    """A playbook file is malformed; the message names the file, the line and the problem."""


def playbooks_dir() -> Path:
    return resources_dir() / "playbooks"


def parse_duration(text: str) -> timedelta:
    """``"90m"``, ``"4h"``, ``"3d"``, ``"2w"`` → timedelta (the schema allows nothing else)."""
    m = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if m is None:
        raise ValueError(text)
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


@dataclass(frozen=True)
class Decision:
    input: str
    branches: tuple[tuple[str, str], ...]  # (value, first step of that branch)

    def target(self, value: str) -> str | None:
        return dict(self.branches).get(value)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(v for v, _t in self.branches)


@dataclass(frozen=True)
class StepDef:
    id: str
    title: str
    owner: str
    inputs: tuple[str, ...]
    checks: tuple[str, ...]
    next: tuple[str, ...]
    decision: Decision | None
    duration: timedelta | None
    due_from: str | None
    due_after: timedelta | None
    line: int

    @property
    def successors(self) -> tuple[str, ...]:
        if self.decision is not None:
            return tuple(dict.fromkeys(t for _v, t in self.decision.branches))
        return self.next

    @property
    def partner(self) -> str | None:
        """The partner organisation owning the step (``*``: any partner), or None for a role."""
        return self.owner.removeprefix("partner:") if self.owner.startswith("partner:") else None


@dataclass(frozen=True)
class Playbook:
    id: str
    version: str
    title: str
    description: str
    applies_to: tuple[str, ...]
    steps: tuple[StepDef, ...]
    path: Path

    def step(self, step_id: str) -> StepDef:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise NotFound(
            _("playbook {playbook} has no step {step}").format(playbook=self.id, step=step_id)
        )

    @functools.cached_property
    def predecessors(self) -> Mapping[str, tuple[str, ...]]:
        preds: dict[str, list[str]] = {s.id: [] for s in self.steps}
        for s in self.steps:
            for t in s.successors:
                preds[t].append(s.id)
        return {k: tuple(v) for k, v in preds.items()}

    @functools.cached_property
    def branch_labels(self) -> Mapping[str, str]:
        """``step id → "input=value"`` for the first step of each decision's branch."""
        labels: dict[str, str] = {}
        for s in self.steps:
            if s.decision is not None:
                values: dict[str, list[str]] = {}
                for value, target in s.decision.branches:
                    values.setdefault(target, []).append(value)
                for target, vs in values.items():
                    labels[target] = f"{s.decision.input}=" + "/".join(vs)
        return labels


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((playbooks_dir() / "schema.json").read_text("utf-8"))
    return data


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, f"key:{key.value}")] = key.start_mark.line + 1
            _node_lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, (*path, i), out)


def _line_of(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def parse(text: str, source: str = "<playbook>") -> Playbook:
    """Parse and validate one playbook; raise PlaybookError naming the line and the problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or str(exc)
        raise PlaybookError(
            _("{file}: line {line}: {problem}").format(file=source, line=line, problem=problem)
        ) from None
    except yaml.YAMLError as exc:
        raise PlaybookError(_("{file}: {problem}").format(file=source, problem=exc)) from None
    if node is None or not isinstance(data, dict):
        raise PlaybookError(_("{file}: line 1: a playbook must be a mapping").format(file=source))
    lines: dict[tuple[Any, ...], int] = {}
    _node_lines(node, (), lines)

    def fail(path: tuple[Any, ...], problem: str) -> PlaybookError:
        where = "/".join(str(p) for p in path) or "(top)"
        return PlaybookError(
            _("{file}: line {line}: {where}: {problem}").format(
                file=source, line=_line_of(lines, path), where=where, problem=problem
            )
        )

    _check_keys_are_strings(data, (), fail)
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise fail(tuple(err.absolute_path), err.message)
    return _build(data, source, lines, fail)


def _check_keys_are_strings(value: Any, path: tuple[Any, ...], fail: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise fail(
                    path,
                    _(
                        "key {key} is not text (YAML reads yes/no/on/off as booleans: quote it)"
                    ).format(key=repr(k)),
                )
            _check_keys_are_strings(v, (*path, k), fail)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_keys_are_strings(v, (*path, i), fail)


def _build(
    data: dict[str, Any], source: str, lines: dict[tuple[Any, ...], int], fail: Any
) -> Playbook:
    raw_steps: list[dict[str, Any]] = data["steps"]
    ids = [s["id"] for s in raw_steps]
    seen: set[str] = set()
    for i, sid in enumerate(ids):
        if sid in seen:
            raise fail(("steps", i, "id"), _("step id {step} is used twice").format(step=sid))
        seen.add(sid)
    steps: list[StepDef] = []
    for i, raw in enumerate(raw_steps):
        decision = None
        if "decision" in raw:
            d = raw["decision"]
            decision = Decision(d["input"], tuple((str(v), t) for v, t in d["branches"].items()))
            for value, target in decision.branches:
                if target not in seen:
                    raise fail(
                        ("steps", i, "decision", "branches", value),
                        _("branch {value} goes to unknown step {step}").format(
                            value=value, step=target
                        ),
                    )
            if decision.input not in raw.get("inputs", []):
                raise fail(
                    ("steps", i, "decision", "input"),
                    _("decision input {input} is not one of the step's inputs").format(
                        input=decision.input
                    ),
                )
        if "next" in raw:
            nxt = tuple(raw["next"])
        elif decision is None and i + 1 < len(raw_steps):
            nxt = (ids[i + 1],)
        else:
            nxt = ()
        for j, target in enumerate(nxt):
            if target not in seen:
                raise fail(
                    ("steps", i, "next", j),
                    _("next goes to unknown step {step}").format(step=target),
                )
            if target == raw["id"]:
                raise fail(("steps", i, "next", j), _("a step cannot follow itself"))
        due = raw.get("due")
        steps.append(
            StepDef(
                id=raw["id"],
                title=raw["title"],
                owner=raw["owner"],
                inputs=tuple(raw.get("inputs", [])),
                checks=tuple(raw.get("checks", [])),
                next=nxt,
                decision=decision,
                duration=parse_duration(raw["duration"]) if "duration" in raw else None,
                due_from=(due.get("from", "start") if due else None),
                due_after=parse_duration(due["after"]) if due else None,
                line=_line_of(lines, ("steps", i)),
            )
        )
    pb = Playbook(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        description=data.get("description", ""),
        applies_to=tuple(data.get("applies_to", [])),
        steps=tuple(steps),
        path=Path(source),
    )
    _check_graph(pb, fail)
    return pb


def _check_graph(pb: Playbook, fail: Any) -> None:
    index = {s.id: i for i, s in enumerate(pb.steps)}
    # Every step reachable from the first one, and no cycles (a run must be able to finish).
    state: dict[str, int] = {}

    def visit(sid: str) -> None:
        state[sid] = 1
        for t in pb.step(sid).successors:
            if state.get(t) == 1:
                raise fail(
                    ("steps", index[sid]),
                    _("steps {a} and {b} form a cycle").format(a=sid, b=t),
                )
            if t not in state:
                visit(t)
        state[sid] = 2

    visit(pb.steps[0].id)
    for s in pb.steps:
        if s.id not in state:
            raise fail(
                ("steps", index[s.id]),
                _("step {step} cannot be reached from the first step").format(step=s.id),
            )


def topological(pb: Playbook) -> tuple[str, ...]:
    """Step ids so that every step comes after all of its predecessors."""
    order: list[str] = []
    done: set[str] = set()

    def visit(sid: str) -> None:
        if sid in done:
            return
        done.add(sid)
        for p in pb.predecessors[sid]:
            visit(p)
        order.append(sid)

    for s in pb.steps:
        visit(s.id)
    return tuple(order)


def load_file(path: Path) -> Playbook:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PlaybookError(
            _("{file}: {problem}").format(file=path, problem=exc.strerror)
        ) from None
    except UnicodeDecodeError:
        raise PlaybookError(_("{file}: not UTF-8 text").format(file=path)) from None
    return parse(text, str(path))


@functools.lru_cache(maxsize=1)
def _catalog() -> dict[tuple[str, str], Playbook]:
    found: dict[tuple[str, str], Playbook] = {}
    for path in sorted(playbooks_dir().glob("*.yaml")):
        pb = load_file(path)
        if (pb.id, pb.version) in found:
            raise PlaybookError(
                _("{file}: playbook {id} version {version} is also in {other}").format(
                    file=path, id=pb.id, version=pb.version, other=found[pb.id, pb.version].path
                )
            )
        found[pb.id, pb.version] = pb
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def all_playbooks() -> list[Playbook]:
    """The newest version of every shipped playbook, by id."""
    newest: dict[str, Playbook] = {}
    for pb in _catalog().values():
        if pb.id not in newest or _version_key(pb.version) > _version_key(newest[pb.id].version):
            newest[pb.id] = pb
    return sorted(newest.values(), key=lambda p: p.id)


def get(playbook_id: str, version: str | None = None) -> Playbook:
    """A shipped playbook: the given version, or the newest one."""
    pid = playbook_id.strip()
    if version is not None:
        pb = _catalog().get((pid, version))
        if pb is None:
            raise NotFound(
                _("playbook {id} version {version} is not installed").format(
                    id=pid, version=version
                )
            )
        return pb
    for pb in all_playbooks():
        if pb.id == pid:
            return pb
    known = ", ".join(p.id for p in all_playbooks())
    raise NotFound(_("no playbook {id}; playbooks are: {known}").format(id=pid, known=known))
