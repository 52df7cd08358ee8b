"""Case notes: internal ones stay here, shared ones travel with the case in bundles.

A note's text lives only in the encrypted store; the audit log records its id and whether
it is shared, never its text."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.casework.editing import edit, record
from app.errors import UsageError
from app.identity.actor import Actor
from i18n import _
from models import Analyst, Case, Note, Partner

MAX_CHARS = 100_000


@dataclass(frozen=True)
class NoteInfo:
    id: int
    author: str | None
    shared: bool
    partner: str | None  # the partner whose bundle brought it, None for ours
    text: str
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "author": self.author,
            "shared": self.shared,
            "partner": self.partner,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }


def of_case(session: Session, case: Case) -> list[NoteInfo]:
    """The case's notes, oldest first (a timeline)."""
    rows = session.execute(
        select(Note, Analyst.name, Partner.name)
        .outerjoin(Analyst, Analyst.id == Note.author_id)
        .outerjoin(Partner, Partner.id == Note.partner_id)
        .where(Note.case_id == case.id)
        .order_by(Note.created_at, Note.id)
    ).all()
    return [
        NoteInfo(n.id, n.author_name or author, n.shared, partner, n.body, n.created_at)
        for n, author, partner in rows
    ]


def add(
    session: Session,
    actor: Actor,
    key: str,
    text: str,
    *,
    shared: bool = False,
    expected_version: int | None = None,
) -> NoteInfo:
    """Add a note to the case; ``shared`` ones go to partners with the case's bundles."""
    body = text.strip()
    if not body:
        raise UsageError(_("a note needs text"))
    if len(body) > MAX_CHARS:
        raise UsageError(_("a note is at most {n} characters").format(n=MAX_CHARS))
    with edit(session, key, expected_version) as case:
        note = Note(
            case_id=case.id,
            author_id=actor.id or None,
            body=body,
            shared=shared,
            uid=uuid.uuid4().hex,
        )
        session.add(note)
        session.flush()
        record(session, actor, case, "case.note.add", {"note": note.id, "shared": shared})
    return NoteInfo(note.id, actor.name, shared, None, body, note.created_at)


def for_bundle(session: Session, case: Case) -> list[dict[str, Any]]:
    """The shared notes of a case as they travel in a bundle (a partner's come back too, so
    a third party sees the whole shared timeline; ``uid`` keeps each one single)."""
    rows = session.execute(
        select(Note, Analyst.name)
        .outerjoin(Analyst, Analyst.id == Note.author_id)
        .where(Note.case_id == case.id, Note.shared.is_(True))
        .order_by(Note.created_at, Note.id)
    ).all()
    return [
        {
            "uid": n.uid,
            "author": n.author_name or author,
            "text": n.body,
            "created_at": n.created_at.isoformat(),
        }
        for n, author in rows
        if n.uid
    ]


def receive(
    session: Session,
    actor: Actor,
    case: Case,
    items: list[Any],
    partner: Partner,
    *,
    parse_time: Any,
) -> int:
    """Merge the shared notes a partner's bundle carries: each ``uid`` once, kept as theirs
    (author's name and partner), audited by id. Returns how many were new."""
    new = 0
    for item in items:
        if not isinstance(item, dict):
            continue
        uid = str(item.get("uid") or "")[:64]
        body = str(item.get("text") or "").strip()[:MAX_CHARS]
        if not uid or not body:
            continue
        if session.scalar(select(Note.id).where(Note.uid == uid)) is not None:
            continue
        at = parse_time(item.get("created_at"))
        note = Note(
            case_id=case.id,
            body=body,
            shared=True,
            uid=uid,
            partner_id=partner.id,
            author_name=str(item.get("author") or "")[:200] or None,
        )
        if at is not None:
            note.created_at = at
        session.add(note)
        session.flush()
        record(
            session, actor, case, "case.note.receive",
            {"note": note.id, "partner": partner.id, "shared": True},
        )  # fmt: skip
        new += 1
    return new
