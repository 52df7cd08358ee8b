"""The arithmetic: every shipped rule, DST edges, business days, a leap day. Exact instants."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.deadlines import engine
from app.deadlines.rules import DUTY_HOLDERS, builtin_rules, load_file
from tests.conftest import FIXTURES

T = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)  # a Thursday, after the CRA's Art. 14 applies
NOW = datetime(2026, 9, 30, tzinfo=UTC)

# rule id -> the expected due instant (UTC) when its trigger (and required facts) are at T.
EXPECTED = {
    "eu-cra-14-2a-early-warning": "2026-10-02T12:00:00+00:00",
    "eu-cra-14-2b-notification": "2026-10-04T12:00:00+00:00",
    "eu-cra-14-2c-final-report": "2026-10-15T12:00:00+00:00",
    "eu-cra-14-4a-incident-early-warning": "2026-10-02T12:00:00+00:00",
    "eu-cra-14-4b-incident-notification": "2026-10-04T12:00:00+00:00",
    # one month on the Brussels calendar: 14:00 CEST on 1 Oct -> 14:00 CET on 1 Nov = 13:00Z
    "eu-cra-14-4c-incident-final-report": "2026-11-01T13:00:00+00:00",
    "eu-nis2-23-4a-early-warning": "2026-10-02T12:00:00+00:00",
    "eu-nis2-23-4b-notification": "2026-10-04T12:00:00+00:00",
    "eu-nis2-23-4d-final-report": "2026-11-01T13:00:00+00:00",
    "eu-nis2-23-4c-intermediate-report": None,  # upon request: no fixed period
    "eu-nis2-23-4e-progress-report": "2026-11-01T13:00:00+00:00",
    "eu-nis2-23-4e-final-report": "2026-11-01T13:00:00+00:00",
    "eu-cra-14-8-inform-users": None,  # in a timely manner: no fixed period
    "eu-cra-14-8-inform-users-incident": None,
    # AI Act Art. 73: 15, 2, 2 and 10 days after awareness (exact elapsed days)
    "eu-ai-act-73-2-serious-incident": "2026-10-16T12:00:00+00:00",
    "eu-ai-act-73-3-widespread-infringement": "2026-10-03T12:00:00+00:00",
    "eu-ai-act-73-3-critical-infrastructure": "2026-10-03T12:00:00+00:00",
    "eu-ai-act-73-4-death": "2026-10-11T12:00:00+00:00",
    "cisa-cvd-45d-disclosure": "2026-11-15T12:00:00+00:00",
    "certcc-45d-disclosure": "2026-11-15T12:00:00+00:00",
    "gpz-90d-disclosure": "2026-12-30T12:00:00+00:00",
    "gpz-30d-after-fix": "2026-10-31T12:00:00+00:00",
    "gpz-7d-in-the-wild": "2026-10-08T12:00:00+00:00",
    "zdi-120d-disclosure": "2027-01-29T12:00:00+00:00",
    "cn-rmsv-7-2-miit-report": "2026-10-03T12:00:00+00:00",
    # 21:00 JST on 1 Oct + 45 days = 15 Nov in Tokyo; the publication date ends at midnight JST
    "jp-partnership-publication": "2026-11-15T15:00:00+00:00",
    "accord-acknowledge-3bd": "2026-10-06T12:00:00+00:00",  # Fri, Mon, Tue
    "accord-triage-10bd": "2026-10-15T12:00:00+00:00",
    "accord-disclosure-90d": "2026-12-30T12:00:00+00:00",
}


# Every duty-holder role present, so every shipped rule applies (tests of roles are apart).
ROLES = {r: ["Party"] for r in DUTY_HOLDERS}


def _compute(rule, file, facts, now, **kw):  # type: ignore[no-untyped-def]
    return engine.compute(rule, file, facts, now, roles=ROLES, **kw)


def _rule(rule_id: str):  # type: ignore[no-untyped-def]
    rs = builtin_rules()
    return rs.rule(rule_id), rs.file_of(rule_id)


def test_every_shipped_rule_is_tested() -> None:
    shipped = {r.id for f in builtin_rules().files for r in f.rules}
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_every_shipped_rule(rule_id: str) -> None:
    rule, file = _rule(rule_id)
    facts = {rule.trigger: T, **{f: T for f in rule.requires}}
    c = _compute(rule, file, facts, NOW)
    assert (c.due_utc.isoformat() if c.due_utc else None) == EXPECTED[rule_id]
    assert c.state == "pending"
    # Without its trigger the rule does not apply.
    assert _compute(rule, file, {}, NOW).state == "not-applicable"


def test_cra_does_not_apply_before_11_september_2026() -> None:
    rule, file = _rule("eu-cra-14-2a-early-warning")
    before = datetime(2026, 9, 10, 21, 59, tzinfo=UTC)  # 23:59 in Brussels on 10 September
    on = datetime(2026, 9, 10, 22, 0, tzinfo=UTC)  # 00:00 in Brussels on 11 September
    assert _compute(rule, file, {"exploited-aware": before}, NOW).state == "not-applicable"
    assert _compute(rule, file, {"exploited-aware": on}, on).due_utc == datetime(
        2026, 9, 11, 22, 0, tzinfo=UTC
    )


def test_spring_forward_24_hours_is_24_real_hours() -> None:
    rule, file = _rule("eu-nis2-23-4a-early-warning")
    aware = datetime(2026, 3, 28, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    c = _compute(rule, file, {"incident-aware": aware}, aware)
    assert aware.astimezone(UTC).isoformat() == "2026-03-28T22:30:00+00:00"
    assert c.due_utc is not None
    assert c.due_utc.isoformat() == "2026-03-29T22:30:00+00:00"
    local = engine.local_times(c.due_utc, ["Europe/Berlin", "Asia/Tokyo", "America/New_York"])
    assert local == {
        "Europe/Berlin": "2026-03-30T00:30:00+02:00",  # CEST: the wall clock moved 25 h
        "Asia/Tokyo": "2026-03-30T07:30:00+09:00",
        "America/New_York": "2026-03-29T18:30:00-04:00",
    }


def test_fall_back_24_hours_is_24_real_hours() -> None:
    rule, file = _rule("eu-cra-14-2a-early-warning")
    aware = datetime(2026, 10, 24, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    c = _compute(rule, file, {"exploited-aware": aware}, aware)
    assert c.due_utc is not None
    assert c.due_utc.isoformat() == "2026-10-25T21:30:00+00:00"
    assert engine.local_times(c.due_utc, ["Europe/Berlin"]) == {
        "Europe/Berlin": "2026-10-25T22:30:00+01:00"  # CET: the wall clock moved 23 h
    }
    three_days = _compute(
        _rule("eu-cra-14-2b-notification")[0], file, {"exploited-aware": aware}, aware
    )
    assert three_days.due_utc == datetime(2026, 10, 27, 21, 30, tzinfo=UTC)


def test_month_across_spring_change_keeps_the_wall_time() -> None:
    rule, file = _rule("eu-nis2-23-4d-final-report")
    sent = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # 09:00Z, CET
    c = _compute(rule, file, {"nis2-notification-sent": sent}, sent)
    assert c.due_utc == datetime(2026, 4, 15, 8, 0, tzinfo=UTC)  # 10:00 CEST


def test_business_days_skip_the_weekend() -> None:
    rule, file = _rule("accord-acknowledge-3bd")
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    c = _compute(rule, file, {"reported": friday}, friday)
    assert c.due_utc == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Mon, Tue, Wed
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    c = _compute(rule, file, {"reported": saturday}, saturday)
    assert c.due_utc == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_business_days_use_the_jurisdictions_own_weekend_and_holidays() -> None:
    f = load_file(FIXTURES / "deadlines" / "team-gulf.yaml")
    rule = f.rules[0]
    # Thursday 26 Nov 2026 10:00 in Dubai: Fri and Sat are the weekend -> Sun 29, Mon 30.
    thu = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    c = _compute(rule, f, {"reported": thu}, thu)
    assert c.due_utc == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    # Monday 30 Nov: Tue 1 Dec counts, Wed 2 Dec is a listed holiday, Thu 3 Dec counts.
    mon = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Dubai"))
    c = _compute(rule, f, {"reported": mon}, mon)
    assert c.due_utc == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def test_leap_day() -> None:
    rule, file = _rule("accord-disclosure-90d")
    c = _compute(rule, file, {"reported": datetime(2027, 12, 1, tzinfo=UTC)}, NOW)
    assert c.due_utc == datetime(2028, 2, 29, tzinfo=UTC)
    month, nfile = _rule("eu-nis2-23-4d-final-report")
    jan31 = datetime(2028, 1, 31, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    c = _compute(month, nfile, {"nis2-notification-sent": jan31}, jan31)
    assert c.due_utc == datetime(2028, 2, 29, 8, 0, tzinfo=UTC)  # clamped to the leap day
    ack, afile = _rule("accord-acknowledge-3bd")
    fri = datetime(2028, 2, 25, 8, 0, tzinfo=UTC)
    c = _compute(ack, afile, {"reported": fri}, fri)
    assert c.due_utc == datetime(2028, 3, 1, 8, 0, tzinfo=UTC)  # Mon 28, Tue 29, Wed 1


def test_states() -> None:
    rule, file = _rule("eu-cra-14-2a-early-warning")
    aware = datetime(2026, 10, 1, tzinfo=UTC)
    facts = {"exploited-aware": aware}
    assert _compute(rule, file, facts, aware).state == "due-soon"
    assert _compute(rule, file, facts, aware.replace(day=3)).state == "overdue"
    long, lfile = _rule("zdi-120d-disclosure")
    assert _compute(long, lfile, {"vendor-contacted": aware}, aware).state == "pending"
    met = _compute(
        rule, file, {**facts, "early-warning-sent": aware.replace(hour=5)}, aware.replace(day=9)
    )
    assert met.state == "met" and met.met_at == aware.replace(hour=5)


def test_gpz_90_day_deadline_gives_way_to_a_fix() -> None:
    rule, file = _rule("gpz-90d-disclosure")
    contacted = datetime(2026, 10, 1, tzinfo=UTC)
    facts = {"vendor-contacted": contacted, "fix-available": datetime(2026, 11, 1, tzinfo=UTC)}
    assert _compute(rule, file, facts, contacted).state == "not-applicable"
    after, _f = _rule("gpz-30d-after-fix")
    assert _compute(after, file, facts, contacted).due_utc == datetime(2026, 12, 1, tzinfo=UTC)


def test_embargo_conflict() -> None:
    due = datetime(2026, 10, 2, tzinfo=UTC)
    assert engine.embargo_conflict(due, "pending", True, datetime(2026, 10, 3, tzinfo=UTC))
    assert not engine.embargo_conflict(due, "pending", True, datetime(2026, 10, 1, tzinfo=UTC))
    assert not engine.embargo_conflict(due, "pending", False, datetime(2026, 10, 3, tzinfo=UTC))
    assert not engine.embargo_conflict(due, "met", True, datetime(2026, 10, 3, tzinfo=UTC))
