"""Everything a case screen or ``case show`` adds to the case's detail: its global reference,
identifiers, affected products, reporter, jurisdictions, TLP, embargo, notes and links."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.casework import affected, cases, identifiers, merging, notes, reporters
from app.identity.actor import Actor
from i18n import _
from models import CaseJurisdiction


def extras(session: Session, actor: Actor | None, key: str) -> dict[str, object]:
    """The JSON fields ``case show --json`` adds (a stable contract: add, never rename)."""
    case = cases.get_case(session, key)
    reporter: dict[str, object] | None = None
    if case.reporter_id is not None and actor is not None:
        r = reporters.view(session, actor, case.reporter_id)
        reporter = {
            "id": r.id,
            "handle": r.handle,
            "credit": r.credit_name,
            "pseudonymous": not (r.consent_to_be_named and r.real_identity),
        }
    end = trust.embargo_end(session, case)
    return {
        "ref": case.ref,
        "identifiers": [i.as_json() for i in identifiers.of_case(session, case)],
        "affected": [a.as_json() for a in affected.of_case(session, case)],
        "reporter": reporter,
        "jurisdictions": sorted(
            session.scalars(
                select(CaseJurisdiction.code).where(CaseJurisdiction.case_id == case.id)
            )
        ),
        "tlp": trust.case_tlp(case),
        "embargo_until": end.isoformat() if end else None,
        "notes": [n.as_json() for n in notes.of_case(session, case)],
        "links": [link.as_json() for link in merging.links_of(session, case)],
        "merged_into": merging.merged_into(session, case),
    }


def lines(extra: dict[str, object]) -> list[str]:
    """The human lines of ``case show`` for the fields ``extras`` adds."""
    out: list[str] = []
    ids = extra.get("identifiers") or []
    assert isinstance(ids, list)
    if ids:
        out.append(_("identifiers: {ids}").format(ids=", ".join(str(i["value"]) for i in ids)))
    products = extra.get("affected") or []
    assert isinstance(products, list)
    for p in products:
        version = p["version"] or p["range"] or _("any version")
        out.append(
            _("affected #{pid}: {vendor}{name} {version}").format(
                pid=p["id"],
                vendor=f"{p['vendor']} " if p["vendor"] else "",
                name=p["name"],
                version=version,
            )
        )
    codes = extra.get("jurisdictions") or []
    assert isinstance(codes, list)
    if codes:
        out.append(_("jurisdictions: {codes}").format(codes=", ".join(codes)))
    for link in extra.get("links") or []:  # type: ignore[attr-defined]
        out.append(_("linked: {key} ({reason})").format(key=link["case"], reason=link["reason"]))
    if extra.get("merged_into"):
        out.append(_("merged into {key}").format(key=extra["merged_into"]))
    notes_ = extra.get("notes") or []
    assert isinstance(notes_, list)
    if notes_:
        shared = sum(1 for n in notes_ if n["shared"])
        out.append(_("notes: {n} ({shared} shared)").format(n=len(notes_), shared=shared))
    return out
