"""Case references unique across organisations.

Each organisation numbers its cases ``ACC-YYYY-NNNN``, so a key alone names different cases
at different partners. A case's reference is its originating organisation's key followed by
``@`` and the first 16 hex digits (64 bits) of that organisation's OpenPGP fingerprint:
``ACC-2026-0042@3F9A1C2B7E4D5A60``. The fingerprint, unlike a short name, is unique without
a registry and checkable against the partner's verified certificate; 64 bits make an
accidental clash between CERTs negligible. The reference is fixed when first given (at case
opening once the organisation has a key, or for every earlier case when the key is made)
and survives a key rollover; a case received from a partner keeps the sender's reference
beside our own local key."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Case, OrgKey

TAG_DIGITS = 16


def tag(fingerprint: str) -> str:
    """The organisation tag of a fingerprint."""
    return fingerprint.replace(" ", "").upper()[:TAG_DIGITS]


def make(key: str, fingerprint: str) -> str:
    return f"{key}@{tag(fingerprint)}"


def own_tag(session: Session) -> str | None:
    """Our organisation's tag, from its current key; None before it has one."""
    fpr = session.scalar(
        select(OrgKey.fingerprint).where(OrgKey.current).order_by(OrgKey.id.desc()).limit(1)
    )
    return tag(fpr) if fpr else None


def assign_missing(session: Session) -> int:
    """Give every case without a reference ours (after the organisation key is made); one
    statement, whatever the number of cases. Returns how many were given one."""
    t = own_tag(session)
    if t is None:
        return 0
    result = session.execute(
        update(Case)
        .where(Case.ref.is_(None))
        .values(ref=Case.key + "@" + t)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def received(key: str, fingerprint: str, session: Session) -> str | None:
    """The reference of a partner's case (their key, their tag), or None when another case
    here already holds it (a forged origin must not take a reference that exists)."""
    ref = make(key, fingerprint)
    taken = session.scalar(select(Case.id).where(Case.ref == ref))
    return None if taken is not None else ref
