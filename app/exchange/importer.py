"""Bundle import: verify first; refuse into quarantine, or merge the partner's work, audited.

A partner's cases map onto ours through their origin (the organisation fingerprint and case
key where the case was first opened): a case we sent comes back onto our own case, a case
the partner opened becomes a new case of ours, remembered by a Report of format
``accord-bundle``. Assessments stay the partner's (``partner_id``/``partner_fingerprint``),
never overwriting ours; playbook step completions go through the playbooks' joint-run code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import trust
from app.auditing import chain as audit
from app.casework import cases
from app.casework import notes as case_notes
from app.casework import refs as case_refs
from app.deadlines.casedata import import_rule_sets
from app.errors import AccordError
from app.exchange import keys
from app.exchange.bundle_format import Limits
from app.exchange.documents import ORIGIN_FORMAT
from app.exchange.verify import BundleReport, Refused, Verified, _Verifier, report_for
from app.identity.actor import Actor, Permission
from app.intake import hazard
from app.parties import exchange as parties_exchange
from app.playbooks import joint
from app.queueing import search
from i18n import _
from models import (
    Advisory,
    AdvisoryText,
    AffectedProduct,
    Assessment,
    Attachment,
    Bundle,
    BundleCase,
    Case,
    CaseFact,
    CaseJurisdiction,
    CasePartner,
    Partner,
    PartnerCheckpoint,
    PartnerKey,
    QuarantineItem,
    Reference,
    Report,
    ReportRevision,
    Vulnerability,
    utcnow,
)

# A refused bundle is kept in quarantine for inspection, but only in part: the first
# QUARANTINE_ITEM_MAX_BYTES of it, while all refused bundles together stay under
# QUARANTINE_TOTAL_MAX_BYTES; its full size and SHA-256 are always recorded.
QUARANTINE_ITEM_MAX_BYTES = 4 * 1024 * 1024
QUARANTINE_TOTAL_MAX_BYTES = 64 * 1024 * 1024
# Genuine bundles that arrive before an earlier one are held whole (they are applied later);
# at most this many per partner, further early ones are refused.
MAX_HELD_PER_PARTNER = 16


@dataclass(frozen=True)
class MergedCase:
    partner_case: str
    case: str
    created: bool


@dataclass(frozen=True)
class ImportResult:
    report: BundleReport
    imported: bool
    quarantine_id: int | None = None
    cases: tuple[MergedCase, ...] = ()
    assessments: int = 0
    playbook_steps: int = 0
    advisories: int = 0
    attachments: int = 0
    notes: tuple[str, ...] = ()
    held_id: int | None = None  # held for a sequence gap: the bundle row that keeps it
    kept_bytes: int = 0  # of a refused bundle, the bytes kept in quarantine
    applied_held: tuple[str, ...] = ()  # held bundles this import let through, in order
    report_size: int = 0  # bytes of the bundle as received

    @property
    def held(self) -> bool:
        return self.held_id is not None

    def outcome_text(self) -> str:
        """What happened to a bundle that was not merged: held, or what quarantine kept."""
        if self.held:
            return _(
                "Held as bundle {id}: waiting for sequence {n} from {sender}; applied when that "
                "arrives, or by a coordinator with 'accord bundle accept {id} --reason …'."
            ).format(id=self.held_id, n=self.report.waiting_for, sender=self.report.sender)
        if self.kept_bytes >= self.report_size:
            kept = _("all {size} bytes").format(size=self.report_size)
        else:
            kept = _("the first {kept} of its {size} bytes").format(
                kept=self.kept_bytes, size=self.report_size
            )
        return _(
            "Kept in quarantine as item {id}: {kept}, SHA-256 {sha}; nothing was merged."
        ).format(id=self.quarantine_id, kept=kept, sha=self.report.sha256)

    def as_json(self) -> dict[str, object]:
        return {
            "held": self.held,
            "held_id": self.held_id,
            "waiting_for": self.report.waiting_for,
            "quarantine_kept_bytes": self.kept_bytes,
            "size": self.report_size,
            "applied_held": list(self.applied_held),
            "imported": self.imported,
            "valid": self.report.ok,
            "reason": self.report.reason,
            "bundle_id": self.report.bundle_id,
            "sender": self.report.sender,
            "tlp": self.report.tlp,
            "quarantine_id": self.quarantine_id,
            "cases": [
                {"partner_case": c.partner_case, "case": c.case, "created": c.created}
                for c in self.cases
            ],
            "assessments": self.assessments,
            "playbook_steps": self.playbook_steps,
            "advisories": self.advisories,
            "attachments": self.attachments,
            "notes": list(self.notes),
            "verification": self.report.as_json(),
        }


def _recorded_decisions(value: object) -> list[dict[str, Any]]:
    """A partner's recorded-only SSVC decisions (coordinator triage and publication), kept
    only in their expected shape: a table name, its answers and the decision, a few at most."""
    if not isinstance(value, list):
        return []
    kept: list[dict[str, Any]] = []
    for entry in value[:8]:
        if not isinstance(entry, dict):
            continue
        table, inputs, decision = entry.get("table"), entry.get("inputs"), entry.get("decision")
        if not isinstance(table, str) or not isinstance(inputs, dict) or len(table) > 64:
            continue
        answers = {
            str(k)[:64]: str(v)[:64] for k, v in list(inputs.items())[:16] if isinstance(v, str)
        }
        outcome = entry.get("outcome_key")
        kept.append(
            {
                "table": table,
                "inputs": answers,
                "decision": str(decision or "")[:64],
                "outcome_key": str(outcome)[:64] if isinstance(outcome, str) else None,
            }
        )
    return kept


def _time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


class _Merge:
    def __init__(self, session: Session, actor: Actor, v: Verified):
        self.s = session
        self.actor = actor
        self.v = v
        partner = session.get(Partner, v.partner_id)
        assert partner is not None
        self.partner = partner
        self.own = keys.own_fingerprints(session)
        self.partner_fprs = set(
            session.scalars(
                select(PartnerKey.fingerprint).where(PartnerKey.partner_id == partner.id)
            )
        )
        self.cases: list[MergedCase] = []
        self.assessments = 0
        self.steps = 0
        self.advisories = 0
        self.attachments = 0
        self.notes: list[str] = []

    def run(self) -> None:
        for path in sorted(p for p in self.v.members if p.startswith("cases/")):
            if not path.endswith(".json"):
                continue
            try:
                doc = json.loads(self.v.members[path])
            except (ValueError, UnicodeDecodeError) as exc:
                raise Refused(
                    "payload", _("{name} is not JSON: {error}").format(name=path, error=exc)
                ) from None
            if not isinstance(doc, dict) or doc.get("format") != "accord-case":
                raise Refused("payload", _("{name} is not an Accord case").format(name=path))
            self.case(path, doc)

    def case(self, path: str, doc: dict[str, Any]) -> None:
        origin = doc.get("origin") or {}
        ofpr = str(origin.get("org_fingerprint") or self.v.signer_fingerprint).upper()
        okey = str(origin.get("case") or doc.get("key") or "")
        case: Case | None = None
        created = False
        doc_id = f"{ofpr}:{okey}"
        raw = self.v.members[path]
        if ofpr in self.own:
            # Our own case, named by its (guessable) key: only a partner we sent it to may
            # update it; a key we never sent, or that does not exist, is refused.
            case = self.s.scalar(select(Case).where(Case.key == okey))
            if case is None or not self.received(case):
                raise self.not_theirs(okey)
        else:
            link = self.s.scalar(
                select(Report).where(Report.format == ORIGIN_FORMAT, Report.document_id == doc_id)
            )
            if link is not None and link.case_id is not None:
                case = self.s.get(Case, link.case_id)
                # A partner's case: its originator (the origin fingerprint is one of the
                # signer's keys) may update it, and so may a partner we forwarded it to.
                if case is not None and ofpr not in self.partner_fprs and not self.received(case):
                    raise self.not_theirs(okey)
                if link.raw_sha256 != hashlib.sha256(raw).hexdigest():
                    link.revisions.append(
                        ReportRevision(  # its stored bytes moved as they are, never inflated
                            revision=link.revision,
                            stored_raw=link.stored_raw,
                            raw_codec=link.raw_codec,
                            raw_sha256=link.raw_sha256,
                        )
                    )
                    link.raw = raw
                    link.raw_sha256 = hashlib.sha256(raw).hexdigest()
                    link.revision = self.v.manifest.get("bundle_id")
        vuln_map: dict[int, int] = {}
        if case is None:
            case = cases.create_case(
                self.s, self.actor, str(doc.get("title") or okey), str(doc.get("description") or "")
            )
            case.source_partner_id = self.partner.id
            # The sender's reference, beside our local key (None if a forged origin names one
            # another case here already holds).
            case.ref = case_refs.received(okey, ofpr, self.s)
            created = True
            self.s.add(
                Report(
                    case_id=case.id,
                    source=f"partner:{self.partner.name}",
                    format=ORIGIN_FORMAT,
                    document_id=doc_id,
                    revision=str(self.v.manifest.get("bundle_id")),
                    title=case.title,
                    description=case.description,
                    filename=path,
                    media_type="application/json",
                    raw=raw,
                    raw_sha256=hashlib.sha256(raw).hexdigest(),
                    partner_id=self.partner.id,
                )
            )
            for fact in doc.get("facts") or []:
                at = _time(fact.get("at"))
                if at is not None and fact.get("name"):
                    case.facts.append(
                        CaseFact(
                            name=str(fact["name"])[:60],
                            at=at,
                            party=str(fact.get("party") or "")[:200],
                            source=_("bundle from {partner}").format(partner=self.partner.name),
                        )
                    )
            for code in doc.get("jurisdictions") or []:
                case.jurisdictions.append(CaseJurisdiction(code=str(code)[:40]))
            vuln_map = self.vulnerabilities(case, doc.get("vulnerabilities") or [])
            self.attachments_of(case, doc.get("attachments") or [])
            search.reindex(self.s, case)  # its CVE ids, products and purls become searchable
        if (
            self.s.scalar(
                select(CasePartner.id).where(
                    CasePartner.case_id == case.id, CasePartner.partner_id == self.partner.id
                )
            )
            is None
        ):
            self.s.add(CasePartner(case_id=case.id, partner_id=self.partner.id))
            names = [n for n in case.partners_label.split(", ") if n]
            if self.partner.name not in names:
                case.partners_label = ", ".join([*names, self.partner.name])[:500]
        self.s.flush()
        # The sender's TLP sets a floor under the case and its embargo holds here too.
        trust.receive(
            self.s, self.actor, case,
            tlp=trust.highest(str(self.v.manifest.get("tlp") or ""), str(doc.get("tlp") or "")),
            embargo_until=_time(doc.get("embargo_until")), partner=self.partner,
            bundle_id=str(self.v.manifest.get("bundle_id")),
        )  # fmt: skip
        # The partner's rule sets stay with the case, even those this workspace lacks.
        import_rule_sets(self.s, case, doc.get("rule_sets") or [], self.partner.name)
        self.assessments_of(case, doc.get("assessments") or [], vuln_map)
        self.parties_of(case, doc)
        if isinstance(doc.get("notes"), list):
            case_notes.receive(
                self.s, self.actor, case, doc["notes"], self.partner, parse_time=_time
            )
        self.steps_of(case, doc)
        if isinstance(doc.get("advisory_draft"), dict):
            self.advisory(case, doc["advisory_draft"])
        audit.record(
            self.s,
            self.actor,
            "case.import",
            "case",
            case.id,
            case_key=case.key,
            details={
                "bundle": self.v.manifest.get("bundle_id"),
                "partner": self.partner.id,
                "partner_case": okey,
                "created": created,
            },
        )
        self.cases.append(MergedCase(okey, case.key, created))

    def received(self, case: Case) -> bool:
        """True when one of our bundles took this case to this partner."""
        return (
            self.s.scalar(
                select(BundleCase.id)
                .where(BundleCase.partner_id == self.partner.id, BundleCase.case_id == case.id)
                .limit(1)
            )
            is not None
        )

    def not_theirs(self, key: str) -> Refused:
        return Refused(
            "authority",
            _(
                "{partner} may not update case {key}: it neither received that case from us "
                "nor originated it"
            ).format(partner=self.partner.name, key=key),
        )

    def vulnerabilities(self, case: Case, items: list[Any]) -> dict[int, int]:
        out: dict[int, int] = {}
        for item in items:
            v = Vulnerability(
                case_id=case.id,
                cve=item.get("cve"),
                cwe=item.get("cwe"),
                title=str(item.get("title") or ""),
                description=str(item.get("description") or ""),
                ai_class=item.get("ai_class"),
                atlas_ids=list(item.get("atlas_ids") or []),
                owasp_ids=list(item.get("owasp_ids") or []),
            )
            for a in item.get("affected") or []:
                v.affected.append(
                    AffectedProduct(
                        kind=str(a.get("kind") or "system"),
                        name=str(a.get("name") or "?"),
                        vendor=a.get("vendor"),
                        version=a.get("version"),
                        version_range=a.get("version_range"),
                        hash=a.get("hash"),
                        purl=a.get("purl"),
                    )
                )
            for r in item.get("references") or []:
                if r.get("url"):
                    v.references.append(
                        Reference(
                            url=str(r["url"]),
                            summary=r.get("summary"),
                            category=str(r.get("category") or "external"),
                        )
                    )
            self.s.add(v)
            self.s.flush()
            if isinstance(item.get("ref"), int):
                out[item["ref"]] = v.id
        return out

    def attachments_of(self, case: Case, items: list[Any]) -> None:
        for item in items:
            data = self.v.members.get(str(item.get("path")))
            if data is None:
                continue
            filename = str(item.get("filename") or "attachment")[:500]
            # Classified here as at intake: the partner's flag may add a hazard, never hide one.
            claimed = item.get("hazard_reasons")
            if not claimed and item.get("hazard_kind"):
                claimed = [item.get("hazard_kind")]
            found = hazard.union(
                hazard.classify(filename, data), claimed, bool(item.get("hazardous"))
            )
            self.s.add(
                Attachment(
                    case_id=case.id,
                    filename=filename,
                    media_type=str(item.get("media_type") or "application/octet-stream"),
                    content=data,
                    sha256=hashlib.sha256(data).hexdigest(),
                    size=len(data),
                    hazardous=found.hazardous,
                    hazard_kind=found.kind,
                    hazard_reasons=list(found.reasons),
                )
            )
            self.attachments += 1

    def assessments_of(self, case: Case, items: list[Any], vuln_map: dict[int, int]) -> None:
        fpr = self.v.signer_fingerprint
        for item in items:
            created = _time(item.get("created_at")) or utcnow()
            if not item.get("tier") or not item.get("model_id"):
                continue
            exists = self.s.scalar(
                select(Assessment.id).where(
                    Assessment.case_id == case.id,
                    Assessment.partner_id == self.partner.id,
                    Assessment.created_at == created,
                    Assessment.model_id == item.get("model_id"),
                )
            )
            if exists is not None:
                continue
            row = Assessment(
                case_id=case.id,
                vulnerability_id=vuln_map.get(item.get("vulnerability_ref", -1)),
                model_id=str(item["model_id"]),
                model_version=str(item.get("model_version") or ""),
                cvss_version=item.get("cvss_version"),
                cvss_vector=item.get("cvss_vector"),
                cvss_score=item.get("cvss_score"),
                cvss_severity=item.get("cvss_severity"),
                ssvc_table=item.get("ssvc_table"),
                ssvc_inputs=item.get("ssvc_inputs") or {},
                ssvc_decision=item.get("ssvc_decision"),
                ssvc_recorded=_recorded_decisions(item.get("ssvc_recorded")),
                ai_factors=item.get("ai_factors") or {},
                sector=item.get("sector"),
                tier=str(item["tier"]),
                sla_hours=item.get("sla_hours"),
                explanation=str(item.get("explanation") or ""),
                rationale=str(item.get("rationale") or ""),
                analyst_id=None,
                partner_id=self.partner.id,
                partner_fingerprint=fpr,
                created_at=created,
            )
            self.s.add(row)
            self.s.flush()
            audit.record(
                self.s,
                self.actor,
                "assessment.import",
                "assessment",
                row.id,
                case_key=case.key,
                details={"partner": self.partner.id, "fingerprint": fpr, "tier": row.tier},
            )
            self.assessments += 1

    def parties_of(self, case: Case, doc: dict[str, Any]) -> None:
        """The partner's parties and their statuses, kept as theirs beside ours."""
        added = parties_exchange.merge(
            self.s, self.actor, case, doc.get(parties_exchange.FORMAT_KEY),
            self.partner, self.v.signer_fingerprint,
        )  # fmt: skip
        if added:
            self.notes.append(
                _("{key}: {n} party statuses from {partner}").format(
                    key=case.key, n=added, partner=self.partner.name
                )
            )

    def steps_of(self, case: Case, doc: dict[str, Any]) -> None:
        """Completions of steps the partner did, through the playbooks' joint-run contract;
        the partner's runs that give us steps are mirrored onto our copy of the case."""
        mirrored, notes = joint.mirror_partner_steps(
            self.s, self.actor, case, doc, self.v.signer_fingerprint, self.own
        )
        self.steps += mirrored
        self.notes.extend(notes)
        candidates: list[dict[str, Any]] = []
        for step in doc.get("playbook_steps") or []:
            if isinstance(step, dict) and step.get("state") in ("done", "skipped"):
                candidates.append(step)
        for run in doc.get("playbook_runs") or []:
            for step in run.get("steps") or []:
                if step.get("state") in ("done", "skipped"):
                    candidates.append(
                        {**step, "playbook": run.get("playbook_id"), "version": run.get("version")}
                    )
        for step in candidates:
            if not joint.has_own_run(
                self.s, case.id, step.get("playbook")
            ) and joint.has_mirrored_run(self.s, case.id, step.get("playbook")):
                continue  # the partner's own run, mirrored above
            before = joint_state(self.s, case, step)
            try:
                with self.s.begin_nested():
                    joint.apply_partner_completion(
                        self.s, self.actor, case.key, step, self.v.signer_fingerprint
                    )
            except AccordError as exc:
                audit.forget_tail(self.s)
                self.notes.append(
                    _("{key}: step {step} not applied: {reason}").format(
                        key=case.key, step=step.get("step_id"), reason=exc
                    )
                )
                continue
            if before != joint_state(self.s, case, step):
                self.steps += 1

    def advisory(self, case: Case, draft: dict[str, Any]) -> None:
        adv = self.s.scalar(select(Advisory).where(Advisory.case_id == case.id))
        if adv is not None and adv.partner_id != self.partner.id:
            self.notes.append(
                _("{key}: our own advisory is kept; the partner's draft was not merged").format(
                    key=case.key
                )
            )
            return
        if adv is None:
            adv = Advisory(
                case_id=case.id,
                partner_id=self.partner.id,
                status="draft",
                source_language=str(draft.get("source_language") or "en"),
                tlp=str(draft.get("tlp") or "CLEAR"),
            )
            self.s.add(adv)
            self.s.flush()
        cells = {(t.field, t.language): t for t in adv.texts}
        for t in draft.get("texts") or []:
            key = (str(t.get("field")), str(t.get("language")))
            cell = cells.get(key)
            if cell is None:
                adv.texts.append(
                    AdvisoryText(
                        field=key[0][:40],
                        language=key[1][:16],
                        text=str(t.get("text") or ""),
                        source_hash=t.get("source_hash"),
                    )
                )
            else:
                cell.text = str(t.get("text") or "")
                cell.source_hash = t.get("source_hash")
        self.s.flush()
        audit.record(
            self.s,
            self.actor,
            "advisory.import",
            "advisory",
            adv.id,
            case_key=case.key,
            details={"partner": self.partner.id, "cells": len(draft.get("texts") or [])},
        )
        self.advisories += 1


