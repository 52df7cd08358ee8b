"""Case references unique across organisations, and shared notes, travel in bundles."""

from __future__ import annotations

from sqlalchemy import select

from app.casework import cases, notes, refs
from app.exchange import export, importer, keys
from app.workspaces.lifecycle import Workspace
from models import Case, Note
from tests.app.exchange.conftest import Org, open_case


def _export(org: Org, to: list[str], keys_: list[str], tlp: str) -> bytes:
    with org.ws.session() as s:
        return export.export_bundle(s, org.ws.require_actor(), to, keys_, tlp).data


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def _ref(org: Org, key: str) -> str | None:
    with org.ws.session() as s:
        return s.scalar(select(Case.ref).where(Case.key == key))


def test_same_local_key_two_organisations_two_references(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key_a, key_b = open_case(a), open_case(b)
    assert key_a == key_b  # every workspace numbers ACC-YYYY-0001 …
    assert _ref(a, key_a) == f"{key_a}@{a.fingerprint[:16]}"
    assert _ref(b, key_b) == f"{key_b}@{b.fingerprint[:16]}"
    assert _ref(a, key_a) != _ref(b, key_b)


def test_received_case_keeps_the_senders_reference_and_shared_notes(
    orgs: tuple[Org, Org],
) -> None:
    a, b = orgs
    open_case(b)  # B's own ACC-…-0001, so A's case gets another local key there
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        notes.add(s, actor, key, "internal: the reporter's real name is in the mail")
        notes.add(s, actor, key, "vendor acknowledged on 3 March", shared=True)
    sent_ref = _ref(a, key)
    result = _import(b, _export(a, ["CERT-B"], [key], "AMBER"))
    assert result.imported, result.report.reason
    theirs = result.cases[0].case
    assert theirs != key  # a local key of B's …
    assert _ref(b, theirs) == sent_ref  # … beside A's reference
    with b.ws.session() as s:
        got = notes.of_case(s, cases.get_case(s, theirs))
        assert [(n.text, n.shared, n.partner, n.author) for n in got] == [
            ("vendor acknowledged on 3 March", True, "CERT-A", "alice")
        ]
        notes.add(s, b.ws.require_actor(), theirs, "CERT-B reproduced it", shared=True)
    # Back to A: A's own case, B's note joins it once, A's own note is not duplicated.
    back = _export(b, ["CERT-A"], [theirs], "AMBER")
    assert _import(a, back).imported
    with a.ws.session() as s:
        texts = [n.text for n in notes.of_case(s, cases.get_case(s, key))]
        assert texts == [
            "internal: the reporter's real name is in the mail",
            "vendor acknowledged on 3 March",
            "CERT-B reproduced it",
        ]
        assert s.scalar(select(Note.partner_id).where(Note.body == "CERT-B reproduced it"))
    assert _ref(a, key) == sent_ref


def test_internal_notes_never_leave(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        notes.add(s, a.ws.require_actor(), key, "internal only")
        from app.exchange import documents

        doc = documents.case_document(s, cases.get_case(s, key), a.fingerprint)
    assert doc["notes"] == [] and doc["ref"] == f"{key}@{a.fingerprint[:16]}"


def test_cases_opened_before_the_key_get_a_reference_when_it_is_made(ws: Workspace) -> None:
    actor = ws.require_actor()
    with ws.session() as s:
        key = cases.create_case(s, actor, "before the key").key
        assert cases.get_case(s, key).ref is None
    with ws.session() as s:
        fpr = keys.generate(s, actor).fingerprint
    with ws.session() as s:
        assert cases.get_case(s, key).ref == refs.make(key, fpr)
    with ws.session() as s:
        keys.generate(s, actor, replace=True)  # a rollover keeps every reference
    with ws.session() as s:
        assert cases.get_case(s, key).ref == refs.make(key, fpr)
        later = cases.create_case(s, actor, "after the rollover")
        assert later.ref is not None and later.ref != refs.make(later.key, fpr)
