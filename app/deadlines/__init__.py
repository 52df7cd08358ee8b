"""Deadlines across jurisdictions: rules as data, exact arithmetic, obligations per case."""

from app.deadlines.casedata import parse_role, set_override, set_roles
from app.deadlines.engine import (
    COMPUTATION_TEXT,
    STATES,
    Computed,
    add_offset,
    compute,
    local_times,
)
from app.deadlines.rules import Rule, RuleFile, RuleSet, builtin_rules, load_file, load_rules
from app.deadlines.service import (
    FUTURE_FACTS,
    DeadlineView,
    configure,
    deadlines,
    deadlines_rules_for_case,
    known_facts,
    mark_met,
    parse_time,
    recompute,
    recompute_all,
    set_fact,
    set_jurisdictions,
    split_fact,
)

__all__ = [
    "COMPUTATION_TEXT",
    "FUTURE_FACTS",
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
    "deadlines_rules_for_case",
    "known_facts",
    "load_file",
    "load_rules",
    "local_times",
    "mark_met",
    "parse_role",
    "parse_time",
    "recompute",
    "recompute_all",
    "set_fact",
    "set_jurisdictions",
    "set_override",
    "set_roles",
    "split_fact",
]
