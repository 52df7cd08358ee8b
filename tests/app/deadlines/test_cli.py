"""The deadlines CLI as a user runs it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES


def test_cli_facts_jurisdictions_deadlines_met(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    assert cli("case", "new", "--title", "Prompt injection via tool output").code == 0
    r = cli("case", "jurisdictions", "ACC-2026-0001", "--add", "EU", "--add", "JP", "--json")
    assert r.code == 0, r.err
    assert r.json()["jurisdictions"] == ["EU", "JP"]
    r = cli("case", "roles", "ACC-2026-0001", "--add", "essential-entity=Grid Y", "--json")
    assert r.code == 0, r.err
    assert r.json()["roles"] == {"essential-entity": ["Grid Y"]}
    r = cli(
        "case",
        "set",
        "ACC-2026-0001",
        "incident-aware=2026-03-28T23:30+01:00",
        "vendor-contacted=2026-03-20T09:00Z",
    )
    assert r.code == 0, r.err
    r = cli("deadlines", "ACC-2026-0001", "--json")
    assert r.code == 0, r.err
    rows = r.json()
    assert isinstance(rows, list)
    first = rows[0]
    assert first["rule"] == "eu-nis2-23-4a-early-warning"
    assert first["due_utc"] == "2026-03-29T22:30:00+00:00"
    assert first["due_local"] == {"UTC": "2026-03-29T22:30:00+00:00"}
    assert first["state"] == "overdue"  # "today" is later than March 2026
    assert set(first) >= {
        "rule",
        "jurisdiction",
        "obligation",
        "recipient",
        "due_utc",
        "due_local",
        "state",
        "source",
    }
    # Human output: the id commands take, and the rule's own wording under it.
    human = cli("deadlines", "ACC-2026-0001").out
    assert "eu-nis2-23-4a-early-warning" in human and first["obligation"] in human
    dues = [x["due_utc"] for x in rows if x["due_utc"]]
    assert dues == sorted(dues)
    r = cli(
        "deadline",
        "met",
        "ACC-2026-0001",
        "eu-nis2-23-4a-early-warning",
        "--evidence",
        "CSIRT ticket 7",
    )
    assert r.code == 0, r.err
    rows = cli("deadlines", "ACC-2026-0001", "--json").json()
    # Recorded today, long after it fell due: met, and late (issue 16).
    assert rows[0]["state"] == "met-late"  # type: ignore[index]
    assert str(rows[0]["state_text"]).startswith("met late (by ")  # type: ignore[index]
    assert rows[0]["recorded_by"] == "alice"  # type: ignore[index]
    text = cli("deadlines", "ACC-2026-0001")
    assert "eu-nis2-23-4b-notification" in text.out
    # Usage errors: a malformed fact, an unknown jurisdiction.
    assert cli("case", "set", "ACC-2026-0001", "reported").code == 2
    assert cli("case", "set", "ACC-2026-0001", "reported=last tuesday").code == 2
    assert cli("case", "jurisdictions", "ACC-2026-0001", "--add", "ATLANTIS").code == 2
    # The existing case actions still work.
    assert cli("case", "show", "ACC-2026-0001").code == 0


def test_cli_check_refuses_a_malformed_team_file(cli) -> None:  # type: ignore[no-untyped-def]
    bad = FIXTURES / "deadlines" / "broken-missing-offset.yaml"
    r = cli("deadline", "check", str(bad))
    assert r.code == 2
    assert "line 15" in r.err and "offset" in r.err
    ok = cli("deadline", "check", str(FIXTURES / "deadlines" / "team-gulf.yaml"), "--json")
    assert ok.code == 0 and ok.json()["code"] == "TEAM-GULF"


def test_team_rules_in_the_workspace_folder(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    team = tmp_path / "ws" / "jurisdictions"
    team.mkdir()
    (team / "gulf.yaml").write_text((FIXTURES / "deadlines" / "team-gulf.yaml").read_text())
    rules = cli("deadline", "rules", "--json").json()
    assert "TEAM-GULF" in {r["code"] for r in rules}  # type: ignore[union-attr,index]
    cli("case", "new", "--title", "x")
    assert cli("case", "jurisdictions", "ACC-2026-0001", "--add", "AE").code == 0
    cli("case", "set", "ACC-2026-0001", "reported=2026-11-26T10:00+04:00")
    rows = cli("deadlines", "ACC-2026-0001", "--json").json()
    gulf = next(r for r in rows if r["rule"] == "team-gulf-notify-2bd")  # type: ignore[union-attr,index]
    assert gulf["due_utc"] == "2026-11-30T06:00:00+00:00"
    # A malformed team file stops the command and names the file and the line.
    (team / "broken.yaml").write_text(
        (FIXTURES / "deadlines" / "broken-missing-offset.yaml").read_text()
    )
    r = cli("deadlines", "ACC-2026-0001")
    assert r.code == 2
    assert "broken.yaml: line 15:" in r.err


def test_cli_recompute(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "x")
    # A new case starts the consortium policy's clocks at once: nothing is missing.
    assert cli("queue", "--filter", "open", "--json").json()[0]["next_deadline_utc"]  # type: ignore[index]
    r = cli("deadline", "recompute", "--missing", "--json")
    assert r.code == 0, r.err
    assert r.json() == {"cases": 0}
    r = cli("deadline", "recompute", "--json")
    assert r.json() == {"cases": 1}
