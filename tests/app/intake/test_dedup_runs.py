"""A run's near-duplicate checks (issue 17): the shared-identifier look-ups the single writer
leaves out (``dedup.may_share``) are those that find nothing, whether what is shared was
stored before the run or earlier in it; the candidates are those that looking up every new
case gives."""

from __future__ import annotations

from typing import Any

import pytest
from rapidfuzz import fuzz
from sqlalchemy import select

from app.casework import identifiers
from app.intake import bulk, dedup
from app.intake.model import ParsedDoc, ParsedVuln, Product
from app.workspaces.lifecycle import Workspace
from models import Case, DuplicateCandidate, Report, Vulnerability
from tests.app.intake.test_dedup_normalised import TEXT, _existing

GHSA = "GHSA-7J2M-4C9P-QX5R"
REWORDED = TEXT.replace("a web page", "an e-mail")


def _doc(n: int, fmt: str = "csaf", **kw: Any) -> ParsedDoc:
    return ParsedDoc(fmt, f"doc {n}".encode(), f"Advisory {n}", f"words of its own {n}", **kw)


def _run() -> list[ParsedDoc]:
    """Each opens a case (nothing the run plans by is shared) yet shares something."""
    return [
        _doc(1, document_id="HLX-SA-1"),  # a stored report's document id (another format)
        _doc(2, identifiers=(("GHSA", GHSA.lower()),)),  # a case's own identifier
        _doc(3, vulns=(ParsedVuln(cve="CVE-2026-7001"),)),  # a stored vulnerability's CVE
        _doc(4, vulns=(ParsedVuln(cve="CVE-2026-7002"),)),
        _doc(5, vulns=(ParsedVuln(cve="CVE-2026-7002"),)),  # the CVE of d4, earlier in the run
        _doc(6, document_id="RUN-DOC"),
        _doc(7, "osv", document_id="RUN-DOC"),  # d6's document id, another format
        _doc(8, vulns=(ParsedVuln(cve="CVE-2026-7009"),)),  # shares nothing
        ParsedDoc(  # reads like the stored reports and names their product
            "csaf",
            b"doc 9",
            "Portico gateway injection",
            REWORDED,
            vulns=(ParsedVuln(products=(Product(name="Portico Gateway", vendor="Acme"),)),),
        ),
    ]


def _candidates(ws: Workspace) -> list[tuple[object, ...]]:
    with ws.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Report.title,
                    Case.key,
                    DuplicateCandidate.score,
                    DuplicateCandidate.reason,
                )
                .join(Report, Report.id == DuplicateCandidate.report_id)
                .join(Case, Case.id == DuplicateCandidate.other_case_id)
                .order_by(DuplicateCandidate.id)
            )
        ]


def _store(ws: Workspace) -> list[tuple[object, ...]]:
    with ws.session() as s:
        items = [bulk.Item(f"d{n}.json", doc) for n, doc in enumerate(_run())]
        planned = bulk.plan(s, items)
        assert len(planned) == len(items)
        outcomes = bulk.write(
            s,
            ws.require_actor(),
            planned,
            "run",
            known=dedup.KnownTexts(),
            mentions=dedup.KnownMentions(),
        )
        assert len({o.case_key for o in outcomes}) == len(items)  # each opened a case
        s.commit()
    return _candidates(ws)


@pytest.mark.parametrize("look_up", ["when it may share", "every new case"])
def test_a_run_finds_what_looking_up_every_new_case_finds(any_ws, monkeypatch, look_up):
    by_doc = _existing(any_ws, "Portico Gateway", "Acme", doc_id="HLX-SA-1")
    by_analyst = _existing(any_ws, "Portico Gateway", "Acme")
    with any_ws.session() as s:
        identifiers.add(s, any_ws.require_actor(), by_analyst, "ghsa", GHSA)
        s.commit()
    by_cve = _existing(any_ws, "Something else", None)
    with any_ws.session() as s:
        case_id = s.scalar(select(Case.id).where(Case.key == by_cve))
        vuln = s.scalar(select(Vulnerability).where(Vulnerability.case_id == case_id))
        assert vuln is not None
        vuln.cve = "CVE-2026-7001"
        s.commit()
    if look_up == "every new case":
        monkeypatch.setattr(dedup, "may_share", lambda s, run: None)
    found = _store(any_ws)
    with any_ws.session() as s:
        key_of = dict(s.execute(select(Report.title, Case.key).join(Case)).all())
    title = "Portico gateway injection"
    alike = fuzz.token_set_ratio(dedup._text(title, TEXT), dedup._text(title, REWORDED))
    assert 80 <= alike < 100
    assert found == [
        ("Advisory 1", by_doc, 100.0, "shares HLX-SA-1"),
        ("Advisory 2", by_analyst, 100.0, f"shares {GHSA}"),
        ("Advisory 3", by_cve, 100.0, "shares CVE-2026-7001"),
        ("Advisory 5", key_of["Advisory 4"], 100.0, "shares CVE-2026-7002"),
        ("Advisory 7", key_of["Advisory 6"], 100.0, "shares RUN-DOC"),
        *(
            (
                "Portico gateway injection",
                key,
                round(alike, 1),
                f"same product Portico Gateway; text {round(alike)}% alike",
            )
            for key in (by_analyst, by_doc)  # the newest first
        ),
    ]