def joint_state(session: Session, case: Case, step: dict[str, Any]) -> tuple[object, ...]:
    from models import PlaybookRun, PlaybookStep

    row = session.scalar(
        select(PlaybookStep)
        .join(PlaybookRun, PlaybookRun.id == PlaybookStep.run_id)
        .where(
            PlaybookRun.case_id == case.id,
            PlaybookRun.playbook_id == step.get("playbook"),
            PlaybookRun.origin_fingerprint.is_(None),
            PlaybookStep.step_id == step.get("step_id"),
        )
    )
    return (row.state, row.partner_fingerprint) if row is not None else ()


def _quarantine(
    session: Session, actor: Actor, name: str, data: bytes, report: BundleReport
) -> tuple[int, int]:
    """Keep a refused bundle (in part, within the caps); its id and the bytes kept."""
    used = session.scalar(
        select(func.coalesce(func.sum(func.length(QuarantineItem.content)), 0)).where(
            QuarantineItem.kind == "bundle"
        )
    )
    room = max(0, QUARANTINE_TOTAL_MAX_BYTES - int(used or 0))
    kept = data[: min(QUARANTINE_ITEM_MAX_BYTES, room)]
    item = QuarantineItem(
        kind="bundle",
        path=name[:1000],
        reason=report.reason or "",
        content=kept,
        size=len(data),
        sha256=report.sha256,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        "bundle.refused",
        "quarantine_item",
        item.id,
        details={
            "check": report.failed_check,
            "reason": report.reason,
            "sha256": report.sha256,
            "size": len(data),
            "kept_bytes": len(kept),
        },
    )
    return item.id, len(kept)


