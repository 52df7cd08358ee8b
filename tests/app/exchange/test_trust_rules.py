"""TLP floor, embargo and sharing list (issue 13 item 4): each refusal the issue names, first as
the attack was tried, then the coordinator's recorded way through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import deadlines as dl
from app import trust
from app.casework import cases
from app.errors import AccordError, PermissionDenied
from app.exchange import export, importer, partners
from app.identity.actor import Actor
from models import AuditEvent, CaseStatus, Role
from tests.app.exchange.conftest import Org, befriend, make_org, open_case

LATER = (datetime.now(UTC) + timedelta(days=60)).replace(microsecond=0)


def _export(org: Org, to: list[str], keys: list[str], tlp: str, **kw: Any) -> bytes:
    with org.ws.session() as s:
        return export.export_bundle(s, org.ws.require_actor(), to, keys, tlp, **kw).data


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data)


def _actions(org: Org) -> list[str]:
    with org.ws.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _embargo(org: Org, key: str, until: datetime = LATER) -> None:
    with org.ws.session() as s:
        dl.set_fact(s, org.ws.require_actor(), key, "embargo-until", until)


def test_reshare_of_an_amber_case_at_clear_is_refused_from_the_cli(
    initialised_cli: Any, tmp_path: Path
) -> None:
    """The issue's attack: a partner that received a case at AMBER re-shares it at CLEAR."""
    cli = initialised_cli  # our workspace, CERT-Test, in SQLCipher
    a, jp = make_org("CERT-A"), make_org("JPCERT")
    ours = cli("org", "key", "generate", "--json").json()
    assert cli("org", "key", "export", "--out", str(tmp_path / "ours.asc")).code == 0
    for org in (a, jp):
        cert = tmp_path / f"{org.name}.asc"
        cert.write_text(org.certificate, encoding="utf-8")
        add = cli("partner", "add", "--name", org.name, "--country", "FR", "--tz", "Europe/Paris",
                  "--key", str(cert))  # fmt: skip
        assert add.code == 0, add.err
        assert cli("partner", "verify", org.name, "--fingerprint", org.fingerprint).code == 0
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        partners.add_partner(
            s, actor, "CERT-Test", "DE", "Europe/Berlin",
            (tmp_path / "ours.asc").read_text(encoding="utf-8"), ["en"],
        )  # fmt: skip
        partners.verify_partner(s, actor, "CERT-Test", ours["fingerprint"])
    bundle = tmp_path / "from-a.bundle"
    bundle.write_bytes(_export(a, ["CERT-Test"], [open_case(a)], "AMBER"))
    imported = cli("bundle", "import", str(bundle), "--json")
    assert imported.code == 0, imported.err
    key, bundle_id = imported.json()["cases"][0]["case"], imported.json()["bundle_id"]

    out = tmp_path / "to-jpcert.bundle"
    attack = cli("bundle", "export", "--to", "JPCERT", "--case", key, "--tlp", "CLEAR",
                 "--out", str(out))  # fmt: skip
    assert attack.code == 1, attack.err
    assert "TLP:AMBER as received from CERT-A" in attack.err and bundle_id in attack.err
    assert not out.exists()
    # At AMBER it is still a third party, not on the case's sharing list.
    amber = cli("bundle", "export", "--to", "JPCERT", "--case", key, "--tlp", "AMBER",
                "--out", str(out))  # fmt: skip
    assert amber.code == 1 and "sharing list" in amber.err and not out.exists()
    # An override does not move the floor: only a recorded downgrade does.
    forced = cli("bundle", "export", "--to", "JPCERT", "--case", key, "--tlp", "CLEAR",
                 "--out", str(out), "--override", "urgent")  # fmt: skip
    assert forced.code == 1 and not out.exists()

    shown = cli("case", "tlp", key, "--json").json()
    assert shown["tlp"] == "AMBER" and shown["own_tlp"] == "CLEAR"
    assert (shown["floor"], shown["floor_partner"], shown["floor_bundle"]) == (
        "AMBER", "CERT-A", bundle_id,
    )  # fmt: skip
    no_consent = cli("case", "tlp", key, "--downgrade", "CLEAR", "--reason", "vendor fixed it")
    assert no_consent.code == 1 and "--partner-consent" in no_consent.err
    assert cli("case", "tlp", key, "--downgrade", "CLEAR").code == 2  # no reason
    ok = cli("case", "tlp", key, "--downgrade", "CLEAR", "--reason", "vendor fixed it",
             "--partner-consent", "CERT-A by e-mail 2026-11-30", "--json")  # fmt: skip
    assert ok.code == 0, ok.err
    assert ok.json()["tlp"] == "CLEAR"
    log = cli("audit", "log", "--case", key, "--json")
    downgrade = [e for e in log.json() if e["action"] == "case.tlp.downgrade"]
    assert downgrade and downgrade[0]["details"]["partner_consent"] == "CERT-A by e-mail 2026-11-30"
    assert downgrade[0]["details"]["bundle"] == bundle_id
    sent = cli("bundle", "export", "--to", "JPCERT", "--case", key, "--tlp", "CLEAR",
               "--out", str(out))  # fmt: skip
    assert sent.code == 0, sent.err
    for org in (a, jp):
        org.ws.engine.dispose()


