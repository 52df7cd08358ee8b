"""CSAF product statuses from the vendors' party statuses; acknowledgments from the reporter's
credit. Both checked by the csaf package's mandatory tests, in CSAF 2.0 and 2.1."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import parties
from app.advisories import content, csaf_export
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Case, Vulnerability

T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _add_other_vendor(ws: Workspace, key: str) -> None:
    with ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        vuln = s.scalar(select(Vulnerability).where(Vulnerability.case_id == case.id))
        assert vuln is not None
        vuln.affected.append(
            AffectedProduct(kind="system", name="Gatekeeper", vendor="Other AI", version="1.2")
        )
        vuln.affected.append(
            AffectedProduct(kind="system", name="Sidecar", vendor="Third Party Ltd", version="9")
        )


def _groups(doc: dict, names: dict[str, str]) -> dict[str, set[str]]:  # type: ignore[type-arg]
    status = doc["vulnerabilities"][0]["product_status"]
    return {group: {names[p] for p in pids} for group, pids in status.items()}


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_vendor_statuses_become_product_statuses(ws: Workspace, drafted: str, version: str) -> None:
    _add_other_vendor(ws, drafted)
    actor = ws.require_actor()
    with ws.session() as s:
        parties.add(s, actor, drafted, "vendor", "example corp")
        parties.set_status(s, actor, drafted, "example corp", "notified", at=T)
        parties.set_status(s, actor, drafted, "example corp", "not-affected", "not shipped")
        parties.add(s, actor, drafted, "vendor", "Other AI")
        parties.set_status(s, actor, drafted, "Other AI", "under investigation")
        parties.add(s, actor, drafted, "reporter", "r3s", pseudonymous=True, credit="r3s")
        c = content.load(s, drafted)
    names = {p.product_id: p.name for p in c.products}
    doc = csaf_export.build(c, version)
    assert csaf_export.validate(doc, version) == []
    assert _groups(doc, names) == {
        "known_not_affected": {"ExampleChat", "LLM-7B"},
        "under_investigation": {"Gatekeeper"},
        "known_affected": {"Sidecar"},  # its vendor is no party: as the case lists it
    }
    vuln = doc["vulnerabilities"][0]
    for remediation in vuln["remediations"]:  # no fix for what is not affected
        assert {names[p] for p in remediation["product_ids"]} == {"Gatekeeper", "Sidecar"}
    # The analyst's credits text stays; the reporter's credited name goes with it.
    assert doc["document"]["acknowledgments"][0]["names"] == ["r3s"]

    with ws.session() as s:
        parties.set_status(
            s, actor, drafted, "Other AI", "fixed", "1.3 released", fixed_version="1.3"
        )
        parties.set_status(s, actor, drafted, "example corp", "affected")
        c = content.load(s, drafted)
    names = {p.product_id: f"{p.name} {p.version}" for p in c.products}
    doc = csaf_export.build(c, version)
    assert csaf_export.validate(doc, version) == []
    # The listed Gatekeeper 1.2 stays affected (a consumer running it is not safe); the fixed
    # version the vendor named is a product of its own, under "fixed".
    assert _groups(doc, names) == {
        "known_affected": {"ExampleChat 2.3", "LLM-7B 1.0", "Sidecar 9", "Gatekeeper 1.2"},
        "fixed": {"Gatekeeper 1.3"},
    }
    [other] = [b for b in doc["product_tree"]["branches"] if b["name"] == "Other AI"]
    leaves = other["branches"][0]["branches"]
    assert [leaf["name"] for leaf in leaves] == ["1.2", "1.3"]
    # Without a fixed version, "fixed" leaves the listed versions affected and lists nothing.
    with ws.session() as s:
        parties.set_status(s, actor, drafted, "Other AI", "fixed", "fixed somehow")
        c = content.load(s, drafted)
    doc = csaf_export.build(c, version)
    assert csaf_export.validate(doc, version) == []
    assert set(doc["vulnerabilities"][0]["product_status"]) == {"known_affected"}


def test_a_partner_status_counts_only_where_we_have_none(ws: Workspace, drafted: str) -> None:
    actor = ws.require_actor()
    with ws.session() as s:
        info = parties.add(s, actor, drafted, "vendor", "Example Corp")
        row = s.get(parties.service.CaseParty, info.id)
        assert row is not None
        row.statuses.append(
            parties.service.PartyStatus(status="fixed", at=T, by="x", origin_fingerprint="AB" * 20)
        )
        s.flush()
        assert dict(content.load(s, drafted).vendor_statuses) == {"example corp": "fixed"}
        assert content.load(s, drafted).fixed_for == ()  # no fixed version named
        parties.set_status(s, actor, drafted, "Example Corp", "affected")
        assert dict(content.load(s, drafted).vendor_statuses) == {"example corp": "affected"}
