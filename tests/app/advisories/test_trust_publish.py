"""Publication and advisory export under the trust rules (issue 13 item 4): no publication
during the embargo or under a placeholder namespace, nothing below the case's TLP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import advisories, trust
from app import deadlines as dl
from app.advisories import drafting, exporting
from app.errors import PermissionDenied, UsageError
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, Setting
from tests.app.advisories.conftest import bob

LATER = (datetime.now(UTC) + timedelta(days=60)).replace(microsecond=0)


def _approved(ws: Workspace, key: str, embargo: datetime | None = LATER) -> None:
    with ws.session() as s:
        alice = ws.require_actor()
        if embargo is not None:
            dl.set_fact(s, alice, key, "embargo-until", embargo)
        advisories.submit(s, alice, key)
    with ws.session() as s:
        advisories.approve(s, bob(ws), key)


def _namespace(ws: Workspace, url: str) -> None:
    with ws.session() as s:
        s.merge(Setting(key="org.namespace", value=url))


def test_publish_during_embargo_is_refused_and_a_coordinator_may_override(
    ws: Workspace, drafted: str
) -> None:
    _approved(ws, drafted)
    with ws.session() as s, pytest.raises(trust.TrustRefused, match="under embargo") as refused:
        advisories.publish(s, bob(ws), drafted)
    assert [v.rule for v in refused.value.violations] == [trust.EMBARGO_PUBLISH]
    with ws.session() as s:
        assert advisories.status(s, drafted).status == "approved"
    with ws.session() as s, pytest.raises(PermissionDenied):  # a shift lead may not override
        advisories.publish(s, bob(ws), drafted, override="the vendor asked")
    with ws.session() as s:
        info = advisories.publish(s, ws.require_actor(), drafted, override="exploited in the wild")
        assert info.status == "published"
        details = s.scalar(select(AuditEvent.details).where(AuditEvent.action == "trust.override"))
    assert details is not None
    assert details["action"] == "advisory.publish" and details["reason"] == "exploited in the wild"


def test_publish_needs_a_real_namespace_whatever_the_override(ws: Workspace, drafted: str) -> None:
    _approved(ws, drafted, embargo=None)
    for url in (
        "https://cert-bund--de.invalid/security",  # the issue's
        "https://cert.example/advisories",
        "https://www.example.com/csaf",
        "https://localhost/csaf",
        "http://cert.accord-test.eu/advisories",
        "",
    ):
        _namespace(ws, url)
        with ws.session() as s, pytest.raises(trust.TrustRefused, match="namespace"):
            advisories.publish(s, ws.require_actor(), drafted, override="try anyway")
    with ws.session() as s, pytest.raises(UsageError, match="placeholder"):
        drafting.set_namespace(s, ws.require_actor(), "https://cert-bund--de.invalid/security")
    with ws.session() as s:
        drafting.set_namespace(s, ws.require_actor(), "https://cert.accord-test.eu/csaf")
    with ws.session() as s:
        assert advisories.publish(s, bob(ws), drafted).status == "published"


def test_advisory_export_below_the_case_tlp_or_clear_during_embargo(
    ws: Workspace, drafted: str, tmp_path: Path
) -> None:
    alice = ws.require_actor()
    out = tmp_path / "adv.json"
    with ws.session() as s:
        dl.set_fact(s, alice, drafted, "embargo-until", LATER)
    with ws.session() as s, pytest.raises(trust.TrustRefused, match="TLP:CLEAR"):
        exporting.export(s, alice, drafted, "csaf", out)
    assert not out.exists()
    with ws.session() as s:
        advisories.set_tlp(s, alice, drafted, "AMBER")
    with ws.session() as s:
        exporting.export(s, alice, drafted, "csaf", out)
    # The advisory carries the embargo.
    text = json.loads(out.read_text("utf-8"))["document"]["distribution"]["text"]
    assert LATER.isoformat() in text
    with ws.session() as s:
        trust.raise_tlp(s, alice, drafted, "RED")
    with ws.session() as s, pytest.raises(trust.TrustRefused, match="TLP:RED") as refused:
        exporting.export(s, alice, drafted, "html", tmp_path / "adv.html", override="needed")
    assert [v.rule for v in refused.value.violations] == [trust.FLOOR]
