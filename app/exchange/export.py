"""Bundle export: cases (and their assessments, playbook steps, advisory drafts, attachments)
for named, verified partners, signed, and encrypted when the TLP asks for it.

Everything is built in memory (``io.BytesIO``); the only file written is the one the
coordinator asked for, by the caller.
"""

from __future__ import annotations

import hashlib
import io
import stat
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.auditing import chain as audit
from app.casework import cases
from app.errors import AccordError, UsageError
from app.exchange import documents, keys, partners, pgp
from app.exchange.bundle_format import (
    CHECKPOINT,
    ENCRYPTED_TLP,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    parse_tlp,
    severity_model_ref,
)
from app.identity import checkpoints
from app.identity.actor import Actor, Permission
from app.queueing import queue
from i18n import _
from models import (
    Advisory,
    Attachment,
    Bundle,
    BundleCase,
    Case,
    Partner,
    Setting,
    utcnow,
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ExportFile:
    """One file that leaves in the bundle."""

    path: str
    size: int
    sha256: str
    kind: str  # case | advisory | signature | checksum | attachment | manifest | checkpoint

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "kind": self.kind}


@dataclass(frozen=True)
class ExcludedAttachment:
    attachment_id: int
    case: str
    filename: str
    reason: str


@dataclass(frozen=True)
class ExportPlan:
    """What an export will send: the preview shows exactly this."""

    bundle_id: str
    tlp: str
    encrypted: bool
    recipients: tuple[str, ...]
    cases: tuple[str, ...]
    files: tuple[ExportFile, ...]
    excluded: tuple[ExcludedAttachment, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "bundle_id": self.bundle_id,
            "tlp": self.tlp,
            "encrypted": self.encrypted,
            "recipients": list(self.recipients),
            "cases": list(self.cases),
            "files": [f.as_json() for f in self.files],
            "excluded": [
                {
                    "attachment": e.attachment_id,
                    "case": e.case,
                    "filename": e.filename,
                    "reason": e.reason,
                }
                for e in self.excluded
            ],
        }


@dataclass(frozen=True)
class ExportResult:
    plan: ExportPlan
    data: bytes
    sha256: str


@dataclass
class _Payload:
    files: dict[str, bytes] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    excluded: list[ExcludedAttachment] = field(default_factory=list)
    hazardous: list[tuple[int, str]] = field(default_factory=list)  # included: (id, case)

    def add(self, path: str, data: bytes, kind: str) -> None:
        self.files[path] = data
        self.kinds[path] = kind


def _recipients(session: Session, names: Sequence[str]) -> list[Partner]:
    wanted = [n.strip() for n in names if n.strip()]
    if not wanted:
        raise UsageError(_("name at least one recipient partner with --to"))
    out: list[Partner] = []
    for name in dict.fromkeys(wanted):
        partner = partners.get_partner(session, name)
        partners.usable_for_export(partner)
        out.append(partner)
    return out


