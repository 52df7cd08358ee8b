"""A case's parties: add them, record their status and contacts, read them back.

Modelled on CERT/CC VINCE (vince/models.py: a ``VulnerableVendor`` per case with its contact
and ``contact_date``, ``VendorStatus`` rows with a statement), widened to every kind of party
a coordinator deals with. Every change is audited (ids and states, never names or text) and
made against the version it read (app/concurrency.py).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.cases import get_case
from app.concurrency import check_seen, guarded
from app.errors import NotFound, UsageError
from app.identity.actor import Actor
from app.intake import hazard
from i18n import N_, _
from models import (
    Attachment,
    Case,
    CaseParty,
    Partner,
    PartyContact,
    PartyStatus,
    Reporter,
    utcnow,
)

KINDS = ("vendor", "reporter", "cert", "stakeholder")
STATUSES = (
    "notified",
    "acknowledged",
    "under-investigation",
    "affected",
    "not-affected",
    "fixed",
)
STATUS_LABELS = {
    "notified": N_("notified"),
    "acknowledged": N_("acknowledged"),
    "under-investigation": N_("under investigation"),
    "affected": N_("affected"),
    "not-affected": N_("not affected"),
    "fixed": N_("fixed"),
}
KIND_LABELS = {
    "vendor": N_("vendor"),
    "reporter": N_("reporter"),
    "cert": N_("partner CERT"),
    "stakeholder": N_("stakeholder"),
}
DIRECTIONS = ("sent", "received")
# A party's answer about its products: what CSAF product statuses are made from.
DETERMINATIONS = frozenset({"under-investigation", "affected", "not-affected", "fixed"})
# The response deadline is met by a determination that is not "still looking".
RESPONSES = DETERMINATIONS - {"under-investigation"}

# Deadlines from the first "notified" status. Acknowledgement: VINCE reminds the coordinator of
# every vendor that has not looked at the case 7 days after its contact date (vince/lib.py,
# the "reminder_vendor_views" reminders). Response: CERT/CC's 45-day disclosure policy, which
# VINCE sets as a new case's due date (vince/forms.py: ``date.today() + timedelta(days=45)``).
ACKNOWLEDGEMENT_DAYS = 7
RESPONSE_DAYS = 45
# A file logged with a contact is kept inside the encrypted store; past this, it is refused.
MAX_ATTACHMENT_BYTES = 32 * 2**20


@dataclass(frozen=True)
class StatusInfo:
    """One entry of a party's status timeline; ``origin`` is "local" or a partner fingerprint."""

    id: int
    status: str
    statement: str
    at: datetime
    by: str
    origin: str
    fixed_version: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "statement": self.statement,
            "fixed_version": self.fixed_version,
            "at": self.at.isoformat(),
            "by": self.by,
            "provenance": self.origin,
        }


@dataclass(frozen=True)
class ContactInfo:
    id: int
    direction: str
    at: datetime
    channel: str
    by: str
    summary: str
    attachment_ids: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction,
            "at": self.at.isoformat(),
            "channel": self.channel,
            "by": self.by,
            "summary": self.summary,
            "attachments": list(self.attachment_ids),
        }


