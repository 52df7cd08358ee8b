"""Shift handover: drafted from the audit log, edited, signed off, acknowledged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import deadlines as dl
from app.casework import cases
from app.errors import AccordError, PermissionDenied
from app.identity import analysts
from app.shift import handover
from app.workspaces.lifecycle import Workspace
from models import utcnow
from tests.conftest import enrol


def test_handover_cycle(ws: Workspace) -> None:
    now = utcnow()
    with ws.session() as s:
        alice = ws.require_actor()
        analysts.add(s, alice, "carol", "shift-lead")
        a = cases.create_case(s, alice, "first").key
        b = cases.create_case(s, alice, "second").key
        cases.transition(s, alice, a, "triage", "looks real")
        # The RMSV and CRA duties are the manufacturer's (issue 16): name one on each case.
        for key in (a, b):
            dl.set_roles(s, alice, key, [("manufacturer", "Vendor X")], [])
        dl.set_jurisdictions(s, alice, a, ["CN"], [])
        dl.set_fact(s, alice, a, "reported", now - timedelta(days=3))  # RMSV missed
        dl.set_jurisdictions(s, alice, b, ["EU"], [])
        dl.set_fact(s, alice, b, "exploited-aware", now - timedelta(hours=1))
        dl.mark_met(s, alice, b, "eu-cra-14-2a-early-warning", "ENISA ref")
        h = handover.new(s, alice)
    assert h.state == "draft" and h.period_start is None
    sm = h.summary
    assert sm["new_cases"] == [a, b]
    assert sm["transitions"] == [{"case": a, "from": "new", "to": "triage", "title": "first"}]
    [met] = sm["deadlines_met"]
    assert met["case"] == b and met["rule"] == "eu-cra-14-2a-early-warning" and not met["late"]
    # A reader sees the case title and the rule's own wording, not its id.
    assert met["title"] == "second" and met["rule_title"].startswith("Early warning")
    assert "eu-cra-14-2a-early-warning" not in handover.item_text("deadlines_met", met)
    assert met["rule_title"] in handover.item_text("deadlines_met", met)
    missed = [d["rule"] for d in sm["deadlines_missed"]]
    assert "cn-rmsv-7-2-miit-report" in missed and "eu-cra-14-2b-notification" not in missed
    assert "eu-cra-14-2b-notification" not in [d["rule"] for d in sm["deadlines_next_24h"]]
    assert {d["case"] for d in sm["decisions_pending"]} == {a, b}
    assert "Decisions pending (2)" in h.body

    with ws.session() as s:
        with pytest.raises(AccordError, match="still a draft"):
            handover.new(s, alice)
        handover.edit(s, alice, h.id, h.body + "\nWatch the RMSV report.")
        with pytest.raises(AccordError, match="not signed off"):
            ws.act_as("carol")
            handover.acknowledge(s, ws.require_actor(), h.id)
    ws.act_as("alice")
    with ws.session() as s:
        signed = handover.sign(s, ws.require_actor(), h.id)
        assert signed.state == "signed"
        with pytest.raises(AccordError, match="can no longer change"):
            handover.edit(s, ws.require_actor(), h.id, "rewrite")
        with pytest.raises(PermissionDenied, match="not the author"):
            handover.acknowledge(s, ws.require_actor(), h.id)
    carol = ws.act_as("carol")
    with ws.session() as s:
        acked = handover.acknowledge(s, carol, h.id)
        assert acked.state == "acknowledged" and acked.acknowledged_by == "carol"
        assert "Watch the RMSV report." in handover.show(s, h.id).body
        # The next handover starts where this one ended: only new events count.
        cases.create_case(s, carol, "third")
        h2 = handover.new(s, carol)
        assert h2.period_start == h.period_end
        assert h2.summary["new_cases"] == [cases.get_case(s, "ACC-2026-0003").key]
        assert h2.summary["transitions"] == [] and h2.summary["deadlines_met"] == []
        assert [x.id for x in handover.history(s)] == [h2.id, h.id]


def test_analyst_cannot_write_handover(ws: Workspace) -> None:
    with ws.session() as s:
        analysts.add(s, ws.require_actor(), "dave", "analyst")
    ws.act_as("dave")
    with ws.session() as s, pytest.raises(PermissionDenied):
        handover.new(s, ws.require_actor())


def test_cli_handover(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    erin = enrol(cli, "erin", "shift-lead")
    cli("case", "new", "--title", "x")
    r = cli("handover", "new", "--json")
    assert r.code == 0, r.err
    hid = str(r.json()["id"])  # type: ignore[index]
    assert cli("handover", "edit", hid, "--text", "All quiet.").code == 0
    assert cli("handover", "sign", hid).code == 0
    r = cli("handover", "ack", hid, "--json", env=erin)
    assert r.code == 0, r.err
    assert r.json()["state"] == "acknowledged"  # type: ignore[index]
    assert cli("handover", "show", hid).out.count("All quiet.") == 1
    assert len(cli("handover", "list", "--json").json()) == 1  # type: ignore[arg-type]


def test_summary_first_with_titles_and_rule_wording(ws: Workspace) -> None:
    """Issue 15 item 3: overdue, due in 24 h (rule wording and case title), unassigned
    high-tier and new cases come first; the long detail lists are cut with a count."""
    now = utcnow()
    with ws.session() as s:
        alice = ws.require_actor()
        late = cases.create_case(s, alice, "Prompt injection in Kumo assistant").key
        # Statutory duties fall on the product's maker (issue 16): the case names it.
        dl.set_roles(s, alice, late, [("manufacturer", "Kumo")], [])
        dl.set_jurisdictions(s, alice, late, ["CN"], [])
        dl.set_fact(s, alice, late, "reported", now - timedelta(days=3))
        soon = cases.create_case(s, alice, "Model weights exfiltration").key
        dl.set_roles(s, alice, soon, [("manufacturer", "Weights Inc")], [])
        dl.set_jurisdictions(s, alice, soon, ["EU"], [])
        dl.set_fact(s, alice, soon, "exploited-aware", now - timedelta(hours=12))
        hot = cases.create_case(s, alice, "Unowned critical jailbreak")
        hot.tier, hot.tier_rank = "Critical", 5
        for i in range(40):
            cases.create_case(s, alice, f"backlog {i}")
        h = handover.new(s, alice)
    sm = h.summary
    overdue = {(d["case"], d["title"]) for d in sm["overdue"]}
    assert (late, "Prompt injection in Kumo assistant") in overdue
    rules = {d["rule"]: d for d in sm["overdue"]}
    miit = rules["cn-rmsv-7-2-miit-report"]
    assert miit["rule_title"] != miit["rule"] and "MIIT" in miit["rule_title"]
    due = [d for d in sm["deadlines_next_24h"] if d["case"] == soon]
    assert due and due[0]["title"] == "Model weights exfiltration"
    assert due[0]["rule_title"].startswith("Early warning")
    assert [u["case"] for u in sm["unassigned_high"]] == [hot.key]
    assert sm["new"][0] == {"case": late, "title": "Prompt injection in Kumo assistant"}

    body = h.body
    lines = body.splitlines()
    # The summary is on the first screen; rule ids stay out of the reader's way.
    head = "\n".join(lines[:40])
    assert "Overdue" in head and "Prompt injection in Kumo assistant" in head
    assert miit["rule_title"] in head and "cn-rmsv-7-2-miit-report" not in body
    assert "Early warning" in head and "Unowned critical jailbreak" in head
    assert body.index("Unassigned high-tier cases") < body.index("Decisions pending")
    assert " UTC" in head and "T" not in miit["due_utc"][:10]
    assert "… and 28 more" in body  # 43 new cases, 15 listed in the summary
    assert len(lines) < 260
    assert h.as_json()["counts"]["new"] == 43  # type: ignore[index]


def test_cli_show_prints_the_summary_with_times_to_the_minute(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "Calendar invitation injection")
    r = cli("handover", "new", "--json")
    hid = str(r.json()["id"])  # type: ignore[index]
    out = cli("handover", "show", hid).out
    first = out.splitlines()[0]
    assert re.search(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC ", first), first
    assert "Calendar invitation injection" in out
    assert out.index("Summary") < out.index("Detail")
    data = cli("handover", "show", hid, "--json").json()
    assert {"id", "state", "period_end", "body", "summary", "counts"} <= set(data)  # type: ignore[arg-type]
    assert data["summary"]["new_cases"] and data["counts"]["new"] == 1  # type: ignore[index]
    assert cli("handover", "list").out.count(" UTC ") == 1


def test_a_due_time_keeps_its_order_in_arabic() -> None:
    """After Arabic words an ISO-like time is isolated left to right, or it reads
    "20:42 25-11-2026"; other languages get the plain text."""
    from app.shift.handover import item_text
    from i18n.catalog import set_language

    item = {"case": "ACC-2026-0001", "title": "t", "rule": "ack", "jurisdiction": "EU",
            "due_utc": "2026-11-25T20:42:00+00:00"}  # fmt: skip
    assert item_text("overdue", item).endswith(", due 2026-11-25 20:42 UTC")
    set_language("ar")
    try:
        text = item_text("overdue", item)
    finally:
        set_language("en")
    assert "\u20662026-11-25 20:42 UTC\u2069" in text
