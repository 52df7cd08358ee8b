"""Deadlines across jurisdictions: rules as data, exact arithmetic, obligations per case."""

from app.deadlines.engine import STATES, Computed, add_offset, compute, local_times
from app.deadlines.rules import Rule, RuleFile, RuleSet, builtin_rules, load_file, load_rules
from app.deadlines.service import (
    DeadlineView,
    configure,
    deadlines,
    mark_met,
    parse_time,
    recompute,
    recompute_all,
    set_fact,
    set_jurisdictions,
)

__all__ = [
    "STATES",
    "Computed",
    "DeadlineView",
    "Rule",
    "RuleFile",
    "RuleSet",
    "add_offset",
    "builtin_rules",
    "compute",
    "configure",
    "deadlines",
    "load_file",
    "load_rules",
    "local_times",
    "mark_met",
    "parse_time",
    "recompute",
    "recompute_all",
    "set_fact",
    "set_jurisdictions",
]