@dataclass(frozen=True)
class PartyInfo:
    """A party as screens and the CLI show it; ``status`` is our latest, or (when we have
    none) the latest a partner sent, with ``status_provenance`` saying whose it is."""

    id: int
    case: str
    kind: str
    name: str
    partner: str | None
    reporter_id: int | None
    contacts: tuple[str, ...]
    channel: str | None
    credit: str | None
    pseudonymous: bool
    safe_harbour_at: datetime | None
    notified_at: datetime | None
    acknowledgement_due: datetime | None
    response_due: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    origin: str
    timeline: tuple[StatusInfo, ...]
    log: tuple[ContactInfo, ...]
    version: int

    @property
    def latest(self) -> StatusInfo | None:
        own = [s for s in self.timeline if s.origin == "local"]
        chosen = own or list(self.timeline)
        return chosen[-1] if chosen else None

    @property
    def status(self) -> str | None:
        latest = self.latest
        return latest.status if latest else None

    def overdue(self, now: datetime | None = None) -> tuple[str, ...]:
        """Which of the party's deadlines have passed unmet: "acknowledgement", "response"."""
        now = now or utcnow()
        late = []
        if self.acknowledgement_due and not self.acknowledged_at and now > self.acknowledgement_due:
            late.append("acknowledgement")
        if self.response_due and not self.responded_at and now > self.response_due:
            late.append("response")
        return tuple(late)

    def as_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "id": self.id,
            "case": self.case,
            "kind": self.kind,
            "name": self.name,
            "partner": self.partner,
            "reporter_id": self.reporter_id,
            "contacts": list(self.contacts),
            "channel": self.channel,
            "credit": self.credit,
            "pseudonymous": self.pseudonymous,
            "safe_harbour_at": _iso(self.safe_harbour_at),
            "status": latest.status if latest else None,
            "statement": latest.statement if latest else None,
            "status_at": _iso(latest.at) if latest else None,
            "status_provenance": latest.origin if latest else None,
            "notified_at": _iso(self.notified_at),
            "acknowledgement_due": _iso(self.acknowledgement_due),
            "response_due": _iso(self.response_due),
            "acknowledged_at": _iso(self.acknowledged_at),
            "responded_at": _iso(self.responded_at),
            "overdue": list(self.overdue()),
            "provenance": self.origin,
            "timeline": [s.as_json() for s in self.timeline],
            "log": [c.as_json() for c in self.log],
            "version": self.version,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def name_key(name: str) -> str:
    """The folded name two mentions of one party share (case, width, spacing)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())[:200]


def parse_kind(value: str) -> str:
    kind = value.strip().lower()
    if kind not in KINDS:
        raise UsageError(
            _("unknown party kind {kind}; use one of {kinds}").format(
                kind=value, kinds=", ".join(KINDS)
            )
        )
    return kind


def parse_status(value: str) -> str:
    """A status as stored: "not affected", "Not_Affected" and "not-affected" are one."""
    status = "-".join(value.strip().lower().replace("_", " ").split())
    if status not in STATUSES:
        raise UsageError(
            _("unknown party status {status}; use one of {statuses}").format(
                status=value, statuses=", ".join(STATUSES)
            )
        )
    return status


def _label(party: CaseParty) -> str:
    return _("party {id}").format(id=party.id)


def find(session: Session, case: Case, party: str | int) -> CaseParty:
    """A party of ``case`` by id or by name (folded)."""
    text = str(party).strip()
    row: CaseParty | None = None
    if text.isdigit():
        row = session.get(CaseParty, int(text))
        if row is not None and row.case_id != case.id:
            row = None
    if row is None:
        matches = session.scalars(
            select(CaseParty).where(
                CaseParty.case_id == case.id, CaseParty.name_key == name_key(text)
            )
        ).all()
        if len(matches) > 1:
            raise UsageError(
                _("{name} names several parties of {key}; give the party's id").format(
                    name=text, key=case.key
                )
            )
        row = matches[0] if matches else None
    if row is None:
        raise NotFound(_("case {key} has no party {party}").format(key=case.key, party=text))
    return row


def add(
    session: Session,
    actor: Actor,
    case_key: str,
    kind: str,
    name: str,
    *,
    contacts: list[str] | tuple[str, ...] = (),
    channel: str | None = None,
    partner: str | None = None,
    credit: str | None = None,
    pseudonymous: bool = False,
    safe_harbour: bool = False,
) -> PartyInfo:
    """Add a party to a case. A partner CERT is linked to its partner record (by ``partner``,
    else by its name); a reporter to the case's reporter, made from ``name`` when it has none."""
    kind = parse_kind(kind)
    name = " ".join(name.split())
    if not name:
        raise UsageError(_("a party needs a name"))
    case = get_case(session, case_key)
    key = name_key(name)
    exists = session.scalar(
        select(CaseParty.id).where(
            CaseParty.case_id == case.id, CaseParty.kind == kind, CaseParty.name_key == key
        )
    )
    if exists is not None:
        raise UsageError(
            _("case {key} already has this party (id {id})").format(key=case.key, id=exists)
        )
    row = CaseParty(
        case_id=case.id,
        kind=kind,
        name=name[:200],
        name_key=key,
        contacts=[c.strip() for c in contacts if c.strip()],
        channel=(channel or "").strip()[:200] or None,
        credit=(credit or "").strip()[:300] or None,
        pseudonymous=pseudonymous,
    )
    if kind == "cert":
        wanted = partner or name
        found = session.scalar(select(Partner).where(Partner.name == wanted))
        if found is None and partner:
            raise NotFound(_("no partner named {name}").format(name=partner))
        row.partner_id = found.id if found is not None else None
    elif partner:
        raise UsageError(_("only a partner CERT party names a partner"))
    with guarded(session, case.key, case_key=case.key):
        if kind == "reporter":
            row.reporter_id = _reporter_for(session, actor, case, name, credit, pseudonymous)
        if safe_harbour:
            row.safe_harbour_at, row.safe_harbour_by = utcnow(), actor.name
        session.add(row)
        session.flush()
        audit.record(
            session, actor, "party.add", "party", row.id, case_key=case.key,
            details={"kind": kind, "partner": row.partner_id, "reporter": row.reporter_id,
                     "safe_harbour": safe_harbour, "pseudonymous": pseudonymous},
        )  # fmt: skip
    return info(session, row)


