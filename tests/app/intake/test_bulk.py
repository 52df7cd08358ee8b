"""Runs of new documents are written together (app/intake/bulk.py): the workspace ends up
exactly as if every document had been stored one by one, in order."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auditing import chain as audit
from app.intake import bulk, import_paths, importer
from models import (
    AffectedProduct,
    AuditEvent,
    Case,
    CaseSearch,
    Deadline,
    DuplicateCandidate,
    Identifier,
    Report,
    ReportRevision,
    Vulnerability,
)
from tests.app.intake.helpers import INTAKE, csaf_doc, run_sizes, write_json
from tests.conftest import new_workspace

SAME_TEXT = "Crafted calendar invites make the assistant forward mail to the attacker."


def _corpus(folder: Path) -> list[Path]:
    """Every way a document of a run can land: new case, exact duplicate inside the run,
    near-duplicate, a case opened earlier in the run, a revision (ends the run), a stored
    case found by identifier, a file of several reports (ends the run), a refusal."""
    folder.mkdir(parents=True)
    a = csaf_doc("A-1", cve="CVE-2026-0001", note=SAME_TEXT)
    docs: list[tuple[str, Any]] = [
        ("d00.json", a),
        ("d01.json", a),  # the same bytes again
        ("d02.json", csaf_doc("B-1", cve="CVE-2026-0002", note=SAME_TEXT)),  # reads alike
        ("d03.json", csaf_doc("C-1", cve="CVE-2026-0001", title="Same CVE as A")),
        ("d04.json", csaf_doc("A-1", version="2", cve="CVE-2026-0001", note=SAME_TEXT)),
        (
            "d05.json",
            csaf_doc("D-1", cve="CVE-2026-0003", product="VisionBot", family="VisionBot"),
        ),
        ("d06.json", csaf_doc("E-1", cve="CVE-2026-0004", stated=5.0)),  # stated score wrong
        ("d07.json", "{ not json"),
        ("d09.json", csaf_doc("F-1", cve="CVE-2026-0009", title="Shares the stored CVE")),
        ("d10.json", csaf_doc("G-1", cve="CVE-2026-0003", title="Shares D's CVE")),
    ]
    paths = []
    for name, doc in docs:
        path = folder / name
        if isinstance(doc, str):
            path.write_text(doc, encoding="utf-8")
        else:
            write_json(path, doc)
        paths.append(path)
    shutil.copy(INTAKE / "hackerone-export.csv", folder / "d08.csv")
    return paths


def _snapshot(ws) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        key_of = dict(s.execute(select(Case.id, Case.key)).all())
        doc_of = {r.id: r.document_id or r.title for r in s.scalars(select(Report))}
        return {
            "cases": [
                (c.key, c.title, c.description, c.status.value, c.next_deadline_utc is not None)
                for c in s.scalars(select(Case).order_by(Case.key))
            ],
            "reports": [
                (doc_of[r.id], key_of[r.case_id], r.revision, r.source, r.format, r.warnings)
                for r in s.scalars(select(Report).order_by(Report.id))
            ],
            "revisions": sorted(
                (doc_of[r.report_id], r.revision) for r in s.scalars(select(ReportRevision))
            ),
            "identifiers": sorted(
                (doc_of[i.report_id], i.scheme, i.value) for i in s.scalars(select(Identifier))
            ),
            "vulns": sorted(
                (
                    doc_of[v.report_id] if v.report_id else None,
                    key_of[v.case_id],
                    v.cve,
                    json.dumps(v.scores, sort_keys=True),
                )
                for v in s.scalars(select(Vulnerability))
            ),
            "products": Counter(
                (v.cve, p.name, p.version)
                for p, v in s.execute(
                    select(AffectedProduct, Vulnerability).join(
                        Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id
                    )
                ).all()
            ),
            "candidates": sorted(
                (doc_of[d.report_id], key_of[d.other_case_id], d.score, d.reason, d.state)
                for d in s.scalars(select(DuplicateCandidate))
            ),
            "search": {key_of[c.case_id]: c.document for c in s.scalars(select(CaseSearch))},
            "deadlines": sorted(
                (key_of[d.case_id], d.rule_id, d.state, d.binding)
                for d in s.scalars(select(Deadline))
            ),
            "audit": Counter((e.action, e.case_key) for e in s.scalars(select(AuditEvent))),
            "chain": audit.verify_session(s).events,
        }


def _import(ws, paths: list[Path]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    folder = paths[0].parent
    stored = write_json(
        folder.parent / "stored.json", csaf_doc("X-1", cve="CVE-2026-0009", title="Stored first")
    )
    import_paths(ws, [stored], source="earlier")
    result = import_paths(ws, [folder], source="run")
    return {
        **result.as_json(),
        "near": result.near_duplicates,
        "case_keys": result.case_keys,
        "total": result.total,
    }


@pytest.mark.parametrize(
    "backend", ["memory", "sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_runs_store_what_one_by_one_stores(backend, tmp_path, request, monkeypatch):
    together = new_workspace(backend, tmp_path / "together", request)
    alone = new_workspace("memory", tmp_path / "alone", request)
    # Batches commit by count only: a slow server must not end runs by the clock.
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    try:
        with monkeypatch.context() as m:
            runs = run_sizes(m)
            result_together = _import(together, _corpus(tmp_path / "together" / "in"))
        assert max(runs) >= 4  # d00-d03 went in together, ended by the revision d04
        with monkeypatch.context() as m:
            m.setattr(bulk, "plan", lambda s, items: [])  # every document on its own
            result_alone = _import(alone, _corpus(tmp_path / "alone" / "in"))
        assert result_together["imported"] >= 8
        assert result_together["updated"] == 1 and result_together["duplicates"] == 1
        assert len(result_together["rejected"]) == 1
        assert result_together["near"] >= 1
        # Paths differ between the two folders; everything else must not.
        for r in (result_together, result_alone):
            for item in r["rejected"] + r["score_disagreements"]:
                item["path"] = Path(item["path"]).name
        assert result_together == result_alone
        snap_together, snap_alone = _snapshot(together), _snapshot(alone)
        for part in snap_together:
            assert snap_together[part] == snap_alone[part], part
    finally:
        together.engine.dispose()
        alone.engine.dispose()


def test_landing_follows_the_oldest_report_sharing_an_identifier(ws, tmp_path):
    """A document sharing identifiers with two stored reports and with a document earlier in
    its run lands in the case of the oldest of them: the first stored one."""
    first = write_json(tmp_path / "first.json", csaf_doc("S-1", cve="CVE-2026-0100"))
    second = write_json(
        tmp_path / "second.json", csaf_doc("T-1", cve="CVE-2026-0300", title="Other")
    )
    import_paths(ws, [first])
    import_paths(ws, [second])
    folder = tmp_path / "run"
    folder.mkdir()
    write_json(folder / "a.json", csaf_doc("R-1", cve="CVE-2026-0200", title="Opens a case"))
    shares = csaf_doc("R-2", cve="CVE-2026-0200", title="Shares all three")
    for cve in ("CVE-2026-0300", "CVE-2026-0100"):
        shares["vulnerabilities"].append({**shares["vulnerabilities"][0], "cve": cve})
    write_json(folder / "b.json", shares)
    write_json(folder / "c.json", csaf_doc("R-3", cve="CVE-2026-0200", title="Shares R-1's"))
    result = import_paths(ws, [folder])
    assert result.imported == 3
    with ws.session() as s:
        case_of = dict(
            s.execute(
                select(Report.document_id, Case.key).join(Case, Case.id == Report.case_id)
            ).all()
        )
    assert case_of["R-2"] == case_of["S-1"] != case_of["T-1"]
    assert case_of["R-3"] == case_of["R-1"] not in (case_of["S-1"], case_of["T-1"])


def test_a_run_of_big_files_is_shorter(ws, tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        write_json(folder / f"d{i}.json", csaf_doc(f"BIG-{i}", cve=f"CVE-2026-{7100 + i}"))
    size = (folder / "d0.json").stat().st_size
    monkeypatch.setattr(bulk, "MAX_RUN_BYTES", 2 * size)  # two documents a run
    runs = run_sizes(monkeypatch)
    assert import_paths(ws, [folder]).imported == 6
    assert runs == [2, 2, 2]
