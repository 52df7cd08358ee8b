"""Merging any two cases with a preview and an exact undo; splitting a report out; links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.casework import affected, cases, identifiers, merging, notes
from app.deadlines import service as deadlines
from app.errors import AccordError, ConflictError
from app.workspaces.lifecycle import Workspace
from models import (
    AuditEvent,
    Case,
    CaseFact,
    CaseJurisdiction,
    CaseStatus,
    Note,
    Report,
    Vulnerability,
)


def _case_with_report(ws: Workspace, title: str, doc_id: str, at: datetime) -> str:
    actor = ws.require_actor()
    with ws.session() as s:
        case = cases.create_case(s, actor, title, created_at=at)
        r = Report(case_id=case.id, title=title, description="", document_id=doc_id)
        s.add(r)
        s.flush()
        s.add(Vulnerability(case_id=case.id, report_id=r.id, title=title))
        s.add(CaseFact(case_id=case.id, name="reported", at=at))
        return case.key


def _counts(ws: Workspace, key: str) -> dict[str, int]:
    with ws.session() as s:
        cid = s.scalar(select(Case.id).where(Case.key == key))
        return {
            "reports": s.scalar(select(func.count()).where(Report.case_id == cid)) or 0,
            "vulns": s.scalar(select(func.count()).where(Vulnerability.case_id == cid)) or 0,
            "notes": s.scalar(select(func.count()).where(Note.case_id == cid)) or 0,
        }


def test_merge_preview_merge_and_unmerge_on_every_backend(any_ws: Workspace) -> None:
    ws = any_ws
    actor = ws.require_actor()
    early, late = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    mail = _case_with_report(ws, "E-mail: injection in Portico", "mail-1", early)
    csaf = _case_with_report(ws, "HLX-SA-2026-017 Portico", "HLX-SA-2026-017", late)
    with ws.session() as s:
        identifiers.add(s, actor, mail, "cve", "CVE-2026-41234")
        affected.add(s, actor, mail, name="Portico LLM Gateway", version_range="3.2.0 - 3.4.1")
        notes.add(s, actor, mail, "researcher's timeline", shared=True)
        deadlines.set_jurisdictions(s, actor, mail, ["EU"], [])
        cases.get_case(s, mail).tlp = "AMBER"
    before = {k: _counts(ws, k) for k in (mail, csaf)}
    with ws.session() as s:
        plan = merging.preview(s, mail, csaf)
    assert plan.moved["reports"] and len(plan.moved["vulnerabilities"]) == 1
    assert plan.identifiers == ["CVE CVE-2026-41234"] and plan.products == 1
    assert plan.jurisdictions == ["EU"] and plan.tlp == ("CLEAR", "AMBER")
    assert plan.facts == {"reported": {"from": late.isoformat(), "to": early.isoformat()}}
    assert {k: _counts(ws, k) for k in (mail, csaf)} == before  # a preview changes nothing

    with ws.session() as s:
        merging.merge(s, actor, mail, csaf, "same advisory")
    assert _counts(ws, mail) == {"reports": 0, "vulns": 0, "notes": 0}
    assert _counts(ws, csaf) == {"reports": 2, "vulns": 2, "notes": 1}
    with ws.session() as s:
        src, dst = cases.get_case(s, mail), cases.get_case(s, csaf)
        assert src.status == CaseStatus.DUPLICATE and dst.tlp == "AMBER"
        assert "CVE-2026-41234" in [i.value for i in identifiers.of_case(s, dst)]
        assert [a.name for a in affected.of_case(s, dst)] == ["Portico LLM Gateway"]
        codes = set(
            s.scalars(select(CaseJurisdiction.code).where(CaseJurisdiction.case_id == dst.id))
        )
        assert codes == {"EU"}
        reported = s.scalar(
            select(CaseFact.at).where(CaseFact.case_id == dst.id, CaseFact.name == "reported")
        )
        assert reported == early  # the earlier report starts the clocks
        assert merging.merged_into(s, src) == csaf
        actions = {
            (e.case_key, e.action)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("case.%")))
        }
        assert (csaf, "case.merge") in actions and (mail, "case.transition") in actions

    with ws.session() as s:
        merging.unmerge(s, actor, mail, "wrong pair")
    assert {k: _counts(ws, k) for k in (mail, csaf)} == before
    with ws.session() as s:
        src, dst = cases.get_case(s, mail), cases.get_case(s, csaf)
        assert src.status == CaseStatus.NEW and dst.tlp == "CLEAR"
        assert identifiers.of_case(s, dst) == [
            i for i in identifiers.of_case(s, dst) if i.value != "CVE-2026-41234"
        ]
        assert not list(
            s.scalars(select(CaseJurisdiction).where(CaseJurisdiction.case_id == dst.id))
        )
        reported = s.scalar(
            select(CaseFact.at).where(CaseFact.case_id == dst.id, CaseFact.name == "reported")
        )
        assert reported == late
        assert merging.merged_into(s, src) is None
    with ws.session() as s, pytest.raises(AccordError):
        merging.unmerge(s, actor, mail, "again")


def test_merge_refuses_itself_a_duplicate_target_and_a_disclosed_source(ws: Workspace) -> None:
    actor = ws.require_actor()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    a = _case_with_report(ws, "a", "a", at)
    b = _case_with_report(ws, "b", "b", at)
    c = _case_with_report(ws, "c", "c", at)
    with ws.session() as s, pytest.raises(AccordError):
        merging.merge(s, actor, a, a, "x")
    with ws.session() as s:
        merging.merge(s, actor, a, b, "dup")
    with ws.session() as s, pytest.raises(AccordError, match="duplicate"):
        merging.preview(s, c, a)
    with ws.session() as s:
        cases.get_case(s, c).status = CaseStatus.DISCLOSED
    with ws.session() as s, pytest.raises(AccordError, match="cannot become a duplicate"):
        merging.merge(s, actor, c, b, "x")


def test_a_merge_against_a_stale_view_is_a_conflict(ws: Workspace) -> None:
    actor = ws.require_actor()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    a = _case_with_report(ws, "a", "a", at)
    b = _case_with_report(ws, "b", "b", at)
    with ws.session() as s:
        seen = cases.detail(s, b).version
    with ws.session() as s:
        identifiers.add(s, actor, b, "cve", "CVE-2026-2222")  # someone else's edit
    with ws.session() as s, pytest.raises(ConflictError):
        merging.merge(s, actor, a, b, "dup", dst_version=seen)
    with ws.session() as s, pytest.raises(ConflictError):
        notes.add(s, actor, b, "from a stale screen", expected_version=seen)
    assert _counts(ws, a)["reports"] == 1


def test_split_moves_one_report_into_a_linked_case(ws: Workspace) -> None:
    actor = ws.require_actor()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    a = _case_with_report(ws, "first", "doc-1", at)
    b = _case_with_report(ws, "second", "doc-2", at)
    with ws.session() as s:
        merging.merge(s, actor, b, a, "looked the same")
        moved = s.scalars(select(Report.id).where(Report.document_id == "doc-2")).one()
        only = s.scalars(select(Report.id).where(Report.document_id == "doc-1")).one()
    with ws.session() as s:
        cases.get_case(s, a).tlp = "AMBER"
        new = merging.split(s, actor, a, moved, "a different model family")
    assert _counts(ws, a)["reports"] == 1 and _counts(ws, new) == {
        "reports": 1,
        "vulns": 1,
        "notes": 0,
    }
    with ws.session() as s:
        fresh = cases.get_case(s, new)
        assert fresh.tlp == "AMBER"  # nothing of it drops below what it was shared under
        assert [link.key for link in merging.links_of(s, cases.get_case(s, a))] == [new]
    with ws.session() as s, pytest.raises(AccordError, match="only report"):
        merging.split(s, actor, a, only, "x")


def test_link_and_unlink_are_audited_on_both_cases(ws: Workspace) -> None:
    actor = ws.require_actor()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    a = _case_with_report(ws, "a", "a", at)
    b = _case_with_report(ws, "b", "b", at)
    with ws.session() as s:
        merging.link(s, actor, a, b, "same campaign")
    with ws.session() as s, pytest.raises(AccordError, match="already"):
        merging.link(s, actor, b, a, "again")
    with ws.session() as s:
        assert [x.key for x in merging.links_of(s, cases.get_case(s, b))] == [a]
        merging.link(s, actor, b, a, "", remove=True)
        assert merging.links_of(s, cases.get_case(s, a)) == []
        rows = s.execute(
            select(AuditEvent.case_key, AuditEvent.action).where(
                AuditEvent.action.in_(["case.link", "case.unlink"])
            )
        ).all()
    assert sorted(rows) == sorted(
        [(a, "case.link"), (b, "case.link"), (a, "case.unlink"), (b, "case.unlink")]
    )


def test_merge_from_the_cli_preview_then_reason(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    a = cli("case", "new", "--title", "a", "--json").json()["id"]
    b = cli("case", "new", "--title", "b", "--json").json()["id"]
    prev = cli("case", "merge", a, b, "--preview", "--json")
    assert prev.code == 0 and prev.json()["preview"] is True
    assert cli("case", "show", a, "--json").json()["status"] == "new"
    assert cli("case", "merge", a, b).code == 2  # a merge needs a reason
    done = cli("case", "merge", a, b, "--reason", "same report twice")
    assert done.code == 0 and "Merged" in done.out
    assert cli("case", "show", a, "--json").json()["merged_into"] == b
    assert cli("case", "unmerge", a, "--reason", "not the same").code == 0
    assert cli("case", "link", a, b, "--reason", "same vendor").code == 0
    assert cli("case", "show", b, "--json").json()["links"][0]["case"] == a
    log = cli("audit", "log", "--case", b).out
    assert "case.merge" in log and "case.unmerge" in log and "case.link" in log