def _reporter_for(
    session: Session,
    actor: Actor,
    case: Case,
    name: str,
    credit: str | None,
    pseudonymous: bool,
) -> int:
    """The case's reporter record; a new one (``name`` as its handle) when it has none."""
    if case.reporter_id is not None:
        return case.reporter_id
    from app.casework import reporters

    reporter_id = reporters.add(
        session, actor, name, credit_preference=credit, consent_to_be_named=not pseudonymous
    )
    case.reporter_id = reporter_id
    case.updated_at = utcnow()
    return reporter_id


def update(
    session: Session,
    actor: Actor,
    case_key: str,
    party: str | int,
    *,
    contacts: list[str] | None = None,
    channel: str | None = None,
    credit: str | None = None,
    pseudonymous: bool | None = None,
    safe_harbour: bool = False,
    expected_version: int | None = None,
) -> PartyInfo:
    """Change a party's contacts, channel or (reporters) credit, pseudonymity and safe-harbour
    acknowledgement; ``None`` leaves a field as it is."""
    case = get_case(session, case_key)
    row = find(session, case, party)
    label = _label(row)
    check_seen(session, expected_version, row.row_version, label, entity="party", entity_id=row.id)
    changed: list[str] = []
    with guarded(session, label, entity="party", entity_id=row.id):
        if contacts is not None:
            row.contacts = [c.strip() for c in contacts if c.strip()]
            changed.append("contacts")
        if channel is not None:
            row.channel = channel.strip()[:200] or None
            changed.append("channel")
        if credit is not None:
            row.credit = credit.strip()[:300] or None
            changed.append("credit")
        if pseudonymous is not None:
            row.pseudonymous = pseudonymous
            changed.append("pseudonymous")
        if safe_harbour and row.safe_harbour_at is None:
            row.safe_harbour_at, row.safe_harbour_by = utcnow(), actor.name
            changed.append("safe_harbour")
        if not changed:
            return info(session, row)
        row.updated_at = utcnow()
        session.flush()
        audit.record(
            session, actor, "party.update", "party", row.id, case_key=case.key,
            details={"fields": changed},
        )  # fmt: skip
    return info(session, row)