def _payload(
    session: Session,
    case_rows: list[Case],
    recipients: list[Partner],
    tlp: str,
    include_hazardous: Sequence[tuple[int, str]],
    own_fpr: str,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
) -> _Payload:
    payload = _Payload()
    names = {p.name for p in recipients}
    allowed: dict[int, set[str]] = {}
    for att_id, partner_name in include_hazardous:
        allowed.setdefault(att_id, set()).add(partner_name)
    for att_id, who in allowed.items():
        att = session.get(Attachment, att_id)
        if att is None or att.case_id not in {c.id for c in case_rows}:
            raise UsageError(
                _("attachment {id} is not an attachment of the exported cases").format(id=att_id)
            )
        if not who <= names:
            raise UsageError(
                _("attachment {id} is included for {who}, who is not a recipient").format(
                    id=att_id, who=", ".join(sorted(who - names))
                )
            )
        if att.hazardous and who != names:
            raise UsageError(
                _(
                    "hazardous attachment {id} is named for {who} only, but this bundle also goes "
                    "to {others}; export a separate bundle"
                ).format(
                    id=att_id,
                    who=", ".join(sorted(who)),
                    others=", ".join(sorted(names - who)),
                )
            )
        if att.hazardous and tlp not in ENCRYPTED_TLP:
            # A policy refusal (exit 1), not a malformed request: hazardous content never
            # leaves unencrypted, whoever asks.
            raise AccordError(
                _(
                    "hazardous attachment {id} may only leave in an encrypted bundle "
                    "(TLP AMBER, AMBER+STRICT or RED), not TLP:{tlp}"
                ).format(id=att_id, tlp=tlp)
            )
    total = len(case_rows)
    for i, case in enumerate(case_rows):
        if cancel is not None and cancel():
            raise AccordError(_("export cancelled"))
        doc = documents.case_document(session, case, own_fpr)
        atts = session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        ).all()
        listed = []
        for att in atts:
            if att.hazardous and att.id not in allowed:
                payload.excluded.append(
                    ExcludedAttachment(
                        att.id,
                        case.key,
                        att.filename,
                        _("hazardous ({kind}): include it one by one for named recipients").format(
                            kind=att.hazard_kind or _("unspecified")
                        ),
                    )
                )
                continue
            if att.hazardous and tlp not in ENCRYPTED_TLP:  # checked above; never relaxed
                raise AccordError(
                    _("hazardous attachment {id} may only leave in an encrypted bundle").format(
                        id=att.id
                    )
                )
            if att.hazardous:
                payload.hazardous.append((att.id, case.key))
            path = f"attachments/{case.key}/{att.id}-{documents.safe_name(att.filename)}"
            payload.add(path, att.content, "attachment")
            listed.append(
                {
                    "path": path,
                    "filename": att.filename,
                    "media_type": att.media_type,
                    "sha256": att.sha256,
                    "size": att.size,
                    "hazardous": att.hazardous,
                    "hazard_kind": att.hazard_kind,
                    "hazard_reasons": list(att.hazard_reasons or []),
                }
            )
        doc["attachments"] = listed
        doc["playbook_steps"] = documents.partner_steps(session, case)
        advisory = session.scalar(select(Advisory).where(Advisory.case_id == case.id))
        if advisory is not None and advisory.partner_id is None:
            doc["advisory_draft"] = documents.advisory_document(advisory, doc["origin"])
            body, base = documents.advisory_file(session, case, doc["advisory_draft"])
            name = f"advisories/{base}"
            payload.add(name, body, "advisory")
            digest = hashlib.sha512(body).hexdigest()
            # CSAF 2.0 section 7.1.18/7.1.19: <file>.sha512 beside <file>, sha512sum format.
            payload.add(name + ".sha512", f"{digest}  {base}\n".encode(), "checksum")
        payload.add(f"cases/{case.key}.json", documents.json_bytes(doc), "case")
        if progress is not None:
            progress(i + 1, total)
    return payload


def _plan(
    bundle_id: str,
    tlp: str,
    recipients: list[Partner],
    case_rows: list[Case],
    payload: _Payload,
) -> ExportPlan:
    files = [
        ExportFile(p, len(b), hashlib.sha256(b).hexdigest(), payload.kinds[p])
        for p, b in sorted(payload.files.items())
    ]
    return ExportPlan(
        bundle_id=bundle_id,
        tlp=tlp,
        encrypted=tlp in ENCRYPTED_TLP,
        recipients=tuple(p.name for p in recipients),
        cases=tuple(c.key for c in case_rows),
        files=tuple(files),
        excluded=tuple(payload.excluded),
    )


def _prepare(
    session: Session,
    actor: Actor,
    to: Sequence[str],
    case_keys: Sequence[str],
    tlp: str,
    include_hazardous: Sequence[tuple[int, str]],
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
    override: str | None = None,
) -> tuple[str, list[Partner], list[Case], _Payload]:
    actor.require(Permission.EXPORT)
    level = parse_tlp(tlp)
    recipients = _recipients(session, to)
    if not [k for k in case_keys if k.strip()]:
        raise UsageError(_("name at least one case with --case"))
    case_rows = [cases.get_case(session, k) for k in dict.fromkeys(case_keys) if k.strip()]
    trust.check(actor, trust.export_violations(session, case_rows, recipients, level), override)
    own = keys.current_key(session)
    payload = _payload(
        session, case_rows, recipients, level, include_hazardous, own.fingerprint, progress, cancel
    )
    return level, recipients, case_rows, payload


