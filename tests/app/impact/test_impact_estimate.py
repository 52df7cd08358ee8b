"""Impact figures against the hand-made inventories in tests/fixtures/impact (see EXPECTED.md)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from app import impact
from app.errors import AccordError, UsageError
from app.impact import matching
from app.impact.inventory import Item
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, ImpactEstimate
from tests.app.impact.conftest import IMPACT

CSV = IMPACT / "deployments.csv"
BOMS = [
    IMPACT / "bom-insurer.cdx.json",
    IMPACT / "bom-telco.cdx.json",
    IMPACT / "bom-school.cdx.json",
]


def run(ws: Workspace, key: str, paths: list[Path], **assume: str) -> dict[str, object]:
    inventories = impact.load(paths)
    with ws.session() as s:
        return impact.estimate(s, ws.require_actor(), key, inventories, assume)


def test_csv_alone(ws: Workspace, case_key: str) -> None:
    r = run(ws, case_key, [CSV])
    assert r["affected_deployments"] == 4
    assert r["organisations"] == 4
    assert r["by_sector"] == {"energy": 1, "finance": 1, "health": 1, "public": 1}
    assert r["by_country"] == {"DE": 2, "FR": 2}
    assert r["users"] == {"low": 16550, "likely": 16550, "high": 21550}
    assert r["possibly_affected"] == 1
    upd = next(a for a in r["assumptions"] if a["key"] == "users_per_deployment")  # type: ignore[union-attr]
    assert upd["value"] == "2250:2250:2250" and upd["source"] == "default"
    rows = {d["deployment"]: d for d in r["deployments"]}  # type: ignore[union-attr]
    assert set(rows) == {"acme-chat", "triage-bot", "ops-assistant", "citizen-desk", "shop-bot"}
    assert rows["shop-bot"]["match"] == "unknown-version"
    assert rows["ops-assistant"]["users"] is None and rows["ops-assistant"]["country"] == "DE"


def test_csv_and_boms_with_defaults(ws: Workspace, case_key: str) -> None:
    r = run(ws, case_key, [CSV, *BOMS])
    assert r["affected_deployments"] == 7
    assert r["organisations"] == 7
    assert r["by_sector"] == {
        "education": 1,
        "energy": 1,
        "finance": 2,
        "health": 1,
        "public": 1,
        "telecom": 1,
    }
    assert r["by_country"] == {"AT": 1, "DE": 2, "FR": 2, "NL": 1, "SE": 1}
    assert r["users"] == {"low": 26300, "likely": 26300, "high": 31300}
    rows = {d["deployment"]: d for d in r["deployments"]}  # type: ignore[union-attr]
    assert rows["claims-assistant"]["match"] == "hash"
    assert rows["claims-assistant"]["organisation"] == "Safe Insurance"
    assert rows["tutor"]["match"] == "hash" and rows["tutor"]["organisation"] == "Open School"
    assert rows["noc-copilot"]["product"] == "AgentFlow"  # nested; the fine-tuned Orca is not
    assert r["deployments_seen"] == 10


def test_stated_assumptions_give_the_range(ws: Workspace, case_key: str) -> None:
    r = run(
        ws,
        case_key,
        [CSV, *BOMS],
        vulnerable_share="0.2:0.5:0.8",
        users_per_deployment="1000:2000:4000",
    )
    assert r["users"] == {"low": 4560, "likely": 12400, "high": 27040}
    stated = {a["key"]: a for a in r["assumptions"]}  # type: ignore[union-attr]
    assert stated["vulnerable_share"]["source"] == "given"
    assert stated["vulnerable_share"]["value"] == "0.2:0.5:0.8"
    assert "0.2" in stated["vulnerable_share"]["statement"]
    assert stated["unknown_version"]["value"] == 1
    with ws.session() as s:
        row = s.scalars(select(ImpactEstimate)).one()
        assert row.result["users"] == {"low": 4560, "likely": 12400, "high": 27040}
        assert [i["file"] for i in row.inventories] == [
            "deployments.csv",
            "bom-insurer.cdx.json",
            "bom-telco.cdx.json",
            "bom-school.cdx.json",
        ]
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "impact.estimate")).one()
        assert ev.details["affected_deployments"] == 7
        latest = impact.latest(s, case_key)
    assert latest is not None and latest["estimate_id"] == row.id
    assert "7 known deployments at 7 organisations" in impact.summary(latest)


def test_xlsx_with_column_mapping(ws: Workspace, case_key: str, tmp_path: Path) -> None:
    frame = pd.read_csv(CSV, dtype=str, keep_default_na=False).rename(
        columns={"Organization": "Kunde", "Monthly Active Users": "Nutzer"}
    )
    buf = BytesIO()
    frame.to_excel(buf, index=False)
    path = tmp_path / "inventar.xlsx"
    path.write_bytes(buf.getvalue())
    mapping = impact.parse_mapping(["Kunde=organisation", "Nutzer=users"])
    inventories = impact.load([path], mapping)
    with ws.session() as s:
        r = impact.estimate(s, ws.require_actor(), case_key, inventories, {})
    assert r["affected_deployments"] == 4 and r["organisations"] == 4
    assert r["users"] == {"low": 16550, "likely": 16550, "high": 21550}
    # Without the mapping the users column is not recognised: no counts, median 0.
    with ws.session() as s:
        r2 = impact.estimate(s, ws.require_actor(), case_key, impact.load([path]), {})
    assert r2["users"]["likely"] == 0  # type: ignore[index]


def test_refusals(ws: Workspace, case_key: str, tmp_path: Path) -> None:
    with pytest.raises(AccordError, match=r"invalid CycloneDX 1.6 at \$.components\[0\].type"):
        impact.load([IMPACT / "bom-invalid.cdx.json"])
    with pytest.raises(UsageError, match="unknown field colour"):
        impact.parse_mapping(["Farbe=colour"])
    with pytest.raises(UsageError, match="COLUMN=FIELD"):
        impact.parse_mapping(["Farbe"])
    with pytest.raises(UsageError, match="unknown assumption"):
        run(ws, case_key, [CSV], share="0.5")
    with pytest.raises(UsageError, match="LOW <= LIKELY <= HIGH"):
        run(ws, case_key, [CSV], vulnerable_share="0.9:0.5:0.1")
    with pytest.raises(UsageError, match="cannot exceed 1"):
        run(ws, case_key, [CSV], vulnerable_share="2")
    nameless = tmp_path / "x.csv"
    nameless.write_text("Colour,Size\nred,3\n")
    with pytest.raises(UsageError, match="no column for the product"):
        impact.load([nameless])
    badusers = tmp_path / "u.csv"
    badusers.write_text("Product,Users\nAgentFlow,lots\n")
    with pytest.raises(AccordError, match="row 2: users lots"):
        impact.load([badusers])
    old = tmp_path / "old.json"
    old.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}')
    with pytest.raises(AccordError, match=r"1\.4 is not supported"):
        impact.load([old])
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    with pytest.raises(UsageError, match="unknown inventory format"):
        impact.load([pdf])
    with pytest.raises(AccordError, match="cannot read"):
        impact.load([tmp_path / "missing.csv"])


def test_case_without_affected_products(ws: Workspace) -> None:
    from app.casework import cases

    with ws.session() as s:
        key = cases.create_case(s, ws.require_actor(), "No products yet").key
    with pytest.raises(AccordError, match="no affected models or systems"):
        run(ws, key, [CSV])


def _item(**kw: object) -> Item:
    base: dict[str, object] = dict(
        deployment="d",
        organisation="o",
        sector="",
        country="",
        product="Orca",
        vendor="",
        version="",
        hashes=(),
        users=None,
        kind="model",
        purl="",
        source="t",
        locator="1",
    )
    base.update(kw)
    return Item(**base)  # type: ignore[arg-type]


def test_matching_rules() -> None:
    t = matching.Target(1, "model", "Orca", "Orca Labs", "", ">=1.0,<1.3", "sha256:AB", "")
    assert matching.match(_item(version="1.2.9"), t) == "version"
    assert matching.match(_item(version="1.3"), t) is None
    assert matching.match(_item(version="1.3", hashes=("ab",)), t) == "hash"
    assert matching.match(_item(version="nightly"), t) == "unknown-version"
    assert matching.match(_item(version="1.1", vendor="Someone Else"), t) is None
    assert matching.match(_item(product="orca", version="1.1rc1"), t) == "version"
    pinned = matching.Target(2, "model", "Orca", "", "", "", "sha256:ab", "")
    assert matching.match(_item(hashes=("cd",)), pinned) is None
    assert matching.match(_item(), pinned) == "any-version"
    vers = matching.Target(3, "product", "lib", "", "", "vers:pypi/>=2.0|<2.5", "", "")
    assert matching.match(_item(product="lib", version="2.4"), vers) == "version"
    purl = matching.Target(4, "product", "x", "", "", "<5", "", "pkg:pypi/transformers@4.0")
    assert (
        matching.match(
            _item(
                product="Transformers lib", version="4.44.0", purl="pkg:pypi/transformers@4.44.0"
            ),
            purl,
        )
        == "version"
    )
    exact = matching.Target(5, "model", "Orca", "", "2024-05-13", "", "", "")
    assert matching.match(_item(version="2024-05-13"), exact) == "version"
    assert matching.match(_item(version="2024-06-01"), exact) is None
    # Words are read as a range; a range that cannot be read (or names commits) makes the
    # deployment "possible" instead of aborting the estimate.
    words = matching.Target(6, "model", "Orca", "", "", "between 1 and 2", "", "")
    assert matching.match(_item(version="1.5"), words) == "version"
    assert matching.match(_item(version="2.1"), words) is None
    broken = matching.Target(7, "model", "Orca", "", "", "whenever the moon is full", "", "")
    assert matching.match(_item(version="1.5"), broken) == "unknown-version"
    commits = matching.Target(8, "model", "Orca", "", "", "git:introduced=0ab12cd", "", "")
    assert matching.match(_item(version="1.5"), commits) == "unknown-version"
