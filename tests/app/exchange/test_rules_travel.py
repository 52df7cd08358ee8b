"""Rules travel with the case (issue 16): a team's custom rule file goes in the bundle with
its text and hash, and the partner keeps and evaluates it without having the file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app import deadlines as dl
from app.deadlines.rules import load_rules
from app.exchange import export, importer
from models import Case, CaseFact, CaseRuleSet
from tests.app.exchange.conftest import Org, open_case
from tests.conftest import FIXTURES

REPORTED = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 10:00 in Dubai, a Thursday


def test_a_custom_rule_survives_a_bundle_round_trip(orgs: tuple[Org, Org], tmp_path: Path) -> None:
    a, b = orgs
    (tmp_path / "gulf.yaml").write_text((FIXTURES / "deadlines" / "team-gulf.yaml").read_text())
    team = load_rules([tmp_path])
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        dl.set_jurisdictions(s, actor, key, ["AE"], [], team)
        dl.set_fact(s, actor, key, "reported", REPORTED, team)
        dl.set_fact(s, actor, key, "vendor-contacted@JPCERT/CC", REPORTED, team)
        ours = {v.rule: v for v in dl.deadlines(s, actor, key, team)}
    assert ours["team-gulf-notify-2bd"].due_utc == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    # Without the team folder (no ACCORD_JURISDICTIONS) the case still has its rule: the
    # file's text is kept with the case.
    with a.ws.session() as s:
        again = {v.rule: v for v in dl.deadlines(s, a.ws.require_actor(), key)}
    assert again["team-gulf-notify-2bd"].due_utc == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert again["team-gulf-notify-2bd"].provenance["loaded"] is False

    with a.ws.session() as s:
        data = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "GREEN").data
    with b.ws.session() as s:
        result = importer.import_bundle(s, b.ws.require_actor(), data, name="in.bundle")
    assert result.imported, result.report.reason
    theirs = result.cases[0].case
    with b.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == theirs))
        assert case is not None
        kept = s.scalars(select(CaseRuleSet).where(CaseRuleSet.case_id == case.id)).all()
        gulf = next(r for r in kept if r.code == "TEAM-GULF")
        assert gulf.origin.startswith("partner CERT-A")
        views = {v.rule: v for v in dl.deadlines(s, b.ws.require_actor(), theirs)}
        party = s.scalars(select(CaseFact).where(CaseFact.party == "JPCERT/CC")).one()
        assert party.name == "vendor-contacted"
    gv = views["team-gulf-notify-2bd"]
    assert gv.due_utc == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert gv.provenance["origin"].startswith("partner CERT-A")  # type: ignore[union-attr]
    assert gv.provenance["sha256"] == gulf.sha256