def set_status(
    session: Session,
    actor: Actor,
    case_key: str,
    party: str | int,
    status: str,
    statement: str = "",
    *,
    at: datetime | None = None,
    fixed_version: str | None = None,
    expected_version: int | None = None,
) -> PartyInfo:
    """Append a status to a party's timeline (ours, never a partner's). The first "notified"
    starts the party's acknowledgement and response clocks; ``fixed_version`` goes with
    "fixed" (the first version with the fix)."""
    value = parse_status(status)
    fixed_version = (fixed_version or "").strip()[:100] or None
    if fixed_version and value != "fixed":
        raise UsageError(_("a fixed version goes with the status fixed"))
    case = get_case(session, case_key)
    row = find(session, case, party)
    label = _label(row)
    check_seen(session, expected_version, row.row_version, label, entity="party", entity_id=row.id)
    when = at or utcnow()
    if when.tzinfo is None:
        raise UsageError(_("a status time needs a time zone"))
    with guarded(session, label, entity="party", entity_id=row.id):
        row.statuses.append(
            PartyStatus(
                status=value, statement=statement.strip(), at=when, by=actor.name,
                analyst_id=actor.id or None, fixed_version=fixed_version,
            )
        )  # fmt: skip
        if value == "notified" and row.notified_at is None:
            start_clocks(row, when)
        row.updated_at = utcnow()  # the party's version moves on with its timeline
        session.flush()
        audit.record(
            session, actor, "party.status", "party", row.id, case_key=case.key,
            details={"status": value, "at": when.isoformat(), "statement": bool(statement.strip())},
        )  # fmt: skip
    return info(session, row)


def start_clocks(row: CaseParty, notified: datetime) -> None:
    """The party's due instants from the time it was notified (see the constants above)."""
    row.notified_at = notified
    row.acknowledgement_due = notified + timedelta(days=ACKNOWLEDGEMENT_DAYS)
    row.response_due = notified + timedelta(days=RESPONSE_DAYS)


def log_contact(
    session: Session,
    actor: Actor,
    case_key: str,
    party: str | int,
    direction: str,
    channel: str,
    summary: str,
    *,
    files: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...] = (),
    at: datetime | None = None,
    expected_version: int | None = None,
) -> PartyInfo:
    """Record what was sent to or received from a party; ``files`` (name, bytes) are stored as
    the case's attachments inside the encrypted store, classified for hazards like intake's."""
    if direction not in DIRECTIONS:
        raise UsageError(_("a contact is sent or received"))
    if not channel.strip():
        raise UsageError(_("say by which channel (e-mail, phone, portal …)"))
    if not summary.strip():
        raise UsageError(_("a contact needs a summary"))
    for filename, content in files:
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise UsageError(
                _("{name} is larger than {n} bytes").format(
                    name=hazard.shown_name(filename), n=MAX_ATTACHMENT_BYTES
                )
            )
    case = get_case(session, case_key)
    row = find(session, case, party)
    label = _label(row)
    check_seen(session, expected_version, row.row_version, label, entity="party", entity_id=row.id)
    with guarded(session, label, entity="party", entity_id=row.id):
        ids: list[int] = []
        for filename, content in files:
            found = hazard.classify(filename, content)
            att = Attachment(
                case_id=case.id,
                filename=filename[:500],
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                hazardous=found.hazardous,
                hazard_kind=found.kind,
                hazard_reasons=list(found.reasons),
            )
            session.add(att)
            session.flush()
            ids.append(att.id)
        entry = PartyContact(
            direction=direction, at=at or utcnow(), channel=channel.strip()[:200], by=actor.name,
            analyst_id=actor.id or None, summary=summary.strip(), attachment_ids=ids,
        )  # fmt: skip
        row.log.append(entry)
        row.updated_at = utcnow()
        session.flush()
        audit.record(
            session, actor, "party.contact", "party", row.id, case_key=case.key,
            details={"contact": entry.id, "direction": direction, "attachments": ids},
        )  # fmt: skip
        if direction == "sent" and row.kind == "reporter":
            # Writing to the reporter acknowledges their report: that clock stops (issue 16).
            from app.deadlines.evidence import record_event  # deadlines build on parties

            record_event(session, actor, case, ["acknowledged"], f"contact sent to party {row.id}")
    return info(session, row)


