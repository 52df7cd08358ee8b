"""Rules files: the shipped ones are valid and cite their sources; malformed ones name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.deadlines import rules as rules_mod
from app.deadlines.rules import builtin_rules, load_file, load_rules, parse_text
from app.errors import UsageError
from tests.conftest import FIXTURES


def test_shipped_files_cover_the_issue() -> None:
    rs = builtin_rules()
    codes = {f.code for f in rs.files}
    assert {
        "EU-CRA",
        "EU-NIS2",
        "CISA",
        "CERT-CC",
        "GPZ",
        "ZDI",
        "CN-RMSV",
        "JP-IPA",
        "ACCORD",
    } <= codes
    for f in rs.files:
        for r in f.rules:
            assert r.url.startswith(("http://", "https://"))
            assert r.source and r.recipient and r.obligation


def test_key_facts_of_the_sources() -> None:
    rs = builtin_rules()
    cra = rs.rule("eu-cra-14-2a-early-warning")
    assert (cra.unit, cra.amount, cra.binding, cra.effective.isoformat()) == (
        "hours",
        24,
        True,
        "2026-09-11",
    )
    assert "Art. 14(2)(a)" in cra.source
    assert (
        rs.rule("eu-cra-14-2c-final-report").unit,
        rs.rule("eu-cra-14-2c-final-report").amount,
    ) == ("days", 14)
    assert rs.rule("eu-nis2-23-4d-final-report").unit == "months"
    assert "Art. 23(4)(d)" in rs.rule("eu-nis2-23-4d-final-report").source
    assert rs.rule("cn-rmsv-7-2-miit-report").amount == 2
    assert "Art. 7" in rs.rule("cn-rmsv-7-2-miit-report").source
    assert rs.rule("zdi-120d-disclosure").amount == 120
    assert rs.rule("jp-partnership-publication").configurable
    assert rs.rule("gpz-7d-in-the-wild").trigger == "exploited-aware"
    assert rs.rule("certcc-45d-disclosure").trigger == "vendor-contacted"


def test_codes_and_aliases() -> None:
    rs = builtin_rules()
    eu = {f.code for f in rs.files_for(["eu"])}
    assert eu == {
        "EU-CRA",
        "EU-NIS2",
        "EU-AI-ACT",
        "ACCORD",
    }  # the consortium policy always applies
    assert {f.code for f in rs.files_for(["JPCERT"])} == {"JP-IPA", "ACCORD"}


def test_team_file_is_loaded_from_an_extra_folder(tmp_path: Path) -> None:
    (tmp_path / "gulf.yaml").write_text(
        (FIXTURES / "deadlines" / "team-gulf.yaml").read_text(), encoding="utf-8"
    )
    rs = load_rules([tmp_path])
    assert rs.rule("team-gulf-notify-2bd").jurisdiction == "AE"


def test_missing_offset_names_the_line() -> None:
    path = FIXTURES / "deadlines" / "broken-missing-offset.yaml"
    with pytest.raises(UsageError) as err:
        load_file(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "line 15" in msg  # the second rule starts on line 15
    assert "offset" in msg


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(UsageError, match=r"team\.yaml: line 4:"):
        parse_text("code: X\njurisdiction: Y\nname: [unclosed\nkind: policy\n", "team.yaml")


def test_syntax_errors_keep_the_pure_python_parsers_words() -> None:
    # libyaml says "did not find expected ',' or ']'"; users and docs know PyYAML's words.
    with pytest.raises(UsageError, match=r"line 4: expected ',' or '\]', but got ':'"):
        parse_text("code: X\njurisdiction: Y\nname: [unclosed\nkind: policy\n", "team.yaml")


def test_an_unsafe_tag_is_refused_with_its_line() -> None:
    with pytest.raises(UsageError, match=r"t\.yaml: line 2: could not determine a constructor"):
        parse_text("code: X\njurisdiction: !!python/object:os.system Y\n", "t.yaml")


def test_both_parsers_read_every_shipped_file_alike() -> None:
    import yaml

    for f in builtin_rules().files:
        fast = rules_mod._FastLoader(f.text)
        plain = rules_mod._Loader(f.text)
        try:
            assert fast.get_single_data() == plain.get_single_data(), f.path
        finally:
            fast.dispose()
            plain.dispose()
    assert issubclass(rules_mod._FastLoader, yaml.CSafeLoader)  # libyaml where PyYAML has it


def test_bad_value_names_its_own_line() -> None:
    text = (FIXTURES / "deadlines" / "team-gulf.yaml").read_text()
    with pytest.raises(UsageError, match=r"line 12: rules/0/offset/business_days"):
        parse_text(text.replace("business_days: 2", "business_days: -2"), "t.yaml")
    with pytest.raises(UsageError, match=r"line 6: unknown time zone Mars/Olympus"):
        parse_text(text.replace("Asia/Dubai", "Mars/Olympus"), "t.yaml")
    with pytest.raises(UsageError, match=r"line 7: weekend/0"):
        parse_text(text.replace("[fri, sat]", "[friday, sat]"), "t.yaml")


def test_duplicate_rule_ids_refused() -> None:
    text = (FIXTURES / "deadlines" / "team-gulf.yaml").read_text()
    rule = text[text.index("  - id:") :]
    with pytest.raises(UsageError, match=r"line 19: duplicate rule id team-gulf-notify-2bd"):
        parse_text(text + rule, "t.yaml")


def test_a_team_file_may_not_redefine_a_shipped_code(tmp_path: Path) -> None:
    text = (rules_mod.RULES_DIR / "zdi.yaml").read_text()
    (tmp_path / "zdi-copy.yaml").write_text(text)
    with pytest.raises(UsageError, match="code ZDI is already defined"):
        load_rules([tmp_path])


def test_empty_file_refused() -> None:
    with pytest.raises(UsageError, match="line 1: the file is empty"):
        parse_text("", "empty.yaml")


def test_parsed_files_are_cached_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every case shown asks for the rules: a file is parsed once per process, and again
    only when it changes on disk (issue 15: window open at 200,000 cases)."""
    parsed: list[str] = []
    real = rules_mod.parse_text

    def counting(text: str, path: str, origin: str = "built-in") -> rules_mod.RuleFile:
        parsed.append(path)
        return real(text, path, origin)

    monkeypatch.setattr(rules_mod, "parse_text", counting)
    team = tmp_path / "jurisdictions"
    team.mkdir()
    source = FIXTURES / "deadlines" / "team-gulf.yaml"
    target = team / "gulf.yaml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    first = load_rules([team])
    count = len(parsed)
    again = load_rules([team])
    assert len(parsed) == count  # nothing read and parsed a second time
    assert again.files == first.files
    # An edit (a new name, so a new mtime and size) is seen on the next load.
    text = target.read_text(encoding="utf-8").replace("name: ", "name: Edited ", 1)
    target.write_text(text, encoding="utf-8")
    edited = load_rules([team])
    assert parsed[count:] == [str(target)]
    assert edited.files != first.files
