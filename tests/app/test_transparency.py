"""The transparency report: correct aggregates, and no case text leaks into any file."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from app import deadlines as dl
from app.auditing import transparency
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import Assessment, CasePartner, CaseStatus, Partner, Reporter, Vulnerability

OPENED = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def _seed(ws: Workspace) -> list[str]:
    """Cases whose every free-text field carries a unique marker; returns the markers."""
    markers: list[str] = []
    with ws.session() as s:
        actor = ws.require_actor()
        for i, (tier, sector, ai_class) in enumerate(
            [
                ("High", "health", "LLM01:2025"),
                ("High", "finance", "LLM06:2025"),
                ("Critical", "zzsector-MARK", "MARKER-CLASS-Q9"),
                (None, None, None),
            ]
        ):
            m = [
                f"QXTITLE{i}Z",
                f"QXDESC{i}Z",
                f"QXREPORTER{i}Z",
                f"QXPARTNER{i}Z",
                f"QXVULN{i}Z",
                f"QXRATIONALE{i}Z",
                f"QXEVIDENCE{i}Z",
            ]
            markers += m
            case = cases.create_case(s, actor, m[0], m[1], created_at=OPENED.replace(day=5 + i))
            rep = Reporter(handle=m[2], real_identity=m[2])
            p = Partner(name=m[3], country="DE", timezone="Europe/Berlin")
            s.add_all([rep, p])
            s.flush()
            case.reporter_id, case.tier = rep.id, tier
            s.add(CasePartner(case_id=case.id, partner_id=p.id))
            s.add(Vulnerability(case_id=case.id, title=m[4], description=m[4], ai_class=ai_class))
            s.add(
                Assessment(
                    case_id=case.id,
                    model_id="accord-severity",
                    model_version="1.0",
                    tier=tier or "Low",
                    sector=sector,
                    rationale=m[5],
                )
            )
            dl.set_roles(s, actor, case.key, [("manufacturer", "Vendor X")], [])  # issue 16
            dl.set_jurisdictions(s, actor, case.key, ["CN"], [])
            dl.set_fact(s, actor, case.key, "reported", case.created_at)
            if i < 2:  # met on time
                dl.mark_met(
                    s,
                    actor,
                    case.key,
                    "cn-rmsv-7-2-miit-report",
                    m[6],
                    at=case.created_at.replace(hour=20),
                )
            if i == 0:
                dl.set_fact(
                    s, actor, case.key, "fix-available", datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
                )
        markers.append(
            cases.create_case(
                s, actor, "QXOUTSIDEZ", created_at=datetime(2026, 12, 1, tzinfo=UTC)
            ).key
        )
    return markers


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8")))


def test_transparency_aggregates_and_leaks_nothing(ws: Workspace, tmp_path: Path) -> None:
    markers = _seed(ws)
    out = tmp_path / "report"
    with ws.session() as s:
        files = transparency.write(
            s,
            ws.require_actor(),
            date(2026, 10, 1),
            date(2026, 11, 30),
            out,
            "CERT-Test",
            now=datetime(2026, 11, 27, tzinfo=UTC),
            min_count=1,  # the aggregates themselves; suppression has its own test
        )
    names = {p.name for p in files}
    assert {
        "by_tier.csv",
        "by_sector.csv",
        "by_ai_class.csv",
        "by_quarter.csv",
        "remediation.csv",
        "on_time.csv",
        "transparency.html",
        "manifest.json",
    } == names
    assert ["High", "2"] in _csv(out / "by_tier.csv")
    assert ["Critical", "1"] in _csv(out / "by_tier.csv")
    assert ["unscored", "1"] in _csv(out / "by_tier.csv")
    assert ["other", "1"] in _csv(out / "by_sector.csv")  # the free-text sector is not named
    assert ["health", "1"] in _csv(out / "by_sector.csv")
    ai_rows = _csv(out / "by_ai_class.csv")
    assert ["LLM01:2025", "1"] in ai_rows and ["other", "1"] in ai_rows
    assert _csv(out / "by_quarter.csv") == [["quarter", "cases"], ["2026-Q4", "4"]]
    assert ["all", "1", "10.0"] in _csv(out / "remediation.csv")
    assert ["CN", "4", "2", "0.5"] in _csv(out / "on_time.csv")
    html = (out / "transparency.html").read_text(encoding="utf-8")
    assert "TLP:CLEAR" in html and "<svg" in html
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    # No case id, title, description, reporter, partner, vulnerability or evidence text.
    for p in out.iterdir():
        text = p.read_text(encoding="utf-8")
        assert "ACC-2026" not in text, p.name
        for m in markers:
            assert m not in text, (m, p.name)


def test_cli_transparency(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    cli("case", "new", "--title", "QXSECRETTITLEZ")
    out = tmp_path / "t"
    r = cli(
        "report",
        "transparency",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--out",
        str(out),
        "--json",
    )
    assert r.code == 0, r.err
    assert "transparency.html" in r.json()["files"]  # type: ignore[index]
    assert all("QXSECRETTITLEZ" not in p.read_text() for p in out.iterdir())
    assert (
        cli(
            "report",
            "transparency",
            "--from",
            "2026-13-01",
            "--to",
            "2026-12-31",
            "--out",
            str(out),
        ).code
        == 2
    )


def _case(
    s: Any,
    actor: Any,
    n: int,
    tier: str,
    *,
    classes: tuple[str | None, ...] = (),
    vuln_class: str | None = None,
    status: CaseStatus = CaseStatus.ACCEPTED,
    embargo: datetime | None = None,
    tlp: str = "CLEAR",
    floor: str | None = None,
) -> None:
    """One case of tier ``tier``, assessed once per entry of ``classes`` (oldest first)."""
    case = cases.create_case(s, actor, f"case {n}", created_at=OPENED, status=status)
    case.tier, case.tlp, case.tlp_floor = tier, tlp, floor
    s.add(Vulnerability(case_id=case.id, title="v", ai_class=vuln_class))
    for i, ai_class in enumerate(classes):
        s.add(
            Assessment(
                case_id=case.id,
                model_id="accord-severity",
                model_version="1.0",
                tier=tier,
                ai_factors={"ai_class": ai_class} if ai_class else {},
                created_at=OPENED + timedelta(hours=i),
            )
        )
    if embargo is not None:
        dl.set_fact(s, actor, case.key, "embargo-until", embargo)


def test_only_public_cases_count_and_small_counts_are_suppressed(
    ws: Workspace, tmp_path: Path
) -> None:
    """Issue 13 item 5: each rule changes the report when it is broken."""
    now = datetime(2026, 11, 27, tzinfo=UTC)
    with ws.session() as s:
        actor = ws.require_actor()
        # Public: six High cases, LLM01:2025 in their latest assessment (one had another class
        # before, one names another in its vulnerability), and two Medium ones.
        for n in range(6):
            _case(s, actor, n, "High", classes=("LLM01:2025",))
        _case(s, actor, 6, "High", classes=("LLM05:2025", "LLM01:2025"))
        _case(s, actor, 7, "High", classes=("LLM01:2025",), vuln_class="LLM02:2025")
        _case(s, actor, 8, "Medium", vuln_class="LLM06:2025", embargo=now - timedelta(days=1))
        _case(s, actor, 9, "Medium")
        # Not public, each for one reason: all Critical, all LLM10:2025.
        crit = ("LLM10:2025",)
        _case(s, actor, 20, "Critical", embargo=datetime(2027, 1, 18, tzinfo=UTC), classes=crit)
        _case(s, actor, 21, "Critical", tlp="AMBER", classes=crit)
        _case(s, actor, 22, "Critical", floor="AMBER", classes=crit)
        _case(s, actor, 23, "Critical", status=CaseStatus.DUPLICATE, classes=crit)
        _case(s, actor, 24, "Critical", status=CaseStatus.REJECTED, classes=crit)

    def run(name: str, **kw: Any) -> Path:
        out = tmp_path / name
        with ws.session() as s:
            transparency.write(
                s, ws.require_actor(), date(2026, 10, 1), date(2026, 12, 31), out, "CERT-Test",
                now=now, **kw,
            )  # fmt: skip
        return out

    exact = run("exact", min_count=1)
    assert ["Critical", "0"] in _csv(exact / "by_tier.csv")
    assert ["High", "8"] in _csv(exact / "by_tier.csv")
    assert ["Medium", "2"] in _csv(exact / "by_tier.csv")
    assert _csv(exact / "by_ai_class.csv") == [
        ["ai_class", "cases"],
        ["LLM01:2025", "8"],
        ["LLM06:2025", "1"],
        ["unspecified", "1"],
    ]
    assert json.loads((exact / "manifest.json").read_text())["cases"] == 10

    out = run("default")
    tiers = _csv(out / "by_tier.csv")
    assert ["Medium", "< 5"] in tiers and ["Critical", "0"] in tiers
    # The lone small count is not the total minus the others: High is withheld too.
    assert ["High", "≥ 5"] in tiers
    assert _csv(out / "by_ai_class.csv")[1:] == [
        ["LLM01:2025", "8"],
        ["LLM06:2025", "< 5"],
        ["unspecified", "< 5"],
    ]
    assert ["all", "0", ""] in _csv(out / "remediation.csv")
    html = (out / "transparency.html").read_text(encoding="utf-8")
    assert "&lt; 5" in html and "Critical" in html and "LLM10" not in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cases"] == 10 and manifest["min_count"] == 5
    assert run("tiny", min_count=20).joinpath("manifest.json").read_text().count('"< 20"') == 1


def test_cli_min_count(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    args = ("report", "transparency", "--from", "2026-01-01", "--to", "2026-12-31")
    assert cli(*args, "--out", str(tmp_path / "a"), "--min-count", "0").code == 2
    r = cli(*args, "--out", str(tmp_path / "b"), "--min-count", "3", "--json")
    assert r.code == 0, r.err
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["min_count"] == 3