def info(session: Session, row: CaseParty) -> PartyInfo:
    """The frozen view of a party (its timeline and log in time order)."""
    case = session.get(Case, row.case_id)
    partner = session.get(Partner, row.partner_id) if row.partner_id else None
    timeline = tuple(
        StatusInfo(
            s.id,
            s.status,
            s.statement,
            s.at,
            s.by,
            s.origin_fingerprint or "local",
            s.fixed_version,
        )
        for s in sorted(row.statuses, key=lambda s: (s.at, s.id))
    )
    log = tuple(
        ContactInfo(c.id, c.direction, c.at, c.channel, c.by, c.summary,
                    tuple(int(i) for i in c.attachment_ids or []))
        for c in sorted(row.log, key=lambda c: (c.at, c.id))
    )  # fmt: skip
    own = [s for s in timeline if s.origin == "local"]
    notified = row.notified_at
    # Acknowledged: any later word from the party, as a status we recorded or a contact received.
    heard = [s.at for s in own if s.status != "notified"]
    heard += [c.at for c in log if c.direction == "received"]
    acknowledged = min((t for t in heard if notified is None or t >= notified), default=None)
    responded = min((s.at for s in own if s.status in RESPONSES), default=None)
    return PartyInfo(
        id=row.id, case=case.key if case else "", kind=row.kind, name=row.name,
        partner=partner.name if partner else None, reporter_id=row.reporter_id,
        contacts=tuple(str(c) for c in row.contacts or []), channel=row.channel,
        credit=row.credit, pseudonymous=row.pseudonymous, safe_harbour_at=row.safe_harbour_at,
        notified_at=notified, acknowledgement_due=row.acknowledgement_due,
        response_due=row.response_due, acknowledged_at=acknowledged, responded_at=responded,
        origin=row.origin_fingerprint or "local", timeline=timeline, log=log,
        version=row.row_version,
    )  # fmt: skip


def list_parties(session: Session, case_key: str) -> list[PartyInfo]:
    case = get_case(session, case_key)
    rows = session.scalars(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
    ).all()
    return [info(session, r) for r in rows]


def get(session: Session, case_key: str, party: str | int) -> PartyInfo:
    return info(session, find(session, get_case(session, case_key), party))


def _determinations(session: Session, case_id: int) -> dict[str, PartyStatus]:
    """Each vendor's (folded name) latest determination: ours, or when we recorded none, the
    latest a partner sent."""
    out: dict[str, PartyStatus] = {}
    rows = session.scalars(
        select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.kind == "vendor")
    ).all()
    for row in rows:
        said = sorted(
            (s for s in row.statuses if s.status in DETERMINATIONS), key=lambda s: (s.at, s.id)
        )
        own = [s for s in said if s.origin_fingerprint is None]
        chosen = own or said
        if chosen:
            out[row.name_key] = chosen[-1]
    return out


def vendor_statuses(session: Session, case_id: int) -> dict[str, tuple[str, str | None]]:
    """Each vendor's (folded name) latest determination about its products, with the fixed
    version when it said "fixed". What CSAF product statuses are made from."""
    return {k: (s.status, s.fixed_version) for k, s in _determinations(session, case_id).items()}


def vendor_statements(session: Session, case_id: int) -> dict[str, str]:
    """The statement each vendor (folded name) gave with its latest determination, where it
    gave one (a VEX "not affected" carries it as its impact statement)."""
    return {
        k: s.statement
        for k, s in _determinations(session, case_id).items()
        if (s.statement or "").strip()
    }


def credits(session: Session, case_id: int) -> list[str]:
    """The names an advisory credits: each reporter party's credit wording, else its name (a
    pseudonymous reporter's handle; never a real identity it did not give as its credit)."""
    rows = session.scalars(
        select(CaseParty)
        .where(CaseParty.case_id == case_id, CaseParty.kind == "reporter")
        .order_by(CaseParty.id)
    ).all()
    names: list[str] = []
    for row in rows:
        name = row.credit or row.name
        if not row.credit and not row.pseudonymous and row.reporter_id is not None:
            reporter = session.get(Reporter, row.reporter_id)
            if reporter is not None and reporter.consent_to_be_named and reporter.real_identity:
                name = reporter.real_identity
        if name not in names:
            names.append(name)
    return names
