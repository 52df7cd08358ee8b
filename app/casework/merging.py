"""Merge any two cases (with a preview and an undo), split a report out into a case of its
own, link related cases.

A merge moves what the source case holds into the destination: reports (with their
originals and identifiers), vulnerabilities (with their products), the case's own
identifiers, notes, assessments, attachments and impact estimates; the destination gains
the source's jurisdictions and facts (clocks start at the earlier time, an embargo ends at
the later) and its TLP rises to the higher of the two. The source becomes ``duplicate`` of
the destination. What moved and every value changed are recorded (``case_merge``, ids and
earlier values only), so ``unmerge`` is the exact inverse: it moves back what is still in
the destination and restores what no one has changed since."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.auditing import chain as audit
from app.casework import cases, workflow
from app.casework.editing import record
from app.concurrency import check_seen, guarded
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor
from app.queueing import search
from i18n import _
from models import (
    Assessment,
    Attachment,
    Case,
    CaseFact,
    CaseJurisdiction,
    CaseLink,
    CaseMerge,
    CaseStatus,
    Deadline,
    Identifier,
    ImpactEstimate,
    Note,
    PlaybookRun,
    Report,
    Vulnerability,
    utcnow,
)

# Facts that end something (an embargo, a planned publication) keep the later time; every
# other fact starts a clock and keeps the earlier one.
LATER_WINS = frozenset({"embargo-until", "publication-planned"})
_MOVED: dict[str, Any] = {
    "reports": Report,
    "vulnerabilities": Vulnerability,
    "notes": Note,
    "assessments": Assessment,
    "attachments": Attachment,
    "impact_estimates": ImpactEstimate,
}


@dataclass(frozen=True)
class MergePlan:
    """What a merge of ``src`` into ``dst`` moves, adds and leaves (ids, names, times)."""

    src: str
    dst: str
    moved: dict[str, list[int]]
    identifiers: list[str]  # "CVE CVE-2026-1" of the source's own identifiers that move
    products: int
    facts: dict[str, dict[str, str | None]]  # name -> {"from": dst's, "to": merged}
    jurisdictions: list[str]
    tlp: tuple[str, str]  # destination's TLP before and after
    embargo: tuple[str | None, str | None]
    deadlines: int  # the destination's obligations now (recomputed after the merge)
    stays: dict[str, int] = field(default_factory=dict)  # what stays with the source

    def as_json(self) -> dict[str, object]:
        return {
            "src": self.src,
            "dst": self.dst,
            "moves": {**self.moved, "identifiers": self.identifiers, "products": self.products},
            "facts": self.facts,
            "jurisdictions_added": self.jurisdictions,
            "tlp": {"from": self.tlp[0], "to": self.tlp[1]},
            "embargo_until": {"from": self.embargo[0], "to": self.embargo[1]},
            "deadlines": {"dst_now": self.deadlines, "recomputed": True},
            "stays_with_src": self.stays,
        }

    def lines(self) -> list[str]:
        """The plan in words, one line per kind of thing."""
        out = [_("Merge {src} into {dst}:").format(src=self.src, dst=self.dst)]
        names = {
            "reports": _("reports"),
            "vulnerabilities": _("vulnerabilities"),
            "notes": _("notes"),
            "assessments": _("assessments"),
            "attachments": _("attachments"),
            "impact_estimates": _("impact estimates"),
        }
        for kind, label in names.items():
            ids = self.moved.get(kind) or []
            out.append(_("  moves {n} {what}").format(n=len(ids), what=label))
        out.append(_("  moves {n} affected products").format(n=self.products))
        out.append(_("  moves identifiers: {ids}").format(ids=", ".join(self.identifiers) or "-"))
        for name, change in self.facts.items():
            out.append(
                _("  fact {fact}: {old} → {new}").format(
                    fact=name, old=change["from"] or "-", new=change["to"] or "-"
                )
            )
        out.append(
            _("  adds jurisdictions: {codes}").format(codes=", ".join(self.jurisdictions) or "-")
        )
        out.append(_("  TLP {old} → {new}").format(old=self.tlp[0], new=self.tlp[1]))
        out.append(
            _("  deadlines of {dst} recomputed ({n} obligations now)").format(
                dst=self.dst, n=self.deadlines
            )
        )
        if self.stays:
            out.append(
                _("  stays with {src}: {what}").format(
                    src=self.src, what=", ".join(f"{k} {v}" for k, v in self.stays.items())
                )
            )
        out.append(_("  {src} becomes a duplicate of {dst}").format(src=self.src, dst=self.dst))
        return out


def _ids(session: Session, model: Any, case_id: int) -> list[int]:
    return list(
        session.scalars(select(model.id).where(model.case_id == case_id).order_by(model.id))
    )


def _movable_identifiers(session: Session, src: Case, dst: Case) -> list[Identifier]:
    """The source's own identifiers the destination does not hold yet (one row per pair)."""
    have = {
        (s.lower(), v)
        for s, v in session.execute(
            select(Identifier.scheme, Identifier.value).where(Identifier.case_id == dst.id)
        )
    }
    rows = session.scalars(
        select(Identifier).where(Identifier.case_id == src.id).order_by(Identifier.id)
    )
    return [i for i in rows if (i.scheme.lower(), i.value) not in have]


