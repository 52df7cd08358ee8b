"""Dashboard aggregations (pandas) and the filters their bars stand for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import deadlines as dl
from app.casework import cases
from app.identity import analysts
from app.queueing import filters as queue_filters
from app.queueing import queue
from app.shift import dashboard
from app.workspaces.lifecycle import Workspace
from models import CasePartner, Partner

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _seed(ws: Workspace) -> dict[str, str]:
    k: dict[str, str] = {}
    with ws.session() as s:
        a = ws.require_actor()
        analysts.add(s, a, "bob", "analyst")
        specs = [("h1", "High", 2), ("h2", "High", 20), ("c1", "Critical", 40), ("u1", None, 100)]
        for name, tier, age in specs:
            case = cases.create_case(s, a, name, created_at=NOW - timedelta(days=age))
            case.tier = tier
            k[name] = case.key
        cases.transition(s, a, k["h1"], "triage", "go")
        cases.assign(s, a, k["h1"], "bob")
        cases.assign(s, a, k["h2"], "bob")
        cases.assign(s, a, k["c1"], "alice")
        p = Partner(name="CERT-X", country="FR", timezone="Europe/Paris")
        s.add(p)
        s.flush()
        s.add(CasePartner(case_id=cases.get_case(s, k["c1"]).id, partner_id=p.id))
        dl.set_roles(s, a, k["c1"], [("manufacturer", "Vendor X")], [])  # the CRA's holder
        dl.set_jurisdictions(s, a, k["c1"], ["EU"], [], now=NOW)
        dl.set_fact(s, a, k["c1"], "exploited-aware", NOW - timedelta(hours=1), now=NOW)
        closed = cases.create_case(s, a, "closed", created_at=NOW - timedelta(days=1))
        cases.transition(s, a, closed.key, "rejected", "spam")
    return k


def test_snapshot(ws: Workspace) -> None:
    k = _seed(ws)
    with ws.session() as s:
        d = dashboard.snapshot(s, NOW)
    ts = d.by_tier_status
    assert ts.categories == ("Critical", "High", "Unscored")
    table = {
        (ts.series[i], ts.categories[j]): v
        for i, row in enumerate(ts.values)
        for j, v in enumerate(row)
    }
    assert table[("new", "High")] == 1 and table[("triage", "High")] == 1
    assert table[("new", "Critical")] == 1 and table[("new", "Unscored")] == 1
    assert sum(sum(r) for r in ts.values) == 4  # the rejected case is not open
    ages = {b.label: b.value for b in d.age.bars}
    assert ages["0–7"] == 1 and ages["14–30"] == 1 and ages["30–60"] == 1 and ages["90–365"] == 1
    assert [(o.case_key, o.rule) for o in d.obligations][:2] == [
        (k["c1"], "eu-cra-14-2a-early-warning"),
        (k["c1"], "eu-cra-14-2b-notification"),
    ]
    assert all(NOW <= o.due_utc <= NOW + timedelta(days=7) for o in d.obligations)
    assert [(b.label, b.value, b.filter) for b in d.per_analyst.bars] == [
        ("bob", 2, "assignee:bob"),
        ("alice", 1, "assignee:alice"),
        ("Unassigned", 1, "unassigned"),  # open cases nobody holds are counted too
    ]
    assert [(b.label, b.value) for b in d.per_partner.bars] == [("CERT-X", 1)]
    assert len(d.triage_trend) == 1 and d.triage_trend[0].cases == 1


def test_bar_filters_select_the_same_cases(ws: Workspace) -> None:
    k = _seed(ws)
    with ws.session() as s:
        d = dashboard.snapshot(s, NOW)
        ts = d.by_tier_status
        spec = ts.filter_for(ts.categories.index("High"), ts.series.index("triage"))
        got = {r.key for r in queue.page(s, queue_filters.parse(spec).query, ws.actor)}
        assert got == {k["h1"]}
        spec = ts.filter_for(ts.categories.index("Unscored"), ts.series.index("new"))
        got = {r.key for r in queue.page(s, queue_filters.parse(spec).query, ws.actor)}
        assert got == {k["u1"]}
        bar = d.per_partner.bars[0]
        got = {r.key for r in queue.page(s, queue_filters.parse(bar.filter).query, ws.actor)}
        assert got == {k["c1"]}


def test_empty_workspace(ws: Workspace) -> None:
    with ws.session() as s:
        d = dashboard.snapshot(s, NOW)
    assert d.by_tier_status.categories == () and d.obligations == ()
    assert all(b.value == 0 for b in d.age.bars) and d.per_analyst.bars == ()


def test_figures_match_a_count_of_every_case_on_each_backend(any_ws: Workspace) -> None:
    """The headline and age bands are counted by index ranges; they must agree with a plain
    count of the rows, edges included (a case exactly 7 days old is in 7–14)."""
    import random

    from sqlalchemy import select

    from app.casework import workflow
    from models import Case

    rng = random.Random(7)
    with any_ws.session() as s:
        a = any_ws.require_actor()
        ages = [0.5, 7, 7.001, 14, 29.9, 30, 60, 90, 364, 365, 400, 1, 3]
        for i, days in enumerate(ages * 3):
            case = cases.create_case(s, a, f"c{i}", created_at=NOW - timedelta(days=days))
            case.next_deadline_utc = NOW + timedelta(hours=rng.choice([-30, -1, 0, 2, 11, 50]))
            if i % 5 == 0:
                cases.transition(s, a, case.key, "rejected", "noise")
            elif i % 4 == 0:
                cases.transition(s, a, case.key, "triage", "go")
    with any_ws.session() as s:
        d = dashboard.snapshot(s, NOW)
        h = d.headline
        assert h is not None
        rows = [
            (c.created_at, c.next_deadline_utc, c.assignee_id)
            for c in s.scalars(select(Case).where(workflow.is_open()))
        ]
    aware = [(_utc(c), _utc(n) if n else None, who) for c, n, who in rows]
    assert h.overdue == sum(1 for _c, n, _w in aware if n is not None and n < NOW)
    assert h.due_today == sum(1 for _c, n, _w in aware if n is not None and NOW <= n < h.day_end)
    assert h.unassigned == sum(1 for *_x, who in aware if who is None) == len(aware)
    assert h.new_this_shift == sum(1 for c, _n, _w in aware if c >= h.shift_start)
    expected = [0] * (len(dashboard.AGE_BINS) - 1)
    for created, _n, _w in aware:
        days = (NOW - created) / timedelta(days=1)
        band = next(
            (i for i, hi in enumerate(dashboard.AGE_BINS[1:-1]) if days < hi),
            len(dashboard.AGE_BINS) - 2,
        )
        expected[band] += 1
    assert [int(b.value) for b in d.age.bars] == expected
    assert sum(sum(r) for r in d.by_tier_status.values) == len(aware)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
