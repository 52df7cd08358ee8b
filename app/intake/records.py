"""Read and tidy what intake left: the quarantine and a report with its raw original."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import AccordError, NotFound, VerificationError
from app.identity.actor import Actor, Permission
from app.intake import hazard
from app.workspaces import files
from i18n import _
from models import (
    Attachment,
    Case,
    Identifier,
    QuarantineItem,
    Report,
    ReportRevision,
    StoredRawError,
)


@dataclass(frozen=True)
class QuarantineInfo:
    id: int
    path: str
    reason: str
    size: int
    sha256: str
    created_at: datetime
    kind: str = "document"  # document (intake) | bundle (exchange)
    kept: int = 0  # bytes of the original kept (bundles may be kept in part)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "reason": self.reason,
            "size": self.size,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
            "kind": self.kind,
            "kept_bytes": self.kept,
        }


def _q(item: QuarantineItem) -> QuarantineInfo:
    return QuarantineInfo(
        item.id,
        item.path,
        item.reason,
        item.size,
        item.sha256,
        item.created_at,
        item.kind,
        len(item.content or b""),
    )


def list_quarantine(s: Session, limit: int = 1000) -> list[QuarantineInfo]:
    """Every refused item, documents and bundles alike (one table, one list)."""
    rows = s.scalars(select(QuarantineItem).order_by(QuarantineItem.id).limit(limit))
    return [_q(r) for r in rows]


def quarantine_item(s: Session, item_id: int) -> tuple[QuarantineInfo, bytes]:
    item = s.get(QuarantineItem, item_id)
    if item is None:
        raise NotFound(_("no quarantined item {id}").format(id=item_id))
    return _q(item), item.content


def discard(s: Session, actor: Actor, item_id: int) -> QuarantineInfo:
    """Delete a quarantined document for good (audited by id); coordinators only."""
    actor.require(Permission.DISCARD_QUARANTINE)
    info, _content = quarantine_item(s, item_id)
    item = s.get(QuarantineItem, item_id)
    s.delete(item)
    audit.record(s, actor, "intake.quarantine.discard", "quarantine_item", item_id)
    return info


@dataclass(frozen=True)
class ReportDetail:
    id: int
    case_key: str | None
    title: str
    description: str
    source: str
    format: str
    document_id: str | None
    revision: str | None
    filename: str | None
    media_type: str | None
    raw_sha256: str
    warnings: tuple[str, ...]
    identifiers: tuple[str, ...]
    revisions: tuple[str, ...]
    received_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case_key,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "format": self.format,
            "document_id": self.document_id,
            "revision": self.revision,
            "filename": self.filename,
            "media_type": self.media_type,
            "raw_sha256": self.raw_sha256,
            "warnings": list(self.warnings),
            "identifiers": list(self.identifiers),
            "earlier_revisions": list(self.revisions),
            "received_at": self.received_at.isoformat(),
        }


def report_detail(s: Session, report_id: int) -> tuple[ReportDetail, bytes]:
    """A report's facts and its raw original bytes (to be shown as plain text only)."""
    r = s.get(Report, report_id)
    if r is None:
        raise NotFound(_("no report {id}").format(id=report_id))
    case = s.get(Case, r.case_id) if r.case_id is not None else None
    idents = s.scalars(
        select(Identifier).where(Identifier.report_id == r.id).order_by(Identifier.id)
    )
    revs = s.scalars(
        select(ReportRevision.revision)
        .where(ReportRevision.report_id == r.id)
        .order_by(ReportRevision.id)
    )
    detail = ReportDetail(
        id=r.id,
        case_key=case.key if case else None,
        title=r.title,
        description=r.description,
        source=r.source,
        format=r.format,
        document_id=r.document_id,
        revision=r.revision,
        filename=r.filename,
        media_type=r.media_type,
        raw_sha256=r.raw_sha256,
        warnings=tuple(str(w) for w in r.warnings),
        identifiers=tuple(f"{i.scheme}:{i.value}" for i in idents),
        # An earlier copy without a revision number of its own is still listed, unnamed.
        revisions=tuple(x if x is not None else _("(no revision number)") for x in revs),
        received_at=r.received_at,
    )
    try:
        raw = r.raw
    except StoredRawError:
        raise VerificationError(
            _("the stored original of report {id} is damaged and cannot be shown").format(id=r.id)
        ) from None
    return detail, raw


