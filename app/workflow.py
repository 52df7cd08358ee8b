"""The case workflow: which transitions are allowed. Every transition carries a reason."""

from __future__ import annotations

from models import CaseStatus as S

ALLOWED: dict[S, tuple[S, ...]] = {
    S.NEW: (S.TRIAGE, S.NEEDS_INFO, S.DUPLICATE, S.REJECTED),
    S.TRIAGE: (S.ACCEPTED, S.NEEDS_INFO, S.DUPLICATE, S.REJECTED),
    S.ACCEPTED: (S.COORDINATING, S.DUPLICATE, S.REJECTED),
    S.COORDINATING: (S.REMEDIATION, S.NEEDS_INFO, S.DUPLICATE),
    S.REMEDIATION: (S.DISCLOSED, S.COORDINATING),
    S.DISCLOSED: (S.CLOSED,),
    S.CLOSED: (S.TRIAGE,),
    S.NEEDS_INFO: (S.TRIAGE, S.REJECTED),
    S.DUPLICATE: (S.TRIAGE, S.CLOSED),
    S.REJECTED: (S.TRIAGE, S.CLOSED),
}

OPEN_STATES = frozenset({S.NEW, S.TRIAGE, S.ACCEPTED, S.COORDINATING, S.REMEDIATION, S.NEEDS_INFO})


def allowed_from(state: S) -> tuple[S, ...]:
    return ALLOWED[state]


def is_allowed(src: S, dst: S) -> bool:
    return dst in ALLOWED[src]
