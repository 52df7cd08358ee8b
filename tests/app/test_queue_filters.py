"""Saved queue filters run in SQL; bulk assignment is one step that can be undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import deadlines as dl
from app.casework import cases
from app.errors import PermissionDenied, UsageError
from app.identity import analysts
from app.queueing import filters as queue_filters
from app.queueing import queue
from app.workspaces.lifecycle import Workspace
from models import CasePartner, Partner, utcnow


def _seed(ws: Workspace) -> dict[str, str]:
    now = utcnow()
    keys = {}
    with ws.session() as s:
        actor = ws.require_actor()
        analysts.add(s, actor, "bob", "analyst")
        for name in ("overdue", "soon", "later", "mine", "partnered", "ours-soon"):
            keys[name] = cases.create_case(s, actor, name).key
        s.flush()
        dl.set_jurisdictions(s, actor, keys["overdue"], ["CN"], [])
        dl.set_fact(s, actor, keys["overdue"], "reported", now - timedelta(days=5))
        dl.set_jurisdictions(s, actor, keys["soon"], ["EU"], [])
        # The CRA early warning due in 22 h is the manufacturer's duty: watched, not ours.
        dl.set_roles(s, actor, keys["soon"], [("manufacturer", "Vendor X")], [])
        dl.set_fact(s, actor, keys["soon"], "exploited-aware", now - timedelta(hours=2))
        # Our own consortium disclosure falls due in 2 h (acknowledged and triaged long ago).
        ours = keys["ours-soon"]
        dl.set_fact(s, actor, ours, "reported", now - timedelta(days=90, hours=-2))
        dl.set_fact(s, actor, ours, "acknowledged", now - timedelta(days=89))
        dl.set_fact(s, actor, ours, "triaged", now - timedelta(days=89))
        cases.assign(s, actor, keys["mine"], "alice")
        c = cases.get_case(s, keys["later"])
        c.tier, c.tier_rank = "High", 4
        p = Partner(name="CERT-Elsewhere", country="DE", timezone="Europe/Berlin")
        s.add(p)
        s.flush()
        s.add(CasePartner(case_id=cases.get_case(s, keys["partnered"]).id, partner_id=p.id))
    return keys


def _keys(ws: Workspace, spec: str) -> set[str]:
    with ws.session() as s:
        return {r.key for r in queue.page(s, queue_filters.parse(spec).query, ws.actor)}


def test_saved_filters(ws: Workspace) -> None:
    k = _seed(ws)
    assert _keys(ws, "mine") == {k["mine"]}
    assert k["mine"] not in _keys(ws, "unassigned") and k["later"] in _keys(ws, "unassigned")
    assert _keys(ws, "overdue") == {k["overdue"]}
    assert _keys(ws, "due-24h") == {k["ours-soon"]}
    # Another party's obligations have their own saved filters (issue 16).
    assert _keys(ws, "watch-24h") == {k["soon"]}
    assert _keys(ws, "watch") == {k["soon"]}
    assert _keys(ws, "watch-overdue") == set()
    assert _keys(ws, "jurisdiction:EU") == {k["soon"]}
    assert _keys(ws, "jurisdiction:cn") == {k["overdue"]}
    assert _keys(ws, "tier:High") == {k["later"]}
    assert _keys(ws, "partner:CERT-Elsewhere") == {k["partnered"]}
    assert _keys(ws, "tier:High+status:new") == {k["later"]}
    assert _keys(ws, "tier:High+status:triage") == set()
    with pytest.raises(UsageError, match="unknown filter"):
        queue_filters.parse("everything")


def test_bulk_assign_and_undo(ws: Workspace) -> None:
    k = _seed(ws)
    targets = [k["mine"], k["later"], k["soon"]]
    with ws.session() as s:
        previous = queue_filters.bulk_assign(s, ws.require_actor(), targets, "bob")
    assert previous == {k["mine"]: "alice", k["later"]: None, k["soon"]: None}
    assert _keys(ws, "assignee:bob") == set(targets)
    with ws.session() as s:
        queue_filters.restore_assignees(s, ws.require_actor(), previous)
    assert _keys(ws, "assignee:bob") == set()
    assert _keys(ws, "mine") == {k["mine"]}


def test_bulk_assign_needs_a_shift_lead(ws: Workspace) -> None:
    k = _seed(ws)
    ws.act_as("bob")
    with ws.session() as s, pytest.raises(PermissionDenied):
        queue_filters.bulk_assign(s, ws.require_actor(), [k["later"]], "bob")


def test_countdown() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert queue_filters.countdown(now + timedelta(days=2, hours=3), now) == "due in 2 d"
    assert queue_filters.countdown(now + timedelta(hours=30), now) == "due in 30 h"
    assert queue_filters.countdown(now + timedelta(minutes=45), now) == "due in 45 min"
    assert queue_filters.countdown(now - timedelta(hours=5), now) == "overdue 5 h"
    assert queue_filters.countdown(now - timedelta(days=3, hours=1), now) == "overdue 3 d"
    assert queue_filters.countdown(None, now) == ""
    assert queue_filters.urgency(now - timedelta(minutes=1), now) == "overdue"
    assert queue_filters.urgency(now + timedelta(hours=23), now) == "due-24h"
    assert queue_filters.urgency(now + timedelta(hours=25), now) == "later"
    assert queue_filters.urgency(None, now) == ""


def test_cli_queue(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "a")
    cli("case", "new", "--title", "b")
    cli("case", "jurisdictions", "ACC-2026-0001", "--add", "CN")
    cli("case", "set", "ACC-2026-0001", "reported=2026-01-01T00:00Z")
    r = cli("queue", "--filter", "overdue", "--json")
    assert r.code == 0, r.err
    rows = r.json()
    assert [x["id"] for x in rows] == ["ACC-2026-0001"]  # type: ignore[index]
    assert rows[0]["overdue"] is True  # type: ignore[index]
    r = cli("queue", "--filter", "unassigned", "--assign-to", "alice", "--json")
    assert r.code == 0, r.err
    assert r.json()["assigned"] == ["ACC-2026-0001", "ACC-2026-0002"]  # type: ignore[index]
    assert len(cli("queue", "--filter", "mine", "--json").json()) == 2  # type: ignore[arg-type]
    assert cli("queue", "--filter", "nonsense").code == 2


def test_one_definition_of_open(ws: Workspace) -> None:
    """The status filter's "open", the saved filter "open" and the dashboard agree: a disclosed
    case is not open (issue 15 listed 138, 154 and a third count for one workspace)."""
    from app.casework import workflow
    from app.shift import dashboard
    from models import CaseStatus

    with ws.session() as s:
        actor = ws.require_actor()
        for status in CaseStatus:
            cases.create_case(s, actor, f"a {status.value} case", status=status)
    open_keys = _keys(ws, "open")
    with ws.session() as s:
        by_status = {
            r.key
            for r in queue.page(s, queue.QueueQuery(statuses=workflow.open_values()), ws.actor)
        }
        default = {r.key for r in queue.page(s, queue.default_query(), ws.actor)}
        chart = dashboard.by_tier_status(s)
    assert open_keys == by_status == default
    assert len(open_keys) == len(workflow.OPEN_STATES) == 6
    assert sum(sum(row) for row in chart.values) == 6
    assert "disclosed" not in chart.series


def test_spec_round_trip() -> None:
    """Each saved filter's query describes itself again, so the two filter bars agree."""
    for name, _label in queue_filters.SAVED:
        assert queue_filters.spec_of(queue_filters.parse(name).query) == name
    for spec in ("overdue+status:triage", "tier:High+mine", "status:all+overdue", "open"):
        query = queue_filters.parse(spec).query
        again = queue_filters.parse(queue_filters.spec_of(query)).query
        assert (again.statuses, again.assignee, again.terms) == (
            query.statuses,
            query.assignee,
            query.terms,
        )
    assert queue_filters.spec_of(queue.QueueQuery()) == ""
    assert queue_filters.spec_of(queue.default_query()) == "open"
    assert queue_filters.parse("open+status:triage").query.statuses == ("triage",)
    assert queue_filters.parse("open+status:closed").query.statuses == ()  # nothing matches