def _hold(session: Session, actor: Actor, v: Verified, data: bytes, digest: str) -> int:
    """Keep a genuine bundle that came before an earlier one, to apply it in order later."""
    partner = session.get(Partner, v.partner_id)
    assert partner is not None and v.waiting_for is not None
    held = session.scalar(
        select(func.count())
        .select_from(Bundle)
        .where(Bundle.partner_id == partner.id, Bundle.direction == "in", Bundle.state == "held")
    )
    if int(held or 0) >= MAX_HELD_PER_PARTNER:
        raise Refused(
            "replay",
            _(
                "{name} already has {n} bundles held for missing sequence numbers; "
                "accept or discard those first"
            ).format(name=partner.name, n=held),
        )
    m = v.manifest
    row = Bundle(
        bundle_uuid=str(m["bundle_id"]),
        direction="in",
        partner_id=partner.id,
        sequence=v.sequence,
        tlp=str(m["tlp"]),
        state="held",
        reason=_("held: waiting for sequence {n}").format(n=v.waiting_for),
        manifest=m,
        sha256=digest,
        content=data,
        analyst_id=actor.id or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "bundle.held",
        "bundle",
        m["bundle_id"],
        details={
            "partner": partner.id,
            "sequence": v.sequence,
            "waiting_for": v.waiting_for,
            "sha256": digest,
        },
    )
    return row.id


