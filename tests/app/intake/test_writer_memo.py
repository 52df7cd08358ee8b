"""The single writer's shortcuts change no outcome (issue 17): compared texts kept in memory
for near-duplicate checks, and driver look-ups kept per parameter shape."""

from __future__ import annotations

from app.intake import dedup
from app.intake.model import ParsedDoc, ParsedVuln, Product
from app.workspaces.lifecycle import Workspace
from tests.app.intake.test_dedup_normalised import TEXT, _existing


def test_known_texts_hold_only_what_a_kept_run_stored() -> None:
    known = dedup.KnownTexts()
    known.add(1, "one")
    assert known.get(1) == "one"  # later reports of the same run are compared with it
    known.drop()  # the run was rolled back: its ids may be given to other reports
    assert known.get(1) is None
    known.add(2, "two")
    known.keep()
    assert known.get(2) == "two"
    known.forget(2)  # a later revision changed its title or description
    assert known.get(2) is None


def test_a_remembered_text_gives_the_candidates_a_read_one_gives(ws: Workspace) -> None:
    _existing(ws, "Portico Gateway", "Acme")
    doc = ParsedDoc(
        "csaf",
        b"{}",
        "Portico gateway injection",
        TEXT,
        vulns=(ParsedVuln(products=(Product(name="Portico Gateway", vendor="Acme"),)),),
    )
    c = dedup.compared(doc.title, doc.description, doc)
    with ws.session() as s:
        read = dedup.rows_for(s, 10_000, -1, c)
        known = dedup.KnownTexts()
        for rid in range(1, 100):
            known.add(rid, dedup._text("Portico gateway injection", TEXT))
        remembered = dedup.rows_for(s, 10_000, -1, c, known)
        # And for a list of names of any length (statements come in a few sizes).
        many = dedup.Compared((*c.names, *(f"other {i}" for i in range(20))), c.text, (), None)
        padded = dedup.rows_for(s, 10_000, -1, many)
    assert read and remembered == read
    assert [r["other_case_id"] for r in padded] == [r["other_case_id"] for r in read]
