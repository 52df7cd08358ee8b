"""A report mentions each product name once (issue 17): intake keeps the name key on the
report's first affected-product row of each name only, and the index near-duplicate detection
walks holds the rows with a key, so it grows by one entry per report and name, not per row.
Every row is still stored; look-ups still use the index; near-duplicates are found as
before, also by a name whose first row is in a later vulnerability."""

from __future__ import annotations

from typing import Any

import pytest
from rapidfuzz import fuzz
from sqlalchemy import func, select
from sqlalchemy.dialects import sqlite

from app.intake import dedup, rows
from app.intake.importer import import_paths
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, DuplicateCandidate, Report, Vulnerability
from tests.app.intake.helpers import csaf_doc, write_json
from tests.app.intake.test_dedup_normalised import TEXT

REWORDED = TEXT.replace("a web page", "an e-mail")


VERSIONS = ("1.0", "2.0")


def _pid(name: str, version: str) -> str:
    return f"{name.replace(' ', '-')}-{version}"


def _advisory(tracking: str, note: str, families: list[list[str]]) -> dict[str, Any]:
    """A CSAF advisory with one vulnerability per entry of ``families``, each affecting the
    products named there (in two versions each: rows of one name)."""
    doc = csaf_doc(tracking, note=note, title="Portico gateway injection")
    names = sorted({name for family in families for name in family})
    doc["product_tree"] = {
        "branches": [
            {
                "category": "vendor",
                "name": "Acme",
                "branches": [
                    {
                        "category": "product_name",
                        "name": name,
                        "branches": [
                            {
                                "category": "product_version",
                                "name": version,
                                "product": {
                                    "name": f"{name} {version}",
                                    "product_id": _pid(name, version),
                                },
                            }
                            for version in VERSIONS
                        ],
                    }
                    for name in names
                ],
            }
        ]
    }
    vulns = []
    for i, family in enumerate(families):
        ids = [_pid(name, version) for name in family for version in VERSIONS]
        vuln = dict(doc["vulnerabilities"][0])
        vuln["cve"] = f"CVE-2026-{4100 + 10 * int(tracking[-1]) + i}"
        vuln["product_status"] = {"known_affected": ids}
        vuln["scores"] = [dict(vuln["scores"][0], products=ids)]
        vulns.append(vuln)
    doc["vulnerabilities"] = vulns
    return doc


def test_prepared_rows_key_each_name_once() -> None:
    from app.intake.model import ParsedDoc, ParsedVuln, Product

    doc = ParsedDoc(
        "csaf",
        b"{}",
        "t",
        vulns=(
            ParsedVuln(products=(Product("Portico LLM", version="1"), Product("Portico LLM"))),
            ParsedVuln(products=(Product("portico-llm"), Product("Helix", vendor="Acme"))),
            ParsedVuln(products=(Product("..."),)),  # no words: no key at all
        ),
    )
    keys = [[p[-1] for p in v] for v in rows.prepare(doc).products]
    assert keys == [["portico llm", None], [None, "helix"], [None]]
    # Every row is kept, as parsed.
    assert [[p[1] for p in v] for v in rows.prepare(doc).products] == [
        ["Portico LLM", "Portico LLM"],
        ["portico-llm", "Helix"],
        ["..."],
    ]


def test_an_import_indexes_one_mention_per_report_and_name(any_ws: Workspace, tmp_path) -> None:
    families = [["Portico Gateway", "Helix Router"], ["Helix Router", "Beacon"]]
    path = write_json(tmp_path / "a.json", _advisory("MENT-1", TEXT, families))
    assert import_paths(any_ws, [path]).imported == 1
    with any_ws.session() as s:
        stored = s.execute(
            select(AffectedProduct.name, AffectedProduct.name_key).order_by(AffectedProduct.id)
        ).all()
    # Two versions (rows of one name) of two products in each of two vulnerabilities.
    assert [name for name, _key in stored] == [
        *["Portico Gateway"] * 2,
        *["Helix Router"] * 4,
        *["Beacon"] * 2,
    ]
    assert [key for _name, key in stored] == [
        "portico gateway",
        None,
        "helix router",
        None,
        None,  # Helix Router again, in the second vulnerability
        None,
        "beacon",
        None,
    ]


@pytest.mark.parametrize("through", ["a later import", "the same run"])
def test_a_name_first_named_in_a_later_vulnerability_is_still_a_mention(
    any_ws: Workspace, tmp_path, through: str
) -> None:
    """Beacon's first row is in the second vulnerability: a report that reads alike and
    names Beacon is still found to be its near-duplicate, read from the workspace or from
    what the run keeps in memory."""
    first = write_json(
        tmp_path / "a.json",
        _advisory("MENT-1", TEXT, [["Portico Gateway"], ["Portico Gateway", "Beacon"]]),
    )
    second = write_json(tmp_path / "b.json", _advisory("MENT-2", REWORDED, [["Beacon"]]))
    if through == "a later import":
        assert import_paths(any_ws, [first]).imported == 1
        assert import_paths(any_ws, [second]).imported == 1
    else:
        assert import_paths(any_ws, [first, second]).imported == 2
    with any_ws.session() as s:
        found = s.execute(
            select(Report.document_id, DuplicateCandidate.reason).join(
                Report, Report.id == DuplicateCandidate.report_id
            )
        ).all()
    alike = round(fuzz.token_set_ratio(dedup._text("x", TEXT), dedup._text("x", REWORDED)))
    assert alike >= 80
    assert [(d, r.split(";")[0]) for d, r in found] == [("MENT-2", "same product Beacon")]


def test_mention_look_ups_walk_the_index(ws: Workspace) -> None:
    """SQLite uses the partial index for both look-ups (``name_key = ?`` implies it is not
    NULL): a look-up does not read every affected product."""
    dialect = sqlite.dialect()
    statements = [dedup._STORED_MENTIONS.stmt, dedup._same_product(2).stmt]
    with ws.session() as s:
        raw: Any = s.connection().connection.dbapi_connection
        for stmt in statements:
            compiled = stmt.compile(dialect=dialect)
            params = [
                1 if "id" in k or k in ("bound", "before") else "x" for k in compiled.positiontup
            ]
            plan = raw.execute(f"EXPLAIN QUERY PLAN {compiled}", params).fetchall()
            assert any("ix_affected_product_name_key_id" in str(p) for p in plan), plan
        assert s.scalar(select(func.count()).select_from(Vulnerability)) == 0
