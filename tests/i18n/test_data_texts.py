"""The texts of the data files (playbooks, jurisdiction rules, the severity model) are
extracted from the files themselves and translated in every language: a new playbook step or
rule cannot stay English unnoticed. The files as the application loads them are compared with
what ``python -m i18n.extract`` finds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.deadlines.rules import builtin_rules
from app.playbooks.definition import all_playbooks
from i18n import set_language
from i18n.build import compile_catalogs
from i18n.catalog import LANGUAGES, LOCALE_DIR, reload_catalogs, source_text
from i18n.data import (
    DEADLINE_RULE,
    JURISDICTION,
    PLAYBOOK,
    SEVERITY_MODEL,
    jurisdiction_text,
    playbook_text,
    rule_text,
    severity_text,
)
from i18n.extract import extract
from taxonomy.model import load_model

SEVERITY_FILES = sorted((LOCALE_DIR.parents[1] / "resources" / "severity").glob("*.yaml"))


def _shown_texts() -> set[tuple[str, str]]:
    """(context, text) of everything a reader sees of the loaded data, read by the loaders."""
    texts: set[tuple[str, str]] = set()
    for pb in all_playbooks():
        texts |= {(PLAYBOOK, pb.title), (PLAYBOOK, pb.description)}
        for step in pb.steps:
            texts.add((PLAYBOOK, step.title))
            texts |= {(PLAYBOOK, check) for check in step.checks}
    rules = builtin_rules()
    for file in rules.files:
        texts.add((JURISDICTION, file.name))
        for rule in file.rules:
            texts |= {(DEADLINE_RULE, rule.obligation), (DEADLINE_RULE, rule.recipient)}
            texts.add((DEADLINE_RULE, rule.computation_why))
    for path in SEVERITY_FILES:
        data = load_model(path).data
        for factor in data["ai_factors"].values():
            texts.add((SEVERITY_MODEL, factor["help"]))
            texts |= {(SEVERITY_MODEL, v["label"]) for v in factor.get("values", {}).values()}
            texts |= {(SEVERITY_MODEL, b["label"]) for b in factor.get("bands", [])}
            if "zero_successes" in factor:
                texts.add((SEVERITY_MODEL, factor["zero_successes"]["label"]))
        texts |= {(SEVERITY_MODEL, s["label"]) for s in data["sectors"].values()}
    return {(context, text) for context, text in texts if text}


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str, str], list[str]]:
    return {
        (m.context, m.id): [path for path, _line in m.locations]
        for m in extract()
        if m.context and isinstance(m.id, str)
    }


@pytest.fixture
def compiled() -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    set_language("en")


def test_every_shown_data_text_is_extracted_with_its_file(
    extracted: dict[tuple[str, str], list[str]],
) -> None:
    shown = _shown_texts()
    assert len(shown) > 150  # the loaders did read the shipped files
    missing = sorted(shown - set(extracted))
    assert not missing, "not extracted:\n" + "\n".join(f"  {c}: {t!r}" for c, t in missing)
    assert all(
        where and all(p.startswith("resources/") for p in where)
        for key, where in extracted.items()
        if key in shown
    )
    assert extracted[(PLAYBOOK, "Try to reproduce the finding")] == [
        "resources/playbooks/initial-triage.yaml"
    ]


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_data_text_is_translated(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "accord.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {(m.context, m.id) for m in catalog if m.context and m.string}
    missing = sorted(_shown_texts() - translated)
    assert not missing, f"untranslated in {lang}:\n" + "\n".join(
        f"  {c}: {t!r}" for c, t in missing
    )


def test_data_texts_are_shown_in_the_reader_language_and_known_again(compiled: None) -> None:
    set_language("ja")
    assert playbook_text("Try to reproduce the finding") == "報告内容の再現を試みる"
    assert rule_text("Reporter") == "報告者"
    assert (
        jurisdiction_text("CISA Coordinated Vulnerability Disclosure") == "CISAの協調的脆弱性開示"
    )
    assert severity_text("health") == "医療"
    # A title shown in Japanese is known again as its source after a switch.
    assert source_text("報告内容の再現を試みる") == "Try to reproduce the finding"
    set_language("ar")
    assert rule_text("Reporter") == "المبلّغ"
    # A team's own rule file, or a partner's playbook: shown as written.
    assert playbook_text("Our own step") == "Our own step"
    assert rule_text("") == "" and playbook_text(None) == ""
    set_language("en")
    assert playbook_text("Try to reproduce the finding") == "Try to reproduce the finding"


def test_a_context_keeps_a_data_text_apart_from_an_interface_message(compiled: None) -> None:
    """ "Reporter" is a column header and a rule's recipient; each has its own entry."""
    set_language("fr")
    assert rule_text("Reporter") == "Signalant"
    from i18n import _

    assert _("Reporter") not in ("Reporter", "Signalant")  # the interface's own translation


def test_extracted_locations_point_at_the_lines() -> None:
    template = {(m.context, m.id): m.locations for m in extract() if m.context}
    ((path, line),) = template[(PLAYBOOK, "Try to reproduce the finding")]
    lines = Path(LOCALE_DIR.parents[1] / path).read_text(encoding="utf-8").splitlines()
    assert "Try to reproduce the finding" in lines[line - 1]


def test_severity_explanation_in_the_language_json_moves_in_english(compiled: None) -> None:
    from app import severity

    inputs = severity.build_inputs(
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        ai_pairs=["access=public-api", "success=10/10", "class=LLM02:2025"],
        sector="health",
    )
    set_language("ja")
    result = severity.evaluate(inputs)
    text = result["explanation"]
    assert "公開APIまたは製品のインターフェース" in text and "医療" in text
    assert "レベル 緊急" in text and "下限 0." in text and "AIクラス LLM02:2025 から" in text
    assert "lower bound" not in text and "from AI class" not in text
    assert "（High）" in text  # the CVSS severity keeps the specification's word
    moves = {m["factor"]: m for m in result["moves"]}
    assert moves["access"]["label"] == "the public API or product interface"
    assert moves["success_rate"]["note"].startswith("lower bound ")
    assert result["tier"] == "Critical"