def test_default_order_is_overdue_first(any_ws: Workspace) -> None:
    """Next deadline first, cases without one last, on every backend."""
    ws = any_ws
    now = utcnow()
    with ws.session() as s:
        actor = ws.require_actor()
        made = {}
        for name, hours in (("none", None), ("later", 50), ("overdue", -30), ("soon", 3)):
            c = cases.create_case(s, actor, name)
            c.next_deadline_utc = now + timedelta(hours=hours) if hours is not None else None
            made[name] = c.key
        s.flush()
    for query in (queue.default_query(), queue.QueueQuery(sort="next_deadline")):
        with ws.session() as s:
            order = [r.key for r in queue.page(s, query, ws.actor)]
        assert order == [made[n] for n in ("overdue", "soon", "later", "none")]
    with ws.session() as s:
        desc = queue.QueueQuery(sort="next_deadline", descending=True)
        order = [r.key for r in queue.page(s, desc, ws.actor)]
    assert order == [made[n] for n in ("later", "soon", "overdue", "none")]


def test_cli_open_status(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "a")
    cli("case", "new", "--title", "b")
    assert cli("case", "transition", "ACC-2026-0002", "rejected", "--reason", "spam").code == 0
    rows = cli("cases", "list", "--status", "open", "--json").json()
    assert [x["id"] for x in rows] == ["ACC-2026-0001"]  # type: ignore[index]
    assert rows[0]["tlp"] == "CLEAR"  # type: ignore[index]


@pytest.mark.postgres
def test_analyst_list_needs_no_as_on_a_team_database(cli, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    assert cli("--db", pg_url, "init", "--org", "Team", "--analyst", "alice").code == 0
    added = cli("--db", pg_url, "--as", "alice", "analyst", "add", "bob", "--role", "analyst")
    assert added.code == 0, added.err
    # The login is the analyst (issue 13): the superuser that created the database acts as
    # its owner, alice, with no --as.
    assert cli("--db", pg_url, "case", "new", "--title", "x").code == 0
    listed = cli("--db", pg_url, "analyst", "list", "--json")
    assert listed.code == 0, listed.err
    assert [(a["name"], a["role"]) for a in listed.json()] == [  # type: ignore[index]
        ("alice", "coordinator"),
        ("bob", "analyst"),
    ]
