"""The headless side of the issue 15.2 screens: ``case new`` with TLP and jurisdictions in one
transaction, the header's case summary, analyst administration for every kind of workspace,
and the audit chain as a report naming the first bad event."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.casework import cases, summary
from app.errors import AccordError
from app.identity import admin, chain_report
from app.workspaces.lifecycle import Workspace


def test_case_new_with_tlp_and_jurisdictions(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    r = cli(
        "case", "new", "--title", "Tool-call exfiltration", "--tlp", "RED",
        "--jurisdiction", "EU", "--jurisdiction", "jp", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    key = r.json()["id"]
    shown = cli("case", "show", key, "--json").json()
    assert shown["tlp"] == "RED" and shown["jurisdictions"] == ["EU", "JP"]
    # An unknown code refuses the whole case: nothing half-made.
    bad = cli("case", "new", "--title", "Half", "--jurisdiction", "ATLANTIS", "--json")
    assert bad.code == 2 and "ATLANTIS" in bad.err
    listed = cli("cases", "list", "--json").json()
    assert [c["title"] for c in listed].count("Half") == 0


def test_summary_names_what_the_header_shows(ws: Workspace) -> None:
    actor = ws.require_actor()
    with ws.session() as s:
        key = summary.open_case(s, actor, "A case", tlp="AMBER", codes=["EU-CRA"])
    with ws.session() as s:
        shown = summary.summary(s, actor, key)
    assert (shown.tlp, shown.jurisdictions, shown.sharing) == ("AMBER", ("EU-CRA",), ())
    assert shown.embargo_until is None and shown.reporter is None
    codes = {j.code for j in summary.jurisdictions()}
    assert {"EU", "JP", "EU-CRA", "US"} <= codes and "ACCORD" not in codes  # always-on set
    with pytest.raises(AccordError), ws.session() as s:
        summary.open_case(s, actor, "   ")


def test_admin_in_memory_has_no_passphrases(ws: Workspace) -> None:
    added = admin.add(ws, "dora", "shift-lead", "Asia/Tokyo")
    assert added.one_time_passphrase is None and added.info.role == "shift-lead"
    with pytest.raises(AccordError, match="key slots"):
        admin.reset(ws, "dora")
    done = admin.deactivate(ws, "dora")
    assert done.rekeyed is False
    assert admin.can_manage(ws.actor)


def test_chain_report_names_the_first_bad_event(ws: Workspace) -> None:
    actor = ws.require_actor()
    with ws.session() as s:
        for i in range(4):
            cases.create_case(s, actor, f"case {i}")
    with ws.session() as s:
        report = chain_report.check(s)
    assert report.ok and report.events >= 5 and report.bad is None
    assert report.signed + report.unsigned == report.events and report.checkpoints == 0
    with ws.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET entity_id='999' WHERE seq=4"))
    with ws.session() as s:
        broken = chain_report.check(s)
    assert not broken.ok and broken.bad is not None and broken.bad.seq == 4
    assert broken.bad.action == "case.create" and broken.bad.case is not None
    assert "edited" in (broken.problem or "")
