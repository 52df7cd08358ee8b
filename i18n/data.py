"""Texts of Accord's data files (playbooks, jurisdiction rules, the severity model), in the
reader's language when shown.

The files, the database, bundles, ``--json`` output and audit records keep the English the
files were written in; a screen or a human CLI line passes it through here. ``python -m
i18n.extract`` takes the msgids from the files themselves (``DATA_FIELDS``), one message
context per kind, so the English exists once. A text no catalog knows (a team's own rule file,
a partner's playbook) shows as written.
"""

from __future__ import annotations

from i18n.catalog import pgettext

PLAYBOOK = "playbook"
DEADLINE_RULE = "deadline rule"
JURISDICTION = "jurisdiction"
SEVERITY_MODEL = "severity model"

# Where the shown texts are in each kind of file: (files, context, key paths), ``*`` for every
# item of a list or every value of a mapping. tests/i18n/test_data_texts.py checks the files
# as the application loads them against what is extracted.
DATA_FIELDS: tuple[tuple[str, str, tuple[tuple[str, ...], ...]], ...] = (
    (
        "resources/playbooks/*.yaml",
        PLAYBOOK,
        (("title",), ("description",), ("steps", "*", "title"), ("steps", "*", "checks", "*")),
    ),
    (
        "resources/jurisdictions/*.yaml",
        DEADLINE_RULE,
        (
            ("rules", "*", "obligation"),
            ("rules", "*", "recipient"),
            ("rules", "*", "computation_why"),
        ),
    ),
    ("resources/jurisdictions/*.yaml", JURISDICTION, (("name",),)),
    (
        "resources/severity/*.yaml",
        SEVERITY_MODEL,
        (
            ("ai_factors", "*", "help"),
            ("ai_factors", "*", "values", "*", "label"),
            ("ai_factors", "*", "zero_successes", "label"),
            ("ai_factors", "*", "bands", "*", "label"),
            ("sectors", "*", "label"),
        ),
    ),
)


def _shown(context: str, text: str | None) -> str:
    if not text:
        return text or ""
    return pgettext(context, text)


def playbook_text(text: str | None) -> str:
    """A playbook's title or description, or a step's title or check."""
    return _shown(PLAYBOOK, text)


def rule_text(text: str | None) -> str:
    """A deadline rule's obligation, recipient or why its period is computed so."""
    return _shown(DEADLINE_RULE, text)


def jurisdiction_text(text: str | None) -> str:
    """The name of a jurisdiction or programme (a rule file's ``name``)."""
    return _shown(JURISDICTION, text)


def severity_text(text: str | None) -> str:
    """A severity model's value or sector label, or a factor's help."""
    return _shown(SEVERITY_MODEL, text)
