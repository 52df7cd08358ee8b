"""Hazardous attachments never leave unencrypted (issue 12 item 6, the export side).

Intake sets ``Attachment.hazardous`` (another change); here the flag is set directly. By
default a hazardous attachment stays out of every bundle; a coordinator may include one by
name for named recipients, audited, and only in an encrypted bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysequoia as ps
import pytest
from sqlalchemy import select

from app.errors import AccordError
from app.exchange import export
from app.workspaces import lifecycle as ws_mod
from models import Attachment, AuditEvent, Case
from tests.app.exchange.conftest import Org, open_case
from tests.conftest import PASSPHRASE

CONTENT = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _hazard(org_ws: Any, key: str) -> int:
    with org_ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        att = Attachment(
            case_id=case.id,
            filename="payload.exe",
            content=CONTENT,
            sha256="5" * 64,
            size=len(CONTENT),
            hazardous=True,
            hazard_kind="executable",
        )
        s.add(att)
        s.flush()
        return att.id


@pytest.mark.parametrize("tlp", ["CLEAR", "GREEN", "AMBER"])
def test_hazardous_attachments_stay_out_by_default(orgs: tuple[Org, Org], tlp: str) -> None:
    a, _b = orgs
    key = open_case(a)
    att_id = _hazard(a.ws, key)
    with a.ws.session() as s:
        result = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], tlp)
    assert [e.attachment_id for e in result.plan.excluded] == [att_id]
    assert not any(f.kind == "attachment" for f in result.plan.files)
    assert CONTENT not in result.data
    with a.ws.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.export"))
        assert ev is not None and ev.details["excluded_attachments"] == [att_id]
        assert ev.details["hazardous_included"] == []


@pytest.mark.parametrize("tlp", ["CLEAR", "GREEN"])
def test_included_hazardous_refused_for_an_unencrypted_bundle(
    orgs: tuple[Org, Org], tlp: str
) -> None:
    a, _b = orgs
    key = open_case(a)
    att_id = _hazard(a.ws, key)
    with a.ws.session() as s, pytest.raises(AccordError, match="encrypted bundle") as err:
        export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], tlp, [(att_id, "CERT-B")])
    assert err.value.exit_code == 1


def test_included_hazardous_leaves_encrypted_and_audited(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    key = open_case(a)
    att_id = _hazard(a.ws, key)
    with a.ws.session() as s:
        result = export.export_bundle(
            s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER", [(att_id, "CERT-B")]
        )
    assert result.plan.encrypted and not result.plan.excluded
    assert CONTENT not in result.data
    with a.ws.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "attachment.hazardous_export"))
        assert ev is not None and ev.entity_id == str(att_id)
        assert ev.details["recipients"] == ["CERT-B"] and ev.details["tlp"] == "AMBER"


def test_cli_refuses_hazardous_in_a_clear_bundle(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    assert cli("org", "key", "generate").code == 0
    partner = ps.Tsk.generate(
        "CERT-B <cert@b.example>", profile=ps.Profile.RFC4880, cipher_suite=ps.CipherSuite.Cv25519
    )
    cert = tmp_path / "b.asc"
    cert.write_text(str(partner.extract_certificate()))
    add = ["partner", "add", "--name", "CERT-B", "--country", "DE", "--tz", "Europe/Berlin"]
    assert cli(*add, "--key", str(cert)).code == 0
    assert (
        cli(
            "partner",
            "verify",
            "CERT-B",
            "--fingerprint",
            partner.extract_certificate().fingerprint,
        ).code
        == 0
    )
    key = cli("case", "new", "--title", "Payload", "--json").json()["id"]
    ws = ws_mod.open_workspace(tmp_path / "ws", PASSPHRASE)
    att_id = _hazard(ws, key)
    ws.engine.dispose()
    base = ["bundle", "export", "--to", "CERT-B", "--case", key]
    out = tmp_path / "clear.zip"
    refused = cli(
        *base, "--tlp", "CLEAR", "--include-hazardous", f"{att_id}:CERT-B", "--out", str(out)
    )
    assert refused.code == 1 and "encrypted bundle" in refused.err
    assert not out.exists()
    plain = cli(*base, "--tlp", "CLEAR", "--out", str(out))
    assert plain.code == 0, plain.err
    assert "1 hazardous attachment is not sent" in plain.out
    assert CONTENT not in out.read_bytes()