def _facts(session: Session, case: Case) -> dict[str, CaseFact]:
    return {f.name: f for f in session.scalars(select(CaseFact).where(CaseFact.case_id == case.id))}


def _merged_facts(session: Session, src: Case, dst: Case) -> dict[str, dict[str, str | None]]:
    mine, theirs = _facts(session, dst), _facts(session, src)
    out: dict[str, dict[str, str | None]] = {}
    for name, f in sorted(theirs.items()):
        old = mine.get(name)
        if old is None:
            out[name] = {"from": None, "to": f.at.isoformat()}
        elif (f.at > old.at) if name in LATER_WINS else (f.at < old.at):
            out[name] = {"from": old.at.isoformat(), "to": f.at.isoformat()}
    return out


def _codes(session: Session, case: Case) -> set[str]:
    return set(
        session.scalars(select(CaseJurisdiction.code).where(CaseJurisdiction.case_id == case.id))
    )


def _pair(session: Session, src_key: str, dst_key: str) -> tuple[Case, Case]:
    src, dst = cases.get_case(session, src_key), cases.get_case(session, dst_key)
    if src.id == dst.id:
        raise UsageError(_("a case cannot be merged into itself"))
    if dst.status == CaseStatus.DUPLICATE:
        raise AccordError(
            _("{dst} is itself a duplicate; merge into the case it duplicates").format(dst=dst.key)
        )
    if src.status != CaseStatus.DUPLICATE and not workflow.is_allowed(
        src.status, CaseStatus.DUPLICATE
    ):
        raise AccordError(
            _("{src} cannot become a duplicate from state {state}").format(
                src=src.key, state=src.status.value
            )
        )
    return src, dst


def preview(session: Session, src_key: str, dst_key: str) -> MergePlan:
    """What ``merge`` would do; changes nothing."""
    src, dst = _pair(session, src_key, dst_key)
    moved = {kind: _ids(session, model, src.id) for kind, model in _MOVED.items()}
    products = sum(
        len(v.affected)
        for v in session.scalars(select(Vulnerability).where(Vulnerability.case_id == src.id))
    )
    new_tlp = trust.highest(trust.case_tlp(dst), trust.case_tlp(src))
    old_end, src_end = dst.embargo_until, src.embargo_until
    end = max((d for d in (old_end, src_end) if d is not None), default=None)
    return MergePlan(
        src=src.key,
        dst=dst.key,
        moved=moved,
        identifiers=[f"{i.scheme} {i.value}" for i in _movable_identifiers(session, src, dst)],
        products=products,
        facts=_merged_facts(session, src, dst),
        jurisdictions=sorted(_codes(session, src) - _codes(session, dst)),
        tlp=(trust.case_tlp(dst), new_tlp),
        embargo=(
            old_end.isoformat() if old_end else None,
            end.isoformat() if end else None,
        ),
        deadlines=len(_ids(session, Deadline, dst.id)),
        stays={
            k: v
            for k, v in {
                "playbook_runs": len(_ids(session, PlaybookRun, src.id)),
                "deadlines": len(_ids(session, Deadline, src.id)),
            }.items()
            if v
        },
    )