def preview_bundle(
    session: Session,
    actor: Actor,
    to: Sequence[str],
    case_keys: Sequence[str],
    tlp: str,
    include_hazardous: Sequence[tuple[int, str]] = (),
    *,
    override: str | None = None,
) -> ExportPlan:
    """Every file that would leave (signatures and the manifest included), changing nothing."""
    level, recipients, case_rows, payload = _prepare(
        session, actor, to, case_keys, tlp, include_hazardous, None, None, override
    )
    plan = _plan("(preview)", level, recipients, case_rows, payload)
    extra = [
        ExportFile(p + ".asc", 0, "", "signature")
        for p, k in payload.kinds.items()
        if k == "advisory"
    ]
    extra += [
        ExportFile(MANIFEST, 0, "", "manifest"),
        ExportFile(SIGNATURE, 0, "", "signature"),
        ExportFile(CHECKPOINT, 0, "", "checkpoint"),
    ]
    return ExportPlan(
        plan.bundle_id,
        plan.tlp,
        plan.encrypted,
        plan.recipients,
        plan.cases,
        tuple(sorted(plan.files + tuple(extra), key=lambda f: f.path)),
        plan.excluded,
    )


def export_bundle(
    session: Session,
    actor: Actor,
    to: Sequence[str],
    case_keys: Sequence[str],
    tlp: str,
    include_hazardous: Sequence[tuple[int, str]] = (),
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    override: str | None = None,
) -> ExportResult:
    """Build, sign and (for AMBER, AMBER+STRICT, RED) encrypt a bundle; audit what left.
    The trust rules (app/trust.py) refuse it unless a coordinator's ``override`` may apply."""
    level, recipients, case_rows, payload = _prepare(
        session, actor, to, case_keys, tlp, include_hazardous, progress, cancel, override
    )
    own = keys.current_key(session)
    for path, kind in list(payload.kinds.items()):
        if kind == "advisory":
            sig = pgp.sign_detached(own.secret_key, own.key_passphrase, payload.files[path])
            payload.add(path + ".asc", sig, "signature")
    bundle_id = str(uuid.uuid4())
    trust.enforce(
        session, actor, trust.export_violations(session, case_rows, recipients, level), override,
        action="bundle.export", entity="bundle", entity_id=bundle_id,
    )  # fmt: skip
    # Our audit chain's head, signed, leaves with every bundle: a recipient that kept an
    # earlier one tells when a later bundle comes from an audit log that was cut short.
    checkpoint = checkpoints.make(session, actor, "bundle-export")
    payload.add(
        CHECKPOINT,
        documents.json_bytes(
            {
                "statement": checkpoint.statement,
                "signature": checkpoint.signature,
                "signer": checkpoint.signer,
            }
        ),
        "checkpoint",
    )
    created = utcnow()
    rcpt = []
    for partner in recipients:
        key = partners.usable_for_export(partner)
        partner.last_sequence_out += 1
        rcpt.append(
            {
                "name": partner.name,
                "fingerprint": key.fingerprint,
                "sequence": partner.last_sequence_out,
            }
        )
    org = session.get(Setting, "org.name")
    plan = _plan(bundle_id, level, recipients, case_rows, payload)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bundle_id": bundle_id,
        "created": created.isoformat(),
        "sender": {"name": str(org.value) if org else "", "fingerprint": own.fingerprint},
        "recipients": rcpt,
        "tlp": level,
        "encrypted": plan.encrypted,
        "severity_model": severity_model_ref(),
        "cases": [c.key for c in case_rows],
        # Each case's embargo travels with the bundle (and in its case file).
        "embargo": {
            c.key: c.embargo_until.isoformat() for c in case_rows if c.embargo_until is not None
        },
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in plan.files],
    }
    manifest_bytes = documents.json_bytes(manifest)
    signature = pgp.sign_detached(own.secret_key, own.key_passphrase, manifest_bytes)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [
            (MANIFEST, manifest_bytes),
            (SIGNATURE, signature),
            *sorted(payload.files.items()),
        ]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    if plan.encrypted:
        data = pgp.encrypt(data, [partners.usable_for_export(p).certificate for p in recipients])
    digest = hashlib.sha256(data).hexdigest()
    all_files = (
        *plan.files,
        ExportFile(
            MANIFEST, len(manifest_bytes), hashlib.sha256(manifest_bytes).hexdigest(), "manifest"
        ),
        ExportFile(SIGNATURE, len(signature), hashlib.sha256(signature).hexdigest(), "signature"),
    )
    plan = ExportPlan(
        bundle_id,
        level,
        plan.encrypted,
        plan.recipients,
        plan.cases,
        tuple(sorted(all_files, key=lambda f: f.path)),
        plan.excluded,
    )
    row = Bundle(
        bundle_uuid=bundle_id,
        direction="out",
        partner_id=recipients[0].id if len(recipients) == 1 else None,
        sequence=rcpt[0]["sequence"] if len(rcpt) == 1 else None,
        tlp=level,
        state="done",
        manifest=manifest,
        sha256=digest,
        analyst_id=actor.id or None,
    )
    session.add(row)
    session.flush()
    # Who received which case: the importer lets only these partners send updates back.
    session.add_all(
        BundleCase(bundle_id=row.id, partner_id=p.id, case_id=c.id)
        for p in recipients
        for c in case_rows
    )
    audit.record(
        session,
        actor,
        "bundle.export",
        "bundle",
        bundle_id,
        details={
            "tlp": level,
            "encrypted": plan.encrypted,
            "sha256": digest,
            "recipients": [r["fingerprint"] for r in rcpt],
            "cases": [c.key for c in case_rows],
            "files": [{"path": f.path, "sha256": f.sha256} for f in plan.files],
            "excluded_attachments": [e.attachment_id for e in plan.excluded],
            "hazardous_included": [i for i, _k in payload.hazardous],
            "checkpoint": {"events": checkpoint.seq, "head": checkpoint.head_hash},
        },
    )
    for att_id, case_key in payload.hazardous:
        # Each hazardous attachment that leaves is its own audit event: who let it out, to whom.
        audit.record(
            session,
            actor,
            "attachment.hazardous_export",
            "attachment",
            att_id,
            case_key=case_key,
            details={"bundle": bundle_id, "tlp": level, "recipients": list(plan.recipients)},
        )
    for case in case_rows:
        audit.record(
            session,
            actor,
            "case.exported",
            "case",
            case.id,
            case_key=case.key,
            details={"bundle": bundle_id, "tlp": level},
        )
    return ExportResult(plan=plan, data=data, sha256=digest)


