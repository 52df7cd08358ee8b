"""The severity CLI contracts: score, ssvc, taxonomy list, assess (and assessment history)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from app import severity
from taxonomy import ai

V31 = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"  # 4.6 Medium
V40_BT = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"
SCORE_KEYS = {
    "vector", "version", "base_score", "temporal_score", "environmental_score", "score",
    "severity",
}  # fmt: skip


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_score_vectors_json(cli: Any) -> None:
    result = cli("score", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", V40_BT, "--json")
    assert result.code == 0, result.err
    v31, v40 = _lines(result.out)
    assert set(v31) >= SCORE_KEYS and set(v40) >= SCORE_KEYS
    assert (v31["version"], v31["base_score"], v31["score"], v31["severity"]) == (
        "3.1",
        9.8,
        9.8,
        "Critical",
    )
    assert v40["version"] == "4.0" and v40["score"] == 8.1 and v40["severity"] == "High"
    assert v40["temporal_score"] is None and v40["environmental_score"] is None
    assert v40["base_score"] == 9.3


def test_score_stdin_writes_one_object_per_line_and_fails_on_a_bad_line(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [V31, "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "", "CVSS:3.0/" + V31[9:]]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    result = cli("score", "--stdin", "--json")
    assert result.code == 1
    rows = _lines(result.out)
    assert len(rows) == 3
    assert rows[0]["score"] == 4.6 and rows[2]["version"] == "3.0"
    assert set(rows[1]) == {"vector", "error"} and "AV" in rows[1]["error"]


def test_score_stdin_all_good_exits_zero(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(V31 + "\n" + V40_BT + "\n"))
    result = cli("score", "--stdin", "--json")
    assert result.code == 0 and len(_lines(result.out)) == 2


def test_score_text_and_usage(cli: Any) -> None:
    text = cli("score", V31)
    assert text.code == 0 and "4.6 Medium" in text.out
    assert cli("score").code == 2


def test_ssvc_cisa_example(cli: Any) -> None:
    result = cli("ssvc", "cisa", "E=A", "A=Y", "TI=T", "MWI=H", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "table": "cisa:DT_CO:2.0.3",
        "decision": "Act",
        "outcome_key": "AC",
        "inputs": {"E": "A", "A": "Y", "TI": "T", "MWI": "H"},
    }


@pytest.mark.parametrize(
    ("table", "pairs", "decision"),
    [
        ("deployer", ["E=A", "EXP=O", "A=Y", "HI=VH"], "Immediate"),
        ("supplier", ["E=N", "U=L", "TI=P", "PSI=M"], "Defer"),
        ("coordinator-triage", ["RP=Y", "SCON=N", "RC=NC", "SC=O", "SE=A", "U=L", "PSI=M"],
         "Decline"),
        ("coordinator-publication", ["SINV=FR", "E=N", "PVA=L"], "Do Not Publish"),
    ],
)  # fmt: skip
def test_ssvc_other_tables(cli: Any, table: str, pairs: list[str], decision: str) -> None:
    result = cli("ssvc", table, *pairs, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["decision"] == decision


def test_ssvc_missing_and_unknown_keys_list_the_allowed_ones(cli: Any) -> None:
    missing = cli("ssvc", "cisa", "E=A", "A=Y")
    assert missing.code == 1
    assert "TI" in missing.err and "MWI=<L|M|H>" in missing.err
    unknown = cli("ssvc", "cisa", "E=A", "A=Y", "TI=T", "MWI=H", "ZZ=1")
    assert unknown.code == 1 and "ZZ" in unknown.err and "E=<N|P|A>" in unknown.err
    value = cli("ssvc", "cisa", "E=Q", "A=Y", "TI=T", "MWI=H")
    assert value.code == 1 and "P (Public PoC)" in value.err
    assert cli("ssvc", "cisa", "E").code == 2
    assert cli("ssvc", "nope", "E=A").code == 2


@pytest.mark.parametrize("name", ai.LISTS)
def test_taxonomy_list(cli: Any, name: str) -> None:
    result = cli("taxonomy", "list", name, "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert rows and all({"id", "name"} <= set(r) for r in rows)
    assert [r["id"] for r in rows] == [e.id for e in ai.entries(name)]


def test_taxonomy_list_text_and_unknown(cli: Any) -> None:
    text = cli("taxonomy", "list", "owasp-llm-2025")
    assert "LLM06:2025" in text.out and "Excessive Agency" in text.out
    assert cli("taxonomy", "list", "cwe").code == 2


def _new_case(cli: Any) -> str:
    result = cli("case", "new", "--title", "Agent exfiltrates mail", "--json")
    assert result.code == 0, result.err
    return str(json.loads(result.out)["id"])


def test_assess_stores_history_and_updates_the_queue_tier(initialised_cli: Any) -> None:
    cli = initialised_cli
    key = _new_case(cli)
    first = cli("assess", key, "--cvss", V31, "--ssvc", "E=A", "A=Y", "TI=T", "MWI=H",
                "--ai", "access=none", "success=7/10", "class=LLM06:2025",
                "--sector", "health", "--json")  # fmt: skip
    assert first.code == 0, first.err
    data = json.loads(first.out)
    assert {"tier", "ssvc_decision", "sla_hours", "explanation", "model", "cvss"} <= set(data)
    assert (data["tier"], data["ssvc_decision"], data["sla_hours"]) == ("High", "Act", 24)
    assert data["model"] == "accord-severity/1.1"
    assert data["cvss"]["vector"] == V31 and data["cvss"]["score"] == 4.6
    assert "excessive-agency" in data["explanation"] and "health" in data["explanation"]
    queue = json.loads(cli("cases", "list", "--json").out)
    assert [r["tier"] for r in queue if r["id"] == key] == ["High"]

    second = cli("assess", key, "--cvss", V31, "--json")
    assert second.code == 0 and json.loads(second.out)["tier"] == "Medium"
    queue = json.loads(cli("cases", "list", "--json").out)
    assert [r["tier"] for r in queue if r["id"] == key] == ["Medium"]

    history = json.loads(cli("assessments", key, "--json").out)
    assert [h["tier"] for h in history] == ["High", "Medium"]
    assert all(h["model"] == "accord-severity/1.1" and h["analyst"] == "alice" for h in history)
    assert history[0]["ssvc_decision"] == "Act" and history[0]["sector"] == "health"
    assert history[0]["ai_factors"]["success"] == {"k": 7, "n": 10}
    assert cli("audit", "verify").code == 0


def test_assess_refuses_bad_input_without_storing(initialised_cli: Any) -> None:
    cli = initialised_cli
    key = _new_case(cli)
    bad_cvss = cli("assess", key, "--cvss", "CVSS:3.1/AV:Z/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    assert bad_cvss.code == 1 and "AV" in bad_cvss.err
    assert cli("assess", key, "--cvss", V31, "--ssvc", "E=A").code == 1
    assert cli("assess", key, "--cvss", V31, "--ai", "power=9").code == 2
    assert cli("assess", key, "--cvss", V31, "--ai", "success=lots").code == 2
    assert cli("assess", key, "--cvss", V31, "--ai", "access=root").code == 1
    assert cli("assess", key, "--cvss", V31, "--sector", "retail").code == 1
    assert cli("assess", "ACC-1999-0001", "--cvss", V31).code == 1
    assert json.loads(cli("assessments", key, "--json").out) == []


def test_build_inputs_parses_cli_pairs() -> None:
    inputs = severity.build_inputs(
        V31, ["table=deployer", "E=A"], ["harm=privacy-leak", "success=3/9"], None
    )
    assert inputs.ssvc_table == "deployer" and dict(inputs.ssvc) == {"E": "A"}
    assert (inputs.harm_type, inputs.success_k, inputs.success_n) == ("privacy-leak", 3, 9)
    assert inputs.sector == "general"
