"""Human CLI output shows the data files' texts (rule obligations, playbook and jurisdiction
titles) in the chosen language; ``--json`` keeps the English and the ids, a contract."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from i18n import set_language
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs

ACK = "Acknowledge receipt of the report to the reporter"
ACK_JA = "報告者に報告の受領を通知する"
ACK_AR = "أكّد للمبلّغ استلام البلاغ"


@pytest.fixture(autouse=True)
def catalogs() -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    set_language("en")  # the in-process CLI's --lang stays for the process


def test_handover_names_the_rules_in_the_language_and_json_keeps_them(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = cli("case", "new", "--title", "Calendar invitation injection", "--json").json()["id"]  # type: ignore[index]
    reported = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="minutes")
    assert cli("case", "set", key, f"reported={reported}").code == 0
    r = cli("--lang", "ja", "handover", "new")
    assert r.code == 0, r.err
    assert ACK_JA in r.out and ACK not in r.out
    hid = "1"
    shown = cli("--lang", "ja", "handover", "show", hid).out
    assert ACK_JA in shown and "accord-acknowledge-3bd" not in shown
    data = cli("--lang", "ja", "handover", "show", hid, "--json").json()
    overdue = {d["rule"]: d for d in data["summary"]["overdue"]}  # type: ignore[index]
    assert overdue["accord-acknowledge-3bd"]["rule_title"] == ACK


def test_playbooks_and_rule_files_listed_in_the_language(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    listed = cli("--lang", "ar", "playbook", "list").out
    assert "الفرز الأولي لبلاغ عن ثغرة في نظام ذكاء اصطناعي" in listed
    assert "Initial triage of an AI vulnerability report" not in listed
    items = cli("--lang", "ar", "playbook", "list", "--json").json()
    titles = {p["id"]: p["title"] for p in items}  # type: ignore[union-attr]
    assert titles["initial-triage"] == "Initial triage of an AI vulnerability report"
    rules = cli("--lang", "ja", "deadline", "rules").out
    assert "CISAの協調的脆弱性開示" in rules
    names = {f["code"]: f["name"] for f in cli("deadline", "rules", "--json").json()}  # type: ignore[union-attr]
    assert "CISA Coordinated Vulnerability Disclosure" in names.values()
    key = cli("case", "new", "--title", "x", "--json").json()["id"]  # type: ignore[index]
    status = cli("--lang", "ja", "playbook", "start", key, "initial-triage").out
    assert "報告内容の再現を試みる" in status
    steps = cli("playbook", "status", key, "--json").json()["steps"]  # type: ignore[index]
    assert "Try to reproduce the finding" in [s["title"] for s in steps]