def merge(
    session: Session,
    actor: Actor,
    src_key: str,
    dst_key: str,
    reason: str,
    *,
    src_version: int | None = None,
    dst_version: int | None = None,
) -> MergePlan:
    """Merge ``src`` into ``dst`` as ``preview`` shows; audited on both cases and recorded
    for ``unmerge``. Made against the versions read (or shown): no lost update."""
    if not reason.strip():
        raise UsageError(_("a merge needs a reason"))
    plan = preview(session, src_key, dst_key)
    src, dst = _pair(session, src_key, dst_key)
    check_seen(session, src_version, src.row_version, src.key, case_key=src.key)
    check_seen(session, dst_version, dst.row_version, dst.key, case_key=dst.key)
    changed: dict[str, Any] = {"facts": {}, "fact_ids_added": [], "jurisdiction_ids_added": []}
    with guarded(session, f"{src.key}/{dst.key}", case_key=dst.key):
        moving = _movable_identifiers(session, src, dst)
        for model in _MOVED.values():
            for row in session.scalars(select(model).where(model.case_id == src.id)):
                row.case_id = dst.id
        for ident in moving:
            ident.case_id = dst.id
        mine = _facts(session, dst)
        for name, f in _facts(session, src).items():
            old = mine.get(name)
            if old is None:
                new = CaseFact(case_id=dst.id, name=name, at=f.at)
                session.add(new)
                session.flush()
                changed["fact_ids_added"].append(new.id)
            elif name in plan.facts:
                changed["facts"][name] = {"from": old.at.isoformat(), "to": f.at.isoformat()}
                old.at = f.at
        have = _codes(session, dst)
        for code in sorted(_codes(session, src) - have):
            j = CaseJurisdiction(case_id=dst.id, code=code)
            session.add(j)
            session.flush()
            changed["jurisdiction_ids_added"].append(j.id)
        if trust.rank(trust.case_tlp(src)) > trust.rank(dst.tlp):
            changed["tlp"] = {"from": dst.tlp, "to": trust.case_tlp(src)}
            dst.tlp = trust.case_tlp(src)
        if src.embargo_until and (
            dst.embargo_until is None or src.embargo_until > dst.embargo_until
        ):
            changed["embargo_until"] = {
                "from": dst.embargo_until.isoformat() if dst.embargo_until else None,
                "to": src.embargo_until.isoformat(),
            }
            dst.embargo_until = src.embargo_until
        src_status = src.status
        src.status = CaseStatus.DUPLICATE
        src.updated_at = dst.updated_at = utcnow()
        moved = {**plan.moved, "identifiers": [i.id for i in moving]}
        row = CaseMerge(
            src_case_id=src.id,
            dst_case_id=dst.id,
            src_status=src_status.value,
            moved=moved,
            changed=changed,
            created_by_id=actor.id or None,
        )
        session.add(row)
    _after(session, src, dst)
    details = {"merge": row.id, "from": src.key, "into": dst.key, "reason": reason}
    record(session, actor, dst, "case.merge", {**details, "moved": _counts(moved)})
    audit.record(
        session, actor, "case.transition", "case", src.id, case_key=src.key,
        details={"from": src_status.value, "to": "duplicate", "reason": reason,
                 "duplicate_of": dst.key, "merge": row.id},
    )  # fmt: skip
    return plan


def _counts(moved: dict[str, list[int]]) -> dict[str, int]:
    return {k: len(v) for k, v in moved.items() if v}


def _after(session: Session, *touched: Case) -> None:
    from app.deadlines.service import recompute  # deadlines build on cases

    session.flush()
    for case in touched:
        recompute(session, case)
        search.reindex(session, case)