@dataclass(frozen=True)
class ReportRow:
    id: int
    format: str
    source: str
    title: str


def case_reports(s: Session, case_id: int) -> list[ReportRow]:
    """The reports of a case, oldest first (ids and display fields only)."""
    rows = s.execute(
        select(Report.id, Report.format, Report.source, Report.title)
        .where(Report.case_id == case_id)
        .order_by(Report.id)
    ).all()
    return [ReportRow(*row) for row in rows]


def raw_text(raw: bytes) -> str:
    """The raw original as text for display: invalid bytes shown as replacement marks."""
    return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment's facts without its bytes; hazardous ones carry the reasons why."""

    id: int
    report_id: int | None
    filename: str
    media_type: str
    size: int
    sha256: str
    hazardous: bool
    hazard_kind: str | None
    hazard_reasons: tuple[str, ...]

    def reason_labels(self) -> list[str]:
        """The reasons in the current language (a partner's hazard kind when none are known)."""
        if self.hazard_reasons:
            return [hazard.describe(r) for r in self.hazard_reasons]
        return [hazard.describe(self.hazard_kind)] if self.hazard_kind else []

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "report": self.report_id,
            "filename": self.filename,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "hazardous": self.hazardous,
            "hazard_kind": self.hazard_kind,
            "hazard_reasons": list(self.hazard_reasons),
        }


_ATTACHMENT_COLUMNS = (
    Attachment.id,
    Attachment.report_id,
    Attachment.filename,
    Attachment.media_type,
    Attachment.size,
    Attachment.sha256,
    Attachment.hazardous,
    Attachment.hazard_kind,
    Attachment.hazard_reasons,
)


def _attachment_info(row: Any) -> AttachmentInfo:
    a_id, report_id, filename, media_type, size, sha256, hazardous, kind, reasons = row
    return AttachmentInfo(
        a_id,
        report_id,
        filename,
        media_type,
        size,
        sha256,
        hazardous,
        kind,
        tuple(str(r) for r in reasons or ()),
    )


def attachments(
    s: Session, *, case_id: int | None = None, report_id: int | None = None
) -> list[AttachmentInfo]:
    """The attachments of a case or of a report, oldest first (no content loaded)."""
    query = select(*_ATTACHMENT_COLUMNS).order_by(Attachment.id)
    if case_id is not None:
        query = query.where(Attachment.case_id == case_id)
    if report_id is not None:
        query = query.where(Attachment.report_id == report_id)
    return [_attachment_info(row) for row in s.execute(query)]


class HazardNotAccepted(AccordError):
    """A hazardous attachment was asked for without saying its hazard is accepted."""


def attachment_content(
    s: Session, attachment_id: int, *, accept_hazard: bool = False
) -> tuple[AttachmentInfo, bytes]:
    """An attachment and its bytes, to save outside the workspace. A hazardous one is given
    only with ``accept_hazard`` (the caller asked the analyst and they confirmed)."""
    row = s.execute(
        select(*_ATTACHMENT_COLUMNS, Attachment.content).where(Attachment.id == attachment_id)
    ).one_or_none()
    if row is None:
        raise NotFound(_("no attachment {id}").format(id=attachment_id))
    *facts, content = row
    info = _attachment_info(facts)
    if info.hazardous and not accept_hazard:
        raise HazardNotAccepted(
            _("attachment {id} is hazardous ({reasons}); confirm to save it").format(
                id=info.id, reasons="; ".join(info.reason_labels())
            )
        )
    return info, content


def save_attachment(
    s: Session, actor: Actor, attachment_id: int, out: Path, *, accept_hazard: bool = False
) -> AttachmentInfo:
    """Write an attachment to ``out`` (private, 0600), audited by id with whether its hazard
    was accepted; a hazardous one only with ``accept_hazard``."""
    info, content = attachment_content(s, attachment_id, accept_hazard=accept_hazard)
    # Through a temporary name: an existing file (or a link planted at ``out``) is replaced,
    # never written through, and the result is 0600 whatever the old file's mode was.
    files.write_private_atomic(out, content)
    audit.record(
        s,
        actor,
        "attachment.save",
        "attachment",
        info.id,
        details={"hazardous": info.hazardous, "hazard_reasons": list(info.hazard_reasons)},
    )
    return info
