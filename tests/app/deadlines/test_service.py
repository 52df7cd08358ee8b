"""Deadlines on a case in the database: facts, jurisdictions, recompute, met, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from app import deadlines as dl
from app.casework import cases
from app.errors import AccordError, UsageError
from app.workspaces.lifecycle import Workspace
from models import Analyst, AuditEvent, Case, CasePartner, Deadline, Partner

AWARE = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 10, 31, tzinfo=UTC)


# The duty holders these tests assume on the case: a manufacturer and an essential entity.
HOLDERS = [("manufacturer", "Vendor X"), ("essential-entity", "Grid Y")]


def _case(ws: Workspace, *codes: str) -> str:
    with ws.session() as s:
        actor = ws.require_actor()
        key = cases.create_case(s, actor, "case", created_at=AWARE).key
        dl.set_roles(s, actor, key, HOLDERS, [])
        if codes:
            dl.set_jurisdictions(s, actor, key, list(codes), [], now=NOW)
    return key


def test_facts_start_clocks_and_changes_recompute(ws: Workspace) -> None:
    key = _case(ws, "EU")
    with ws.session() as s:
        dl.set_fact(s, ws.require_actor(), key, "exploited-aware", AWARE, now=NOW)
        views = {v.rule: v.as_json() for v in dl.deadlines(s, ws.actor, key, now=NOW)}
        assert views["eu-cra-14-2a-early-warning"]["due_utc"] == "2026-10-02T08:00:00+00:00"
        views = {v.rule: v for v in dl.deadlines(s, ws.actor, key, now=NOW)}
        assert views["eu-cra-14-2a-early-warning"].due_utc == datetime(2026, 10, 2, 8, tzinfo=UTC)
        assert views["eu-cra-14-2a-early-warning"].state == "due-soon"
        assert views["eu-cra-14-2c-final-report"].state == "not-applicable"
        assert views["eu-cra-14-2a-early-warning"].owner_text == "owed by Vendor X — watch"
        case = cases.get_case(s, key)
        # The CRA duties are the manufacturer's: the queue column keeps our own next one.
        assert case.next_deadline_utc == datetime(2026, 10, 6, 8, tzinfo=UTC)
    with ws.session() as s:  # the awareness time is corrected: everything moves
        old = dl.set_fact(
            s,
            ws.require_actor(),
            key,
            "exploited-aware",
            datetime(2026, 10, 1, 6, tzinfo=UTC),
            now=NOW,
        )
        assert old == AWARE
        row = s.scalar(select(Deadline).where(Deadline.rule_id == "eu-cra-14-2b-notification"))
        assert row is not None and row.due_utc == datetime(2026, 10, 4, 6, tzinfo=UTC)
        assert cases.get_case(s, key).next_deadline_utc == datetime(2026, 10, 6, 8, tzinfo=UTC)
        dl.set_fact(
            s,
            ws.require_actor(),
            key,
            "fix-available",
            datetime(2026, 10, 5, tzinfo=UTC),
            now=LATER,  # a fact is recorded once it has happened
        )
        final = s.scalar(select(Deadline).where(Deadline.rule_id == "eu-cra-14-2c-final-report"))
        assert final is not None and final.due_utc == datetime(2026, 10, 19, tzinfo=UTC)
    with ws.session() as s:  # the fact is cleared: the clock stops
        dl.set_fact(s, ws.require_actor(), key, "exploited-aware", None, now=NOW)
        views = {v.rule: v for v in dl.deadlines(s, ws.actor, key, now=NOW)}
        assert views["eu-cra-14-2a-early-warning"].state == "not-applicable"
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.case_key == key)))
        assert actions.count("case.fact") == 4


def test_earliest_first_and_local_times_for_analyst_and_partners(ws: Workspace) -> None:
    key = _case(ws, "EU", "JP")
    with ws.session() as s:
        s.scalars(select(Analyst)).one().timezone = "Europe/Berlin"
        case = cases.get_case(s, key)
        p1 = Partner(name="JPCERT-ish", country="JP", timezone="Asia/Tokyo")
        p2 = Partner(name="US partner", country="US", timezone="America/New_York")
        s.add_all([p1, p2])
        s.flush()
        s.add_all(
            [
                CasePartner(case_id=case.id, partner_id=p1.id),
                CasePartner(case_id=case.id, partner_id=p2.id),
            ]
        )
        dl.set_fact(
            s,
            ws.require_actor(),
            key,
            "exploited-aware",
            datetime(2026, 10, 24, 21, 30, tzinfo=UTC),
            now=LATER,  # a fact is recorded once it has happened
        )
        dl.set_fact(s, ws.require_actor(), key, "vendor-contacted", AWARE, now=NOW)
        views = dl.deadlines(s, ws.actor, key, now=NOW)
    due = [v.due_utc for v in views if v.due_utc]
    assert due == sorted(due)
    assert views[-1].state == "not-applicable"
    ew = next(v for v in views if v.rule == "eu-cra-14-2a-early-warning")
    assert ew.due_local == {
        "Europe/Berlin": "2026-10-25T22:30:00+01:00",
        "Asia/Tokyo": "2026-10-26T06:30:00+09:00",
        "America/New_York": "2026-10-25T17:30:00-04:00",
    }
    data = ew.as_json()
    for k in (
        "rule",
        "jurisdiction",
        "obligation",
        "recipient",
        "due_utc",
        "due_local",
        "state",
        "source",
    ):
        assert k in data
    assert data["due_utc"] == "2026-10-25T21:30:00+00:00"
    assert "eur-lex.europa.eu" in str(data["source"])


def test_mark_met_and_next_deadline(ws: Workspace) -> None:
    key = _case(ws, "CN")
    with ws.session() as s:
        dl.set_fact(s, ws.require_actor(), key, "reported", AWARE, now=NOW)
        v = dl.mark_met(
            s,
            ws.require_actor(),
            key,
            "cn-rmsv-7-2-miit-report",
            "MIIT ref 42",
            at=datetime(2026, 10, 2, tzinfo=UTC),
        )
        assert v.state == "met" and v.evidence == "MIIT ref 42"
        assert v.met_at == datetime(2026, 10, 2, tzinfo=UTC)
        # Recomputing keeps what was recorded.
        again = {x.rule: x for x in dl.deadlines(s, ws.actor, key, now=NOW)}
        assert again["cn-rmsv-7-2-miit-report"].state == "met"
        case = cases.get_case(s, key)
        assert case.next_deadline_utc == datetime(2026, 10, 6, 8, tzinfo=UTC)  # ACCORD ack
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "deadline.met")).one()
        assert ev.details["rule"] == "cn-rmsv-7-2-miit-report"
        assert "MIIT ref" not in str(ev.details)
        with pytest.raises(UsageError, match="no deadline"):
            dl.mark_met(s, ws.require_actor(), key, "zdi-120d-disclosure", "x")
        with pytest.raises(UsageError, match="evidence"):
            dl.mark_met(s, ws.require_actor(), key, "cn-rmsv-7-2-miit-report", " ")


def test_met_on_a_rule_without_its_trigger_is_refused(ws: Workspace) -> None:
    key = _case(ws, "EU")
    with ws.session() as s, pytest.raises(AccordError, match="does not apply"):
        dl.mark_met(s, ws.require_actor(), key, "eu-cra-14-2a-early-warning", "x")


def test_embargo_after_a_binding_deadline_is_a_conflict(ws: Workspace) -> None:
    key = _case(ws, "EU")
    with ws.session() as s:
        actor = ws.require_actor()
        dl.set_fact(s, actor, key, "exploited-aware", AWARE, now=NOW)
        dl.set_fact(s, actor, key, "embargo-until", datetime(2026, 10, 3, tzinfo=UTC), now=NOW)
        assert cases.get_case(s, key).embargo_until == datetime(2026, 10, 3, tzinfo=UTC)
        views = {v.rule: v for v in dl.deadlines(s, ws.actor, key, now=NOW)}
    # Due 2 Oct, embargo 3 Oct, but the early warning goes confidentially to the CSIRT and
    # ENISA: it can be made under embargo, so it is no conflict (issue 16).
    assert views["eu-cra-14-2a-early-warning"].conflict is None
    assert views["eu-cra-14-2b-notification"].conflict is None  # due 4 Oct
    assert views["accord-disclosure-90d"].conflict is None  # not binding


def test_jurisdictions_add_remove_and_unknown(ws: Workspace) -> None:
    key = _case(ws)
    with ws.session() as s:
        actor = ws.require_actor()
        assert dl.set_jurisdictions(s, actor, key, ["eu", "JPCERT"], [], now=NOW) == [
            "EU",
            "JPCERT",
        ]
        rules = {d.rule_id for d in s.scalars(select(Deadline))}
        assert "jp-partnership-publication" in rules and "eu-nis2-23-4a-early-warning" in rules
        assert dl.set_jurisdictions(s, actor, key, [], ["EU"], now=NOW) == ["JPCERT"]
        rules = {d.rule_id for d in s.scalars(select(Deadline))}
        assert not any(r.startswith("eu-") for r in rules)
        with pytest.raises(UsageError, match="unknown jurisdiction XX"):
            dl.set_jurisdictions(s, actor, key, ["XX"], [], now=NOW)
        with pytest.raises(UsageError, match="unknown fact"):
            dl.set_fact(s, actor, key, "exploted-aware", AWARE)


def test_configurable_japan_offset(ws: Workspace) -> None:
    key = _case(ws, "JP")
    with ws.session() as s:
        actor = ws.require_actor()
        dl.set_fact(s, actor, key, "vendor-contacted", AWARE, now=NOW)
        assert dl.configure(s, actor, "jp-partnership-publication", 60) == 60
        row = s.scalar(select(Deadline).where(Deadline.rule_id == "jp-partnership-publication"))
        # 17:00 JST on 1 Oct + 60 days: the publication date 30 Nov ends at midnight JST.
        assert row is not None and row.due_utc == datetime(2026, 11, 30, 15, tzinfo=UTC)
        assert dl.configure(s, actor, "jp-partnership-publication", None) == 45
        s.refresh(row)
        assert row.due_utc == datetime(2026, 11, 15, 15, tzinfo=UTC)
        with pytest.raises(UsageError, match="cannot be configured"):
            dl.configure(s, actor, "eu-cra-14-2a-early-warning", 48)


def test_parse_time() -> None:
    assert dl.parse_time("2026-03-28T23:30+01:00") == datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
    assert dl.parse_time("2026-03-28T23:30", "Europe/Berlin") == datetime(
        2026, 3, 28, 22, 30, tzinfo=UTC
    )
    assert dl.parse_time("2026-03-28T22:30Z") == datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
    with pytest.raises(UsageError, match="not an ISO-8601 time"):
        dl.parse_time("yesterday")


def test_queue_column_in_step(any_ws: Workspace) -> None:
    key = _case(any_ws, "CN")
    with any_ws.session() as s:
        dl.set_fact(s, any_ws.require_actor(), key, "reported", AWARE, now=NOW)
    with any_ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        # The MIIT report (3 Oct) is the manufacturer's duty, watched: the queue's column
        # shows our own next deadline, the consortium's acknowledgement (Tue 6 Oct).
        assert case.next_deadline_utc == datetime(2026, 10, 6, 8, tzinfo=UTC)


def test_recompute_all(ws: Workspace) -> None:
    with ws.session() as s:
        a = ws.require_actor()
        keys = [cases.create_case(s, a, f"c{i}", created_at=AWARE).key for i in range(3)]
        cases.transition(s, a, keys[2], "rejected", "spam")
        # Cases that arrive without clocks (bulk loads, older workspaces): drop what
        # create_case computed, so recompute_all has something to find.
        s.execute(delete(Deadline))
        for key in keys:
            cases.get_case(s, key).next_deadline_utc = None
    with ws.session() as s:
        assert dl.recompute_all(s, now=NOW, only_missing=True) == 2
        assert dl.recompute_all(s, now=NOW, only_missing=True) == 0
        # Every open case now carries the consortium policy's first clock (3 business days).
        assert cases.get_case(s, keys[0]).next_deadline_utc == datetime(2026, 10, 6, 8, tzinfo=UTC)
        assert cases.get_case(s, keys[2]).next_deadline_utc is None
