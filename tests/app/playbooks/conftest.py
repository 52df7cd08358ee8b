"""A case with a partner CERT on it, ready for playbook runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import CaseFact, CasePartner, Partner, PartnerKey

FPR = "0123456789ABCDEF0123456789ABCDEF01234567"
OTHER_FPR = "FEDCBA9876543210FEDCBA9876543210FEDCBA98"
REPORTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CaseSetup:
    key: str
    case_id: int
    partner: str
    fingerprint: str


@pytest.fixture
def case(ws: Workspace) -> CaseSetup:
    with ws.session() as s:
        c = cases.create_case(s, ws.require_actor(), "Agent follows instructions in e-mails")
        p = Partner(
            name="CERT-Example", country="DE", timezone="Europe/Berlin", verified_fingerprint=FPR
        )
        s.add(p)
        other = Partner(name="CERT-Elsewhere", country="JP", timezone="Asia/Tokyo")
        s.add(other)
        s.flush()
        s.add(PartnerKey(partner_id=other.id, fingerprint=OTHER_FPR, certificate="-"))
        s.add(CasePartner(case_id=c.id, partner_id=p.id))
        s.add(CaseFact(case_id=c.id, name="reported", at=REPORTED))
        return CaseSetup(c.key, c.id, p.name, FPR)