def import_bundle(
    session: Session,
    actor: Actor,
    data: bytes,
    name: str = "bundle",
    *,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Verify, then merge; a refused bundle goes to quarantine and nothing of it is merged.

    A genuine bundle that arrives before an earlier one of the same partner is held; once
    the gap is filled, the held bundles that follow are applied in order.
    """
    actor.require(Permission.EXPORT)
    result = import_one(session, actor, data, name, limits=limits, progress=progress)
    if not result.imported:
        return result
    return replace(result, applied_held=apply_held(session, actor, limits=limits))


def apply_held(session: Session, actor: Actor, *, limits: Limits | None = None) -> tuple[str, ...]:
    """Apply every held bundle whose turn has come (its sequence follows the last accepted)."""
    applied: list[str] = []
    while True:
        row = session.scalar(
            select(Bundle)
            .join(Partner, Partner.id == Bundle.partner_id)
            .where(
                Bundle.direction == "in",
                Bundle.state == "held",
                Bundle.sequence == Partner.last_sequence_in + 1,
            )
            .order_by(Bundle.id)
            .limit(1)
        )
        if row is None:
            return tuple(applied)
        result = import_one(
            session, actor, row.content or b"", f"held bundle {row.id}", limits=limits, held=row
        )
        if result.imported:
            applied.append(row.bundle_uuid)


def import_one(
    session: Session,
    actor: Actor,
    data: bytes,
    name: str,
    *,
    limits: Limits | None = None,
    progress: Callable[[int, int], None] | None = None,
    held: Bundle | None = None,
    accept_gap: bool = False,
) -> ImportResult:
    """One bundle: verify, then hold, merge, or refuse into quarantine. ``held`` is a held
    bundle's row being applied now (it is updated in place, or removed if it now fails)."""
    verifier = _Verifier(
        session,
        limits or Limits(),
        held_id=held.id if held is not None else None,
        accept_gap=accept_gap,
    )
    digest = hashlib.sha256(data).hexdigest()
    if progress is not None:
        progress(0, 2)
    try:
        v = verifier.run(data)
        report = report_for(session, v, digest)
        if v.waiting_for is not None:
            held_id = _hold(session, actor, v, data, digest)
            if progress is not None:
                progress(2, 2)
            return ImportResult(report, False, held_id=held_id, report_size=len(data))
        with session.begin_nested():
            merge = _Merge(session, actor, v)
            try:
                merge.run()
            except Refused:
                raise
            except (AccordError, KeyError, TypeError, ValueError, AttributeError) as exc:
                # Signed by a verified partner, yet not what an Accord case file holds.
                raise Refused(
                    "payload", _("the bundle's payload is malformed: {error}").format(error=exc)
                ) from None
    except Refused as exc:
        audit.forget_tail(session)
        refused = BundleReport(
            False, exc.reason, exc.check, (*verifier.checks, _failed(exc)), sha256=digest
        )
        if held is not None:
            session.delete(held)  # no longer held: what is left of it goes to quarantine
            session.flush()
        qid, kept = _quarantine(session, actor, name, data, refused)
        return ImportResult(refused, False, qid, kept_bytes=kept, report_size=len(data))
    partner = merge.partner
    partner.last_sequence_in = max(partner.last_sequence_in, v.sequence)
    m = v.manifest
    row = held or Bundle(bundle_uuid=str(m["bundle_id"]), direction="in")
    row.partner_id = partner.id
    row.sequence = v.sequence
    row.tlp = str(m["tlp"])
    row.state = "done"
    row.reason = None
    row.manifest = m
    row.sha256 = digest
    row.content = None  # applied: the merged records are what we keep
    row.analyst_id = actor.id or None
    if held is None:
        session.add(row)
    cp = v.checkpoint
    if cp is not None:
        # Kept per partner: a later bundle of theirs is held against it (app/exchange/verify.py).
        session.add(
            PartnerCheckpoint(
                partner_id=partner.id,
                bundle_uuid=str(m["bundle_id"]),
                events=cp["events"],
                head_hash=cp["head"],
                at=_time(cp["at"]) or utcnow(),
                signer=v.signer_fingerprint,
                statement=cp["statement"],
                signature=cp["signature"],
            )
        )
    audit.record(
        session,
        actor,
        "bundle.import",
        "bundle",
        m["bundle_id"],
        details={
            "partner": partner.id,
            "fingerprint": v.signer_fingerprint,
            "tlp": m["tlp"],
            "sequence": v.sequence,
            "sha256": digest,
            "cases": [c.case for c in merge.cases],
            "assessments": merge.assessments,
            "playbook_steps": merge.steps,
            "advisories": merge.advisories,
            "held": held is not None,
            "checkpoint": {"events": cp["events"], "head": cp["head"]} if cp else None,
        },
    )
    if progress is not None:
        progress(2, 2)
    return ImportResult(
        report,
        True,
        None,
        tuple(merge.cases),
        merge.assessments,
        merge.steps,
        merge.advisories,
        merge.attachments,
        tuple(merge.notes),
        report_size=len(data),
    )


def _failed(exc: Refused) -> Any:
    from app.exchange.verify import Check

    return Check(exc.check, False, exc.reason)