@dataclass(frozen=True)
class CaseChoice:
    key: str
    title: str
    status: str


@dataclass(frozen=True)
class AttachmentChoice:
    id: int
    case: str
    filename: str
    size: int
    hazardous: bool
    hazard_kind: str | None


def case_choices(session: Session, limit: int = 1000) -> list[CaseChoice]:
    """Cases the export wizard offers, newest first."""
    rows = session.execute(
        select(Case.key, Case.title, Case.status).order_by(Case.id.desc()).limit(limit)
    ).all()
    return [CaseChoice(k, t, s.value) for k, t, s in rows]


def case_ids(session: Session, text: str = "") -> list[int]:
    """Every case the wizard can offer, newest first, narrowed by the queue's SQL search
    (words, identifiers, key prefixes): one statement, no cap, the rows come in pages."""
    return queue.ids(session, queue.QueueQuery(text=text, sort="id", descending=True))


def case_rows(session: Session, ids: Sequence[int]) -> dict[int, CaseChoice]:
    """The wizard's rows for one page of ids, in one ``WHERE id IN (...)`` query."""
    rows = session.execute(
        select(Case.id, Case.key, Case.title, Case.status).where(Case.id.in_(list(ids)))
    ).all()
    return {i: CaseChoice(k, t, s.value) for i, k, t, s in rows}


def attachment_choices(session: Session, case_keys: Sequence[str]) -> list[AttachmentChoice]:
    """The attachments of the chosen cases; hazardous ones need inclusion one by one."""
    rows = session.execute(
        select(
            Attachment.id,
            Case.key,
            Attachment.filename,
            Attachment.size,
            Attachment.hazardous,
            Attachment.hazard_kind,
        )
        .join(Case, Case.id == Attachment.case_id)
        .where(Case.key.in_(list(case_keys)))
        .order_by(Case.key, Attachment.id)
    ).all()
    return [AttachmentChoice(*r) for r in rows]