def unmerge(session: Session, actor: Actor, src_key: str, reason: str) -> tuple[str, str]:
    """Undo the last merge of ``src``: move back what is still in the destination, remove the
    facts and jurisdictions the merge added, restore changed values no one has changed
    since, and give ``src`` its state back. Returns (src, dst) keys."""
    if not reason.strip():
        raise UsageError(_("an unmerge needs a reason"))
    src = cases.get_case(session, src_key)
    m = session.scalar(
        select(CaseMerge)
        .where(CaseMerge.src_case_id == src.id, CaseMerge.state == "merged")
        .order_by(CaseMerge.id.desc())
    )
    if m is None:
        raise NotFound(_("{key} was not merged into another case").format(key=src.key))
    dst = session.get(Case, m.dst_case_id)
    assert dst is not None
    kept: dict[str, int] = {}
    with guarded(session, f"{src.key}/{dst.key}", case_key=src.key):
        for kind, model in {**_MOVED, "identifiers": Identifier}.items():
            ids = list(m.moved.get(kind) or [])
            if not ids:
                continue
            for row in session.scalars(select(model).where(model.id.in_(ids))):
                if row.case_id == dst.id:
                    row.case_id = src.id
                else:
                    kept[kind] = kept.get(kind, 0) + 1
        changed = m.changed or {}
        for fid in changed.get("fact_ids_added") or []:
            f = session.get(CaseFact, fid)
            if f is not None:
                session.delete(f)
        for name, change in (changed.get("facts") or {}).items():
            f = session.scalar(
                select(CaseFact).where(CaseFact.case_id == dst.id, CaseFact.name == name)
            )
            if f is not None and f.at.isoformat() == change["to"]:
                f.at = datetime.fromisoformat(change["from"])
        for jid in changed.get("jurisdiction_ids_added") or []:
            j = session.get(CaseJurisdiction, jid)
            if j is not None:
                session.delete(j)
        tlp = changed.get("tlp")
        if tlp and dst.tlp == tlp["to"]:
            dst.tlp = tlp["from"]
        emb = changed.get("embargo_until")
        if emb and dst.embargo_until and dst.embargo_until.isoformat() == emb["to"]:
            dst.embargo_until = datetime.fromisoformat(emb["from"]) if emb["from"] else None
        old_status = src.status
        src.status = CaseStatus(m.src_status)
        src.updated_at = dst.updated_at = utcnow()
        m.state = "undone"
        m.undone_at = utcnow()
    _after(session, src, dst)
    details = {"merge": m.id, "from": src.key, "into": dst.key, "reason": reason, "kept": kept}
    record(session, actor, dst, "case.unmerge", details)
    audit.record(
        session, actor, "case.transition.undo", "case", src.id, case_key=src.key,
        details={"from": old_status.value, "to": m.src_status, "reason": reason,
                 "merge": m.id},
    )  # fmt: skip
    return src.key, dst.key


