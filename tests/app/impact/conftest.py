"""A case whose vulnerability affects AgentFlow >=2.0,<2.4 and the Orca-7B-Instruct 1.1 model."""

from __future__ import annotations

import pytest

from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Vulnerability
from tests.conftest import FIXTURES

IMPACT = FIXTURES / "impact"
ORCA_SHA256 = "f05a9c227d047c09e441bf3580160f577923918cf2663f88e115bb8a15b778e5"


def add_affected(ws: Workspace, key: str) -> None:
    with ws.session() as s:
        case = cases.get_case(s, key)
        v = Vulnerability(case_id=case.id, title="Tool-call injection", ai_class="prompt-injection")
        v.affected = [
            AffectedProduct(
                kind="system", name="AgentFlow", vendor="Nimbus AI", version_range=">=2.0,<2.4"
            ),
            AffectedProduct(
                kind="model",
                name="Orca-7B-Instruct",
                vendor="Orca Labs",
                version="1.1",
                hash=f"sha256:{ORCA_SHA256}",
            ),
        ]
        s.add(v)


@pytest.fixture
def case_key(ws: Workspace) -> str:
    with ws.session() as s:
        key = cases.create_case(s, ws.require_actor(), "Agent framework tool-call injection").key
    add_affected(ws, key)
    return key
