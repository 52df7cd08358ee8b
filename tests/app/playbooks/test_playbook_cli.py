"""The `accord playbook` JSON contracts and exit codes."""

from __future__ import annotations

from typing import Any


def test_playbook_cli_contract(initialised_cli: Any) -> None:
    cli = initialised_cli
    listed = cli("playbook", "list", "--json")
    assert listed.code == 0, listed.err
    ids = {p["id"] for p in listed.json()}
    assert {"initial-triage", "jailbreak-probabilistic", "model-supply-chain"} <= ids
    assert all({"id", "version", "title", "steps"} <= set(p) for p in listed.json())

    assert cli("case", "new", "--title", "Jailbreak of a chat model").code == 0
    key = "ACC-2026-0001"
    started = cli("playbook", "start", key, "jailbreak-probabilistic", "--json")
    assert started.code == 0, started.err
    assert cli("playbook", "start", key, "jailbreak-probabilistic").code == 1

    st = cli("playbook", "status", key, "--json")
    assert st.code == 0, st.err
    data = st.json()
    assert isinstance(data, dict)
    assert data["playbook"] == "jailbreak-probabilistic" and data["version"] == "1.0"
    first = data["steps"][0]
    assert {"id", "title", "owner", "state", "due_utc", "completed_by", "outputs"} <= set(first)
    assert first["state"] == "pending" and first["owner"] == "analyst"

    done = cli(
        "playbook",
        "complete",
        key,
        "record-prompt",
        "--output",
        "model=chat-m",
        "--output",
        "model_version=2026-10",
        "--output",
        "temperature=0.7",
        "--json",
    )
    assert done.code == 0, done.err
    step = done.json()["steps"][0]
    assert step["state"] == "done" and step["completed_by"] == "alice"
    assert step["outputs"] == {"model": "chat-m", "model_version": "2026-10", "temperature": "0.7"}

    missing = cli("playbook", "complete", key, "trials", "--output", "model_version=2026-10")
    assert missing.code == 2 and "needs: k_successes, n_trials" in missing.err
    assert cli("playbook", "complete", key, "trials", "--output", "novalue").code == 2
    assert (
        cli(
            "playbook",
            "complete",
            key,
            "trials",
            "--output",
            "model_version=2026-10",
            "--output",
            "k_successes=9",
            "--output",
            "n_trials=20",
        ).code
        == 0
    )
    branch = cli(
        "playbook",
        "complete",
        key,
        "reproducibility",
        "--output",
        "reproducibility=sporadic",
        "--json",
    )
    assert branch.code == 0, branch.err
    states = {s["id"]: s["state"] for s in branch.json()["steps"]}
    assert states["more-trials"] == "pending" and states["not-reproduced"] == "not-applicable"

    skipped = cli("playbook", "skip", key, "more-trials", "--reason", "enough data", "--json")
    assert skipped.code == 0, skipped.err
    assert cli("playbook", "skip", key, "transfer").code == 2  # --reason is required

    text = cli("playbook", "status", key)
    assert text.code == 0 and "more-trials" in text.out and "skipped" in text.out
    assert cli("playbook", "status", "ACC-2026-0099").code == 1
    assert cli("playbook", "start", key, "unknown-playbook").code == 1