def test_received_floor_and_embargo_hold_and_travel(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = open_case(a)
    _embargo(a, key)
    with a.ws.session() as s:
        trust.share(s, a.ws.require_actor(), key, "CERT-B", remove=False)
    result = _import(b, _export(a, ["CERT-B"], [key], "AMBER"))
    assert result.imported, result.report.reason
    theirs = result.cases[0].case
    with b.ws.session() as s:
        info = trust.info(s, theirs)
        assert info.tlp == "AMBER" and info.floor_partner == "CERT-A"
        # The sender's embargo came with the case; the sender is on the sharing list.
        assert info.embargo_until == LATER
        assert info.sharing == ("CERT-A",)
        assert "case.trust.received" in [
            e for e in s.scalars(select(AuditEvent.action).where(AuditEvent.case_key == theirs))
        ]
        # Raising is anyone's; lowering is not a raise.
        with pytest.raises(AccordError, match="downgrade"):
            trust.raise_tlp(s, b.ws.require_actor(), theirs, "CLEAR")
    # Back to the originator below the floor, and at CLEAR during the embargo: refused.
    with b.ws.session() as s, pytest.raises(trust.TrustRefused) as refused:
        export.export_bundle(s, b.ws.require_actor(), ["CERT-A"], [theirs], "GREEN")
    assert {v.rule for v in refused.value.violations} == {trust.FLOOR}
    with b.ws.session() as s, pytest.raises(trust.TrustRefused) as refused:
        export.preview_bundle(s, b.ws.require_actor(), ["CERT-A"], [theirs], "CLEAR")
    assert trust.FLOOR in {v.rule for v in refused.value.violations}
    # At the floor, to the sharing list: fine.
    assert _export(b, ["CERT-A"], [theirs], "AMBER")


def test_export_outside_the_sharing_list_during_embargo_and_the_override(
    orgs: tuple[Org, Org],
) -> None:
    a, _b = orgs
    c = make_org("CERT-C")
    befriend(a, c)
    key = open_case(a)
    _embargo(a, key)
    with a.ws.session() as s:
        trust.share(s, a.ws.require_actor(), key, "CERT-B", remove=False)
    assert _export(a, ["CERT-B"], [key], "AMBER")  # on the list
    with a.ws.session() as s, pytest.raises(trust.TrustRefused, match="sharing list") as refused:
        export.export_bundle(s, a.ws.require_actor(), ["CERT-C"], [key], "AMBER")
    assert "--override" in str(refused.value)
    with a.ws.session() as s, pytest.raises(trust.TrustRefused, match="TLP:CLEAR"):
        export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "CLEAR")
    # An analyst may not override; a coordinator may, with a reason, and it is audited.
    analyst = Actor(id=0, name="mallory", role=Role.ANALYST)
    with a.ws.session() as s, pytest.raises(PermissionDenied):
        trust.enforce(
            s, analyst, trust.export_violations(s, [cases.get_case(s, key)], [], "CLEAR"),
            "because", action="bundle.export", entity="bundle", entity_id="x",
        )  # fmt: skip
    assert _export(a, ["CERT-C"], [key], "AMBER", override="CERT-C runs the vendor's PSIRT")
    with a.ws.session() as s:
        details = s.scalar(select(AuditEvent.details).where(AuditEvent.action == "trust.override"))
    assert details is not None
    assert details["reason"] == "CERT-C runs the vendor's PSIRT"
    assert [r["rule"] for r in details["rules"]] == [trust.SHARING_LIST]
    assert details["action"] == "bundle.export"
    # After the embargo, own CLEAR cases go to anyone, as before.
    _embargo(a, key, datetime.now(UTC) - timedelta(minutes=1))
    assert _export(a, ["CERT-C"], [key], "CLEAR")
    c.ws.engine.dispose()


def test_disclosed_during_embargo_is_refused_from_the_cli(initialised_cli: Any) -> None:
    cli = initialised_cli
    key = cli("case", "new", "--title", "Embargoed", "--json").json()["id"]
    until = LATER.isoformat()
    assert cli("case", "set", key, f"embargo-until={until}").code == 0
    for state in ("triage", "accepted", "coordinating", "remediation"):
        assert cli("case", "transition", key, state, "--reason", "on").code == 0
    early = cli("case", "transition", key, "disclosed", "--reason", "vendor shipped")
    assert early.code == 1 and "under embargo" in early.err and "--override" in early.err
    assert cli("case", "show", key, "--json").json()["status"] == "remediation"
    forced = cli("case", "transition", key, "disclosed", "--reason", "vendor shipped",
                 "--override", "exploited in the wild", "--json")  # fmt: skip
    assert forced.code == 0, forced.err
    events = cli("audit", "log", "--case", key, "--json").json()
    override = [e for e in events if e["action"] == "trust.override"]
    assert override and override[0]["details"]["reason"] == "exploited in the wild"
    assert override[0]["details"]["rules"][0]["rule"] == trust.EMBARGO_DISCLOSED


def test_disclosed_after_embargo_needs_no_override(ws: Any) -> None:
    with ws.session() as s:
        actor = ws.require_actor()
        case = cases.create_case(s, actor, "Past embargo", status=CaseStatus.REMEDIATION)
        dl.set_fact(s, actor, case.key, "embargo-until", datetime.now(UTC) - timedelta(hours=1))
        assert cases.transition(s, actor, case.key, "disclosed", "done") == (
            "remediation",
            "disclosed",
        )