def split(
    session: Session,
    actor: Actor,
    key: str,
    report_id: int,
    reason: str,
    *,
    expected_version: int | None = None,
) -> str:
    """Move one report (its vulnerabilities and attachments with it) out of the case into a
    new case, which keeps the case's TLP, embargo and jurisdictions and is linked to it.
    Returns the new case's key."""
    if not reason.strip():
        raise UsageError(_("a split needs a reason"))
    case = cases.get_case(session, key)
    check_seen(session, expected_version, case.row_version, case.key, case_key=case.key)
    report = session.get(Report, report_id)
    if report is None or report.case_id != case.id:
        raise NotFound(_("{key} has no report {id}").format(key=case.key, id=report_id))
    others = session.scalar(
        select(Report.id).where(Report.case_id == case.id, Report.id != report.id).limit(1)
    )
    if others is None:
        raise AccordError(
            _("report {id} is the only report of {key}; nothing to split from").format(
                id=report_id, key=case.key
            )
        )
    with guarded(session, case.key, case_key=case.key):
        new = cases.create_case(session, actor, report.title or case.title, report.description)
        new.tlp, new.tlp_floor = case.tlp, case.tlp_floor
        new.tlp_floor_partner_id, new.tlp_floor_bundle = (
            case.tlp_floor_partner_id,
            case.tlp_floor_bundle,
        )
        new.embargo_until = case.embargo_until
        for code in sorted(_codes(session, case)):
            session.add(CaseJurisdiction(case_id=new.id, code=code))
        session.add(CaseFact(case_id=new.id, name="reported", at=report.received_at))
        report.case_id = new.id
        vulns = list(
            session.scalars(select(Vulnerability).where(Vulnerability.report_id == report.id))
        )
        for v in vulns:
            if v.case_id == case.id:
                v.case_id = new.id
        attachments = list(
            session.scalars(select(Attachment).where(Attachment.report_id == report.id))
        )
        for a in attachments:
            if a.case_id == case.id:
                a.case_id = new.id
        a_, b_ = sorted((case.id, new.id))
        session.add(
            CaseLink(case_id=a_, other_case_id=b_, reason=reason, created_by_id=actor.id or None)
        )
        case.updated_at = utcnow()
    _after(session, case, new)
    details = {
        "report": report.id,
        "into": new.key,
        "vulnerabilities": [v.id for v in vulns],
        "attachments": [a.id for a in attachments],
        "reason": reason,
    }
    record(session, actor, case, "case.split", details)
    record(session, actor, new, "case.split.from", {"report": report.id, "from": case.key})
    return new.key


@dataclass(frozen=True)
class LinkInfo:
    key: str
    title: str
    status: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"case": self.key, "title": self.title, "status": self.status, "reason": self.reason}


def link(
    session: Session, actor: Actor, key: str, other_key: str, reason: str, *, remove: bool = False
) -> LinkInfo:
    """Link two related cases (or with ``remove`` unlink them); audited on both."""
    case, other = cases.get_case(session, key), cases.get_case(session, other_key)
    if case.id == other.id:
        raise UsageError(_("a case cannot be linked to itself"))
    if not remove and not reason.strip():
        raise UsageError(_("a link needs a reason"))
    a, b = sorted((case.id, other.id))
    row = session.scalar(select(CaseLink).where(CaseLink.case_id == a, CaseLink.other_case_id == b))
    if remove:
        if row is None:
            raise NotFound(
                _("{key} is not linked to {other}").format(key=case.key, other=other.key)
            )
        session.delete(row)
    elif row is not None:
        raise AccordError(
            _("{key} is already linked to {other}").format(key=case.key, other=other.key)
        )
    else:
        session.add(
            CaseLink(case_id=a, other_case_id=b, reason=reason, created_by_id=actor.id or None)
        )
    session.flush()
    action = "case.unlink" if remove else "case.link"
    details: dict[str, object] = {"reason": reason} if reason.strip() else {}
    record(session, actor, case, action, {"other": other.key, **details})
    record(session, actor, other, action, {"other": case.key, **details})
    return LinkInfo(other.key, other.title, other.status.value, reason)


def links_of(session: Session, case: Case) -> list[LinkInfo]:
    """The cases linked to ``case``, and the case it was merged into (if it was)."""
    out: list[LinkInfo] = []
    for row in session.scalars(
        select(CaseLink)
        .where((CaseLink.case_id == case.id) | (CaseLink.other_case_id == case.id))
        .order_by(CaseLink.id)
    ):
        other = session.get(Case, row.other_case_id if row.case_id == case.id else row.case_id)
        if other is not None:
            out.append(LinkInfo(other.key, other.title, other.status.value, row.reason))
    return out


def merged_into(session: Session, case: Case) -> str | None:
    """The key of the case this one is merged into (an active merge), else None."""
    dst = session.scalar(
        select(Case.key)
        .join(CaseMerge, CaseMerge.dst_case_id == Case.id)
        .where(CaseMerge.src_case_id == case.id, CaseMerge.state == "merged")
        .order_by(CaseMerge.id.desc())
        .limit(1)
    )
    return dst
