"""Two organisations exchange bundles both ways; what merges, what stays ours, what is audited."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app import trust
from app.errors import AccordError, UsageError
from app.exchange import export, importer, verify
from app.playbooks import runner
from app.workspaces.lifecycle import Workspace
from models import (
    Advisory,
    AdvisoryText,
    Assessment,
    Attachment,
    AuditEvent,
    Bundle,
    Case,
    Partner,
    PlaybookRun,
    PlaybookStep,
    QuarantineItem,
)
from tests.app.exchange.conftest import Org, base_manifest, craft, open_case


def _assess(org: Org, key: str, tier: str = "High") -> None:
    with org.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        s.add(
            Assessment(
                case_id=case.id,
                model_id="accord-severity",
                model_version="1.0",
                cvss_version="4.0",
                cvss_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
                tier=tier,
                rationale="ours",
                analyst_id=org.ws.require_actor().id,
                ssvc_recorded=[
                    {
                        "table": "coordinator-triage",
                        "inputs": {"RP": "N", "SP": "Y"},
                        "decision": "Coordinate",
                        "outcome_key": "coordinate",
                    }
                ],
            )
        )


def _export(org: Org, to: list[str], keys: list[str], tlp: str, **kw: object) -> bytes:
    with org.ws.session() as s:
        return export.export_bundle(s, org.ws.require_actor(), to, keys, tlp, **kw).data  # type: ignore[arg-type]


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def test_round_trip_between_two_organisations(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = open_case(a)
    _assess(a, key, "High")
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        adv = Advisory(case_id=case.id, source_language="en")
        adv.texts.append(AdvisoryText(field="title", language="en", text="Injected tools"))
        s.add(adv)
    data = _export(a, ["CERT-B"], [key], "AMBER")
    assert not data.startswith(b"PK")  # AMBER: the whole zip is encrypted

    result = _import(b, data)
    assert result.imported, result.report.reason
    assert result.report.sender == "CERT-A" and result.report.tlp == "AMBER"
    assert [c.created for c in result.cases] == [True]
    theirs = result.cases[0].case
    with b.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == theirs))
        assert case is not None and case.title == "Prompt injection through tool output"
        partner_a = s.scalar(select(Partner).where(Partner.name == "CERT-A"))
        assert partner_a is not None and case.source_partner_id == partner_a.id
        rows = s.scalars(select(Assessment).where(Assessment.case_id == case.id)).all()
        assert [(r.tier, r.partner_id, r.partner_fingerprint) for r in rows] == [
            ("High", partner_a.id, a.fingerprint)
        ]
        # The coordinator decisions recorded beside the tier travel too.
        assert [(d["table"], d["decision"]) for d in rows[0].ssvc_recorded] == [
            ("coordinator-triage", "Coordinate")
        ]
        adv = s.scalar(select(Advisory).where(Advisory.case_id == case.id))
        assert adv is not None and adv.partner_id == partner_a.id
        assert [t.text for t in adv.texts] == ["Injected tools"]
        assert partner_a.last_sequence_in == 1
    # B scores it too, and sends the case back.
    _assess(b, theirs, "Critical")
    with b.ws.session() as s:  # A sent it at AMBER: going back at GREEN takes A's consent
        trust.downgrade(
            s, b.ws.require_actor(), theirs, "GREEN", "back to its originator", "CERT-A, by phone"
        )
    back = _export(b, ["CERT-A"], [theirs], "GREEN")
    assert back.startswith(b"PK")  # GREEN: signed, not encrypted
    result = _import(a, back)
    assert result.imported, result.report.reason
    assert [(c.case, c.created) for c in result.cases] == [(key, False)]  # onto our own case
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        rows = s.scalars(
            select(Assessment).where(Assessment.case_id == case.id).order_by(Assessment.id)
        ).all()
        assert [(r.tier, r.partner_fingerprint) for r in rows] == [
            ("High", None),
            ("Critical", b.fingerprint),
        ]
        # our advisory is kept; B's copy of it (theirs from our point of view) did not overwrite
        adv = s.scalar(select(Advisory).where(Advisory.case_id == case.id))
        assert adv is not None and adv.partner_id is None
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
        assert "bundle.export" in actions and "bundle.import" in actions
        assert "assessment.import" in actions
    # the same bundle a second time is a replay
    again = _import(a, back)
    assert not again.imported and "replayed" in (again.report.reason or "")


def test_export_audit_names_every_file_and_hash(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        result = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "CLEAR")
    with a.ws.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.export"))
        assert ev is not None
        paths = {f["path"]: f["sha256"] for f in ev.details["files"]}
        assert paths[f"cases/{key}.json"] == next(
            f.sha256 for f in result.plan.files if f.path == f"cases/{key}.json"
        )
        out = s.scalar(select(Bundle).where(Bundle.direction == "out"))
        assert out is not None and out.bundle_uuid == result.plan.bundle_id
    with zipfile.ZipFile(io.BytesIO(result.data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["tlp"] == "CLEAR" and manifest["sender"]["fingerprint"] == a.fingerprint
    assert manifest["recipients"][0]["sequence"] == 1
    assert manifest["severity_model"] == {
        "id": "accord-severity",
        "version": "1.1",
        "ref": "accord-severity/1.1",
    }
    # The sender's signed audit checkpoint travels as a listed file (brief w2-exch item 1).
    assert {f["path"] for f in manifest["files"]} == {f"cases/{key}.json", "audit-checkpoint.json"}


def test_preview_lists_every_file_and_changes_nothing(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        s.add(
            Attachment(case_id=case.id, filename="notes.txt", content=b"n", sha256="0" * 64, size=1)
        )
        s.add(
            Attachment(
                case_id=case.id,
                filename="exploit.py",
                content=b"x",
                sha256="1" * 64,
                size=1,
                hazardous=True,
                hazard_kind="working exploit",
            )
        )
    with a.ws.session() as s:
        plan = export.preview_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER")
        partner = s.scalar(select(Partner).where(Partner.name == "CERT-B"))
        assert partner is not None and partner.last_sequence_out == 0
    paths = [f.path for f in plan.files]
    assert f"cases/{key}.json" in paths and "manifest.json" in paths
    assert "manifest.json.asc" in paths
    assert any(p.endswith("notes.txt") for p in paths)
    assert not any("exploit" in p for p in paths)
    assert [e.filename for e in plan.excluded] == ["exploit.py"]
    assert plan.encrypted


def test_hazardous_attachment_only_when_included_for_every_named_recipient(
    orgs: tuple[Org, Org],
) -> None:
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        att = Attachment(
            case_id=case.id,
            filename="jailbreak.txt",
            content=b"transcript",
            sha256="2" * 64,
            size=10,
            hazardous=True,
            hazard_kind="jailbreak",
        )
        s.add(att)
        s.flush()
        att_id = att.id
    with a.ws.session() as s, pytest.raises(AccordError, match="encrypted bundle"):
        export.export_bundle(
            s, a.ws.require_actor(), ["CERT-B"], [key], "GREEN", [(att_id, "CERT-B")]
        )
    with a.ws.session() as s, pytest.raises(UsageError, match="not a recipient"):
        export.export_bundle(
            s, a.ws.require_actor(), ["CERT-B"], [key], "RED", [(att_id, "CERT-C")]
        )
    data = _export(a, ["CERT-B"], [key], "RED", include_hazardous=[(att_id, "CERT-B")])
    result = _import(b, data)
    assert result.imported and result.attachments == 1
    with b.ws.session() as s:
        got = s.scalar(select(Attachment))
        assert got is not None and got.hazardous and got.content == b"transcript"


def test_unverified_partner_gets_nothing(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    from tests.app.exchange.conftest import befriend, make_org

    c = make_org("CERT-C")
    befriend(a, c, verify=False)
    key = open_case(a)
    with a.ws.session() as s, pytest.raises(AccordError, match="not verified"):
        export.export_bundle(s, a.ws.require_actor(), ["CERT-C"], [key], "CLEAR")
    c.ws.engine.dispose()


def test_partner_playbook_completion_merges_with_signer_fingerprint(
    orgs: tuple[Org, Org],
) -> None:
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        s.add(case)
        runner.start(s, actor, key, "impact-estimation")
        runner.complete(s, actor, key, "define-scope", {"affected_products": "model X 1.2"})
        # B may report on the case only once it received it from us (issue 12 item 2).
        export.export_bundle(s, actor, ["CERT-B"], [key], "GREEN")
    doc = {
        "format": "accord-case",
        "format_version": 1,
        "key": "ACC-2026-0042",
        "origin": {"org_fingerprint": a.fingerprint, "case": key},
        "title": "t",
        "assessments": [],
        "playbook_runs": [],
        "playbook_steps": [
            {
                "playbook": "impact-estimation",
                "version": "1.0",
                "step_id": "partner-inventories",
                "state": "done",
                "outputs": {"matches_shared": "3 operators"},
                "completed_at": "2026-11-27T12:00:00+00:00",
            }
        ],
    }
    files = {"cases/ACC-2026-0042.json": json.dumps(doc).encode()}
    data = craft(b, base_manifest(b, a), files)
    result = _import(a, data)
    assert result.imported, result.report.reason
    assert result.playbook_steps == 1, result.notes
    with a.ws.session() as s:
        step = s.scalar(
            select(PlaybookStep)
            .join(PlaybookRun)
            .where(PlaybookStep.step_id == "partner-inventories")
        )
        assert step is not None and step.state == "done"
        assert step.partner_fingerprint == b.fingerprint and step.completed_by == "CERT-B"


def test_malformed_case_payload_is_quarantined_and_nothing_merged(
    orgs: tuple[Org, Org],
) -> None:
    a, b = orgs
    files = {"cases/X.json": b"{not json"}
    result = _import(a, craft(b, base_manifest(b, a), files))
    assert not result.imported and "not JSON" in (result.report.reason or "")
    assert a.case_count() == 0
    with a.ws.session() as s:
        assert s.scalar(select(QuarantineItem.kind)) == "bundle"


def test_verify_changes_nothing(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = open_case(a)
    data = _export(a, ["CERT-B"], [key], "AMBER+STRICT")
    with b.ws.session() as s:
        report = verify.verify_bundle(s, data)
    assert report.ok and report.encrypted and report.tlp == "AMBER+STRICT"
    assert {c.name for c in report.checks} >= {"decrypt", "signature", "hash", "replay"}
    assert b.case_count() == 0
    assert _import(b, data).imported  # verify did not consume the sequence number


def test_exchange_on_every_backend(any_ws: Workspace) -> None:
    """Keys, partners, import and quarantine on in-memory SQLite, SQLCipher and PostgreSQL."""
    from app.exchange import keys, partners
    from tests.app.exchange.conftest import make_org

    b = make_org("CERT-B")
    me = Org(any_ws, "CERT-Test", "", "")
    with any_ws.session() as s:
        actor = any_ws.require_actor()
        info = keys.generate(s, actor)
        partners.add_partner(s, actor, "CERT-B", "DE", "Europe/Berlin", b.certificate)
        partners.verify_partner(s, actor, "CERT-B", b.fingerprint)
    me.fingerprint = info.fingerprint
    with any_ws.session() as s:
        me.certificate = keys.export_public(s, any_ws.require_actor())[1]
    from tests.app.exchange.conftest import befriend

    befriend(b, me)
    key = open_case(b)
    data = _export(b, ["CERT-Test"], [key], "AMBER")
    assert _import(me, data).imported
    again = _import(me, data)
    assert not again.imported
    with any_ws.session() as s:
        item = s.get(QuarantineItem, again.quarantine_id)
        assert item is not None and item.content == data
        assert s.scalar(select(Bundle.manifest).where(Bundle.direction == "in"))["tlp"] == "AMBER"
    b.ws.engine.dispose()


def test_advisory_travels_as_signed_csaf_with_sha512(orgs: tuple[Org, Org]) -> None:
    """A complete draft leaves as the advisories engineer's CSAF document (CSAF 2.0 §5.1 file
    name, §7.1.18-19 .sha512 and .asc beside it) and merges as the partner's draft."""
    import hashlib

    from app.advisories import drafting
    from app.exchange import pgp
    from models import AffectedProduct, Vulnerability

    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        v = Vulnerability(case_id=case.id, title="Injection", description="d", cwe="CWE-77")
        v.affected.append(
            AffectedProduct(kind="model", name="ExampleLM", vendor="Example", version="1.2")
        )
        s.add(v)
        s.flush()
        drafting.create(s, actor, key)
        for field in ("summary", "impact", "remediation"):
            drafting.set_text(s, actor, key, field, "en", f"Text of the {field}.")
    data = _export(a, ["CERT-B"], [key], "GREEN")
    name = f"advisories/{key.lower()}.json"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body = zf.read(name)
        doc = json.loads(body)
        assert doc["document"]["tracking"]["id"] == key
        assert pgp.verify_detached(body, zf.read(name + ".asc"), [a.certificate])
        digest, _sep, fname = zf.read(name + ".sha512").decode().strip().partition("  ")
        assert digest == hashlib.sha512(body).hexdigest() and fname == f"{key.lower()}.json"
    result = _import(b, data)
    assert result.imported and result.advisories == 1
    with b.ws.session() as s:
        adv = s.scalar(select(Advisory))
        assert adv is not None and adv.partner_id is not None
        assert {t.field for t in adv.texts} >= {"title", "summary", "impact", "remediation"}


def test_signed_but_malformed_case_is_refused(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    doc = {
        "format": "accord-case",
        "format_version": 1,
        "key": "K",
        "title": "x",
        "facts": ["not an object"],
    }
    files = {"cases/K.json": json.dumps(doc).encode()}
    result = _import(a, craft(b, base_manifest(b, a), files))
    assert not result.imported and result.report.failed_check == "payload"
    assert "malformed" in (result.report.reason or "")
    assert a.case_count() == 0
