"""The queue's ids come back in display order on every backend (PostgreSQL hands them over as
one array, SQLite as one string: issue 17)."""

from __future__ import annotations

import random

from app.casework import cases
from app.queueing import filters as queue_filters
from app.queueing import queue
from app.queueing.queue import SORTABLE, QueueQuery
from app.workspaces.lifecycle import Workspace
from models import Analyst, Case, Role


def test_ids_in_display_order(any_ws: Workspace) -> None:
    actor = any_ws.require_actor()
    rng = random.Random(3)
    titles = [f"{rng.choice('MKAZB')} case {rng.randint(1, 9)}" for _ in range(25)]
    with any_ws.session() as s:
        made = [cases.create_case(s, actor, t) for t in titles]
        by_title = sorted(made, key=lambda c: (c.title, c.id))
        expected = {
            ("id", False): [c.id for c in made],
            ("title", False): [c.id for c in by_title],
            ("title", True): [c.id for c in reversed(by_title)],
        }
        for (sort, desc), want in expected.items():
            assert queue.ids(s, QueueQuery(sort=sort, descending=desc), actor) == want
        cases.transition(s, actor, made[4].key, "triage", "look")
        got = queue.ids(s, QueueQuery(statuses=("triage",)), actor)
        assert got == [made[4].id]
        # A saved filter with no match is an empty list, not None.
        assert queue.ids(s, queue_filters.parse("jurisdiction:ZZ").query, actor) == []
        assert s.get(Case, made[0].id) is not None


def test_state_filter_keeps_every_sort_order(any_ws: Workspace) -> None:
    """With only states narrowing it, SQLite walks each sort's own index (named for it);
    the order must be the unfiltered order with the other states left out, on every backend."""
    actor = any_ws.require_actor()
    rng = random.Random(11)
    with any_ws.session() as s:
        s.add_all([Analyst(name=n, role=Role.ANALYST) for n in ("Zora", "Ann")])
        s.flush()
        made = [cases.create_case(s, actor, f"{rng.choice('QBMA')} {i % 4}") for i in range(30)]
        for i, c in enumerate(made):
            if i % 3:
                cases.transition(s, actor, c.key, rng.choice(["triage", "rejected"]), "look")
            if i % 4:
                cases.assign(s, actor, c.key, rng.choice(["Zora", "Ann", actor.name]))
            c.tier_rank = rng.randint(0, 4)
            c.partners_label = rng.choice(["", "CERT-A", "CERT-B, CERT-C"])
        s.flush()
        state = {c.id: c.status.value for c in made}
        wanted = ("new", "triage")
        for sort in SORTABLE:
            for desc in (False, True):
                everything = queue.ids(s, QueueQuery(sort=sort, descending=desc), actor)
                want = [i for i in everything if state[i] in wanted]
                got = queue.ids(s, QueueQuery(statuses=wanted, sort=sort, descending=desc), actor)
                assert got == want, (sort, desc)
