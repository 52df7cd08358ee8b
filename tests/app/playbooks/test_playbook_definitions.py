"""Playbook files are validated on load; a malformed one is refused naming line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.playbooks import PlaybookError, parse
from app.playbooks.definition import load_file, playbooks_dir, topological

GOOD = """\
id: tiny
version: "1.0"
title: Tiny
steps:
  - id: first
    title: First
    owner: analyst
    inputs: [answer]
    decision:
      input: answer
      branches:
        left: left
        right: right
  - id: left
    title: Left
    owner: "partner:CERT-Example"
    next: [last]
  - id: right
    title: Right
    owner: shift-lead
    duration: 2h
  - id: last
    title: Last
    owner: coordinator
    due: {from: vendor-contacted, after: 3d}
"""


def refused(text: str) -> str:
    with pytest.raises(PlaybookError) as info:
        parse(text, "bad.yaml")
    return str(info.value)


def test_good_playbook_parses_with_graph() -> None:
    pb = parse(GOOD, "tiny.yaml")
    assert [s.id for s in pb.steps] == ["first", "left", "right", "last"]
    assert pb.predecessors["last"] == ("left", "right")
    assert pb.step("left").partner == "CERT-Example"
    assert pb.step("last").due_from == "vendor-contacted"
    assert pb.branch_labels == {"left": "answer=left", "right": "answer=right"}
    order = topological(pb)
    assert order.index("first") < order.index("left") < order.index("last")


def test_every_shipped_file_validates() -> None:
    files = sorted(playbooks_dir().glob("*.yaml"))
    assert len(files) == 9
    for path in files:
        assert load_file(path).id == path.stem


def test_yaml_syntax_error_names_line() -> None:
    msg = refused(GOOD.replace("    owner: shift-lead\n", "    owner: [shift-lead\n"))
    # PyYAML notices the unclosed flow sequence at the next key, line 21.
    assert msg.startswith("bad.yaml: line 21: "), msg
    assert "expected" in msg, msg


def test_schema_error_names_line_and_field() -> None:
    msg = refused(GOOD.replace("owner: shift-lead", "owner: intern"))
    assert msg.startswith("bad.yaml: line 20: steps/2/owner:"), msg
    assert "intern" in msg


def test_missing_required_field_names_the_step_line() -> None:
    msg = refused(GOOD.replace("    title: Right\n", ""))
    assert "line 18" in msg and "'title' is a required property" in msg, msg


def test_unknown_branch_target() -> None:
    msg = refused(GOOD.replace("right: right", "right: nowhere"))
    assert "line 13" in msg and "unknown step nowhere" in msg, msg


def test_unreachable_step() -> None:
    text = GOOD.replace("        right: right\n", "        right: left\n")
    msg = refused(text)
    assert "step right cannot be reached" in msg and "line 18" in msg, msg


def test_cycle_refused() -> None:
    msg = refused(GOOD.replace("next: [last]", "next: [first]"))
    assert "cycle" in msg, msg


def test_unquoted_yes_no_branch_values_explained() -> None:
    msg = refused(GOOD.replace("left: left", "yes: left").replace("right: right", "no: right"))
    assert "quote it" in msg and "line 12" in msg, msg


def test_duplicate_step_id() -> None:
    msg = refused(GOOD.replace("id: right", "id: left"))
    assert "used twice" in msg and "line 18" in msg, msg


def test_decision_input_must_be_an_input() -> None:
    msg = refused(GOOD.replace("inputs: [answer]", "inputs: [other]"))
    assert "decision input answer" in msg and "line 10" in msg, msg


def test_bad_duration_and_not_a_mapping() -> None:
    assert "2 hours" in refused(GOOD.replace("duration: 2h", "duration: 2 hours"))
    assert "mapping" in refused("- just\n- a list\n")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlaybookError, match=r"x\.yaml"):
        load_file(bad)
