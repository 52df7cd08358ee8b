"""Obligations that know who owes what (issue 16): duty holders and watched duties,
conflicts only with publishing recipients, the AI Act and the missing NIS2 / CRA pieces at
exact instants, honest states, and period computations as data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.deadlines import engine
from app.deadlines.rules import builtin_rules, load_rules
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from models import AuditEvent

BRUSSELS = ZoneInfo("Europe/Brussels")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 31, tzinfo=UTC)


def _rule(rule_id: str):  # type: ignore[no-untyped-def]
    rs = builtin_rules()
    return rs.rule(rule_id), rs.file_of(rule_id)


def _due(rule_id: str, facts: dict[str, datetime], **kw: object) -> engine.Computed:
    rule, file = _rule(rule_id)
    roles = {"provider-high-risk-ai": ["Model Co"], "essential-entity": ["Grid Y"]}
    return engine.compute(rule, file, facts, NOW, roles=roles, **kw)  # type: ignore[arg-type]


def _case(ws: Workspace, *codes: str, roles: list[tuple[str, str]] | None = None) -> str:
    with ws.session() as s:
        actor = ws.require_actor()
        key = cases.create_case(s, actor, "case", created_at=NOW - timedelta(days=200)).key
        if roles:
            dl.set_roles(s, actor, key, roles, [])
        dl.set_jurisdictions(s, actor, key, list(codes), [])
    return key


def _views(ws: Workspace, key: str, rules: dl.RuleSet | None = None) -> dict[str, dl.DeadlineView]:
    with ws.session() as s:
        return {v.rule: v for v in dl.deadlines(s, ws.actor, key, rules, now=NOW)}


# AI Act Art. 73 at exact instants -------------------------------------------------------------


def test_ai_act_applies_from_2_august_2026_in_brussels() -> None:
    before = datetime(2026, 8, 1, 21, 59, tzinfo=UTC)  # 23:59 CEST on 1 August
    on = datetime(2026, 8, 1, 22, 0, tzinfo=UTC)  # 00:00 CEST on 2 August
    c = _due("eu-ai-act-73-2-serious-incident", {"serious-incident-aware": before})
    assert c.state == "not-applicable" and c.reason == "applies from 2026-08-02"
    c = _due("eu-ai-act-73-2-serious-incident", {"serious-incident-aware": on})
    assert c.due_utc == datetime(2026, 8, 16, 22, 0, tzinfo=UTC)  # 15 days
    c = _due("eu-ai-act-73-3-widespread-infringement", {"widespread-infringement-aware": on})
    assert c.due_utc == datetime(2026, 8, 3, 22, 0, tzinfo=UTC)  # 2 days
    c = _due(
        "eu-ai-act-73-3-critical-infrastructure", {"critical-infrastructure-incident-aware": on}
    )
    assert c.due_utc == datetime(2026, 8, 3, 22, 0, tzinfo=UTC)
    c = _due("eu-ai-act-73-4-death", {"death-incident-aware": on})
    assert c.due_utc == datetime(2026, 8, 11, 22, 0, tzinfo=UTC)  # 10 days


def test_ai_act_15_days_across_the_autumn_clock_change() -> None:
    aware = datetime(2026, 10, 20, 10, 0, tzinfo=BRUSSELS)  # CEST, 08:00Z
    exact = _due("eu-ai-act-73-2-serious-incident", {"serious-incident-aware": aware})
    assert exact.due_utc == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)  # 09:00 CET: 360 h
    cal = _due(
        "eu-ai-act-73-2-serious-incident",
        {"serious-incident-aware": aware},
        computation="calendar",
    )
    assert cal.due_utc == datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # 10:00 CET: same wall time
    eod = _due(
        "eu-ai-act-73-2-serious-incident",
        {"serious-incident-aware": aware},
        computation="end-of-day",
    )
    assert eod.due_utc == datetime(2026, 11, 4, 23, 0, tzinfo=UTC)  # midnight CET


def test_working_day_roll_over_uses_the_public_holidays() -> None:
    # 15 days after Thu 10 Dec 2026 is Fri 25 Dec (Christmas in Belgium), then a weekend:
    # Reg. 1182/71 Art. 3(4) rolls the end to the end of Monday 28 December.
    aware = datetime(2026, 12, 10, 10, 0, tzinfo=BRUSSELS)
    c = _due(
        "eu-ai-act-73-2-serious-incident",
        {"serious-incident-aware": aware},
        computation="working-day",
    )
    assert c.due_utc == datetime(2026, 12, 28, 23, 0, tzinfo=UTC)


def test_japan_end_of_day_without_dst_and_jpcerts_own_contact_date() -> None:
    rule, file = _rule("jp-partnership-publication")
    shared = datetime(2026, 3, 1, 9, 0, tzinfo=TOKYO)
    own = datetime(2026, 3, 5, 9, 0, tzinfo=TOKYO)
    c = engine.compute(rule, file, {"vendor-contacted": shared}, NOW)
    assert c.due_utc == datetime(2026, 4, 15, 15, 0, tzinfo=UTC)  # end of 15 Apr JST
    assert not c.ours and c.owed_by_party == "JPCERT/CC"
    both = {"vendor-contacted": shared, "vendor-contacted@JPCERT/CC": own}
    c = engine.compute(rule, file, both, NOW)
    assert c.due_utc == datetime(2026, 4, 19, 15, 0, tzinfo=UTC)  # from JPCERT/CC's own date
    # In JPCERT/CC's own workspace the coordinator role is ours.
    c = engine.compute(rule, file, both, NOW, roles={"coordinator": ["this-cert"]})
    assert c.ours


# NIS2 23(4)(c), (e) and CRA 14(8) ------------------------------------------------------------


def test_nis2_progress_report_replaces_the_final_report_while_ongoing() -> None:
    sent = datetime(2026, 3, 15, 10, 0, tzinfo=BRUSSELS)  # CET
    facts = {"incident-aware": sent - timedelta(days=2), "nis2-notification-sent": sent}
    d = _due("eu-nis2-23-4d-final-report", facts)
    p = _due("eu-nis2-23-4e-progress-report", facts)
    assert d.due_utc == p.due_utc == datetime(2026, 4, 15, 8, 0, tzinfo=UTC)  # 10:00 CEST
    # Still ongoing: a progress report is sent, the final report follows handling.
    facts["nis2-progress-report-sent"] = datetime(2026, 4, 14, tzinfo=UTC)
    facts["incident-handled"] = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    assert _due("eu-nis2-23-4d-final-report", facts).state == "not-applicable"
    assert _due("eu-nis2-23-4e-progress-report", facts).state == "met"
    final = _due("eu-nis2-23-4e-final-report", facts)
    assert final.due_utc == datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
    # Handled before the month was out: no progress report is owed.
    early = {**facts, "incident-handled": datetime(2026, 4, 1, tzinfo=UTC)}
    del early["nis2-progress-report-sent"]
    assert _due("eu-nis2-23-4e-progress-report", early).state == "not-applicable"


def test_nis2_intermediate_report_and_cra_inform_users_have_no_fixed_period() -> None:
    aware = datetime(2026, 10, 1, tzinfo=UTC)
    facts = {"incident-aware": aware, "nis2-intermediate-requested": aware + timedelta(days=3)}
    c = _due("eu-nis2-23-4c-intermediate-report", facts)
    assert c.state == "pending" and c.due_utc is None and c.reason is None
    rule, file = _rule("eu-cra-14-8-inform-users")
    c = engine.compute(rule, file, {"exploited-aware": aware}, NOW, roles={"manufacturer": ["V"]})
    assert c.state == "pending" and c.due_utc is None
    met = engine.compute(
        rule,
        file,
        {"exploited-aware": aware, "users-informed": aware + timedelta(days=1)},
        NOW,
        roles={"manufacturer": ["V"]},
    )
    assert met.state == "met"


def test_one_fact_no_longer_meets_both_cra_and_nis2() -> None:
    aware = datetime(2026, 10, 1, tzinfo=UTC)
    facts = {"incident-aware": aware, "incident-early-warning-sent": aware + timedelta(hours=2)}
    rule, file = _rule("eu-cra-14-4a-incident-early-warning")
    roles = {"manufacturer": ["V"], "essential-entity": ["E"]}
    assert engine.compute(rule, file, facts, NOW, roles=roles).state == "met"
    nis2 = _due("eu-nis2-23-4a-early-warning", facts)
    assert nis2.state == "overdue"  # its own recipient, its own fact: nis2-early-warning-sent


# Duty holders, watch, conflicts ---------------------------------------------------------------


def test_statutory_duties_need_their_holder_on_the_case(ws: Workspace) -> None:
    key = _case(ws, "EU")
    with ws.session() as s:
        dl.set_fact(
            s, ws.require_actor(), key, "exploited-aware", NOW - timedelta(hours=2), now=NOW
        )
    v = _views(ws, key)["eu-cra-14-2a-early-warning"]
    assert v.state == "not-applicable"
    assert v.state_text == "not applicable (no party on the case has the role manufacturer)"
    with ws.session() as s:
        dl.set_roles(s, ws.require_actor(), key, [("manufacturer", "Vendor X")], [])
    v = _views(ws, key)["eu-cra-14-2a-early-warning"]
    assert v.state == "due-soon" and v.watch and v.owner_text == "owed by Vendor X — watch"
    data = v.as_json()
    assert data["owed_by"] == "manufacturer" and data["owed_to"] == "csirt"
    assert data["watch"] is True
    with ws.session() as s:
        # The CERT's own queue column is untouched by the manufacturer's 22 h.
        assert cases.get_case(s, key).next_deadline_utc != v.due_utc
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "case.roles")).one()
        assert ev.details["added"] == ["manufacturer"]


def _publishing_rules(tmp_path: Path) -> dl.RuleSet:
    (tmp_path / "pub.yaml").write_text(
        """code: TEAM-PUB
jurisdiction: TP
name: A regime whose authority publishes notified vulnerabilities
kind: regulation
timezone: UTC
rules:
  - id: team-pub-register
    owed_by: this-cert
    owed_to: public
    trigger: exploited-aware
    offset: {hours: 48}
    recipient: Public vulnerability register
    obligation: Enter the vulnerability in the public register
    binding: true
    effective: "2020-01-01"
    source: "Example Act §3"
    url: https://example.org/act
""",
        encoding="utf-8",
    )
    return load_rules([tmp_path])


def test_conflicts_only_with_recipients_that_publish(ws: Workspace, tmp_path: Path) -> None:
    rules = _publishing_rules(tmp_path)
    key = _case(ws, "EU", roles=[("manufacturer", "Vendor X")])
    with ws.session() as s:
        actor = ws.require_actor()
        dl.set_jurisdictions(s, actor, key, ["TP"], [], rules)
        dl.set_fact(s, actor, key, "exploited-aware", NOW - timedelta(hours=2), rules, NOW)
        dl.set_fact(s, actor, key, "embargo-until", NOW + timedelta(days=30), rules, NOW)
    views = _views(ws, key, rules)
    assert views["eu-cra-14-2a-early-warning"].conflict is None  # confidential to the CSIRT
    assert views["eu-cra-14-2b-notification"].conflict is None
    assert views["team-pub-register"].conflict  # the register publishes before the embargo ends
    assert views["team-pub-register"].publishes


# Honest states --------------------------------------------------------------------------------


def test_met_late_by_12_hours_and_evidence_named(ws: Workspace) -> None:
    key = _case(ws, "EU", roles=[("manufacturer", "Vendor X")])
    aware = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    with ws.session() as s:
        actor = ws.require_actor()
        dl.set_fact(s, actor, key, "exploited-aware", aware)
        dl.set_fact(
            s,
            actor,
            key,
            "early-warning-sent",
            aware + timedelta(hours=36),
            source="ENISA SRP receipt",
        )
    v = _views(ws, key)["eu-cra-14-2a-early-warning"]
    assert v.state == "met-late" and v.state_text == "met late (by 12 h)"
    assert v.late_seconds == 12 * 3600
    assert v.evidence == ("fact early-warning-sent recorded by alice (from ENISA SRP receipt)")
    with ws.session() as s:
        v2 = dl.mark_met(
            s,
            ws.require_actor(),
            key,
            "eu-cra-14-2b-notification",
            "SRP ref 9",
            at=aware + timedelta(hours=70),
        )
    assert v2.state == "met" and v2.recorded_by == "alice"


def test_future_facts_and_filings_are_refused(ws: Workspace) -> None:
    key = _case(ws, "EU", roles=[("manufacturer", "Vendor X")])
    future = datetime.now(UTC) + timedelta(days=30)
    with ws.session() as s:
        actor = ws.require_actor()
        with pytest.raises(AccordError, match="in the future") as err:
            dl.set_fact(s, actor, key, "early-warning-sent", future)
        assert err.value.exit_code == 1
        dl.set_fact(s, actor, key, "embargo-until", future)  # a planned time is fine
        dl.set_fact(s, actor, key, "exploited-aware", datetime.now(UTC) - timedelta(hours=1))
        with pytest.raises(AccordError, match="in the future"):
            dl.mark_met(s, actor, key, "eu-cra-14-2a-early-warning", "x", at=future)


def test_cli_future_fact_exit_1_and_rules_json(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "x")
    r = cli("case", "set", "ACC-2026-0001", "early-warning-sent=2099-05-01T00:00Z")
    assert r.code == 1 and "in the future" in r.err
    rules = cli("deadline", "rules", "--json").json()
    by_id = {r["id"]: r for f in rules for r in f["rules"]}  # type: ignore[union-attr,index]
    art73 = by_id["eu-ai-act-73-2-serious-incident"]
    assert art73["owed_by"] == ["provider-high-risk-ai"]
    assert art73["owed_to"] == "market-surveillance-authority"
    assert art73["trigger"] == "serious-incident-aware"
    assert art73["period"]["unit"] == "days" and art73["period"]["amount"] == 15
    assert art73["period"]["computation"] == "exact" and "1182/71" in art73["period"]["why"]
    assert "Art. 73(2)" in art73["citation"]
    for r in by_id.values():
        assert r["owed_by"] and r["trigger"] and r["period"]["why"] and r["citation"]
    assert by_id["eu-nis2-23-4a-early-warning"]["owed_by"] == [
        "essential-entity",
        "important-entity",
    ]


def test_per_case_override_with_reason_is_audited(ws: Workspace) -> None:
    key = _case(ws, "EU-AI-ACT", roles=[("provider-high-risk-ai", "Model Co")])
    aware = datetime(2026, 12, 10, 10, 0, tzinfo=BRUSSELS)
    with ws.session() as s:
        actor = ws.require_actor()
        dl.set_fact(s, actor, key, "serious-incident-aware", aware, now=NOW)
        rules = dl.deadlines_rules_for_case(s, key)
        dl.set_override(
            s,
            actor,
            key,
            "eu-ai-act-73-2-serious-incident",
            rules,
            amount=None,
            computation="working-day",
            reason="authority applies Reg. 1182/71",
        )
        with pytest.raises(AccordError, match="cannot be configured"):
            dl.set_override(
                s, actor, key, "eu-ai-act-73-2-serious-incident", rules,
                amount=30, computation=None, reason="x",
            )  # fmt: skip
    v = _views(ws, key)["eu-ai-act-73-2-serious-incident"]
    assert v.due_utc == datetime(2026, 12, 28, 23, 0, tzinfo=UTC)
    assert v.computation == "working-day" and v.override == "authority applies Reg. 1182/71"
    with ws.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.override")).one()
        assert ev.details["computation"] == "working-day"
