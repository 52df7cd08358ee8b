"""Drafting an advisory: one per case, fields × languages, translation state, termbase flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.advisories import termbase
from app.advisories.fields import (
    FIELDS,
    ReviewState,
    TextState,
    source_hash,
    state_of,
)
from app.advisories.impact_text import latest, summary
from app.auditing import chain as audit
from app.casework.cases import get_case
from app.concurrency import check_seen, guarded
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor
from i18n import LANGUAGES, _, normalise_language
from models import Advisory, AdvisoryText, Analyst, utcnow

TLP_LEVELS: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@dataclass(frozen=True)
class CellInfo:
    """One field in one language, as the editor shows it."""

    field: str
    language: str
    text: str
    state: str
    termbase: tuple[termbase.TermHint, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "language": self.language,
            "state": self.state,
            "termbase_missing": [h.as_json() for h in self.termbase if not h.present],
        }


@dataclass(frozen=True)
class AdvisoryStatus:
    """The review state and the field × language translation matrix of one advisory."""

    id: int
    case: str
    status: str
    source_language: str
    tlp: str
    revision: int
    author: str | None
    approver: str | None
    languages: tuple[str, ...]
    states: dict[str, dict[str, str]] = field(default_factory=dict)
    flags: tuple[CellInfo, ...] = ()
    version: int = 0  # what an edit made from this view passes back (app.concurrency)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case,
            "status": self.status,
            "source_language": self.source_language,
            "tlp": self.tlp,
            "revision": self.revision,
            "author": self.author,
            "approver": self.approver,
            "languages": list(self.languages),
            "fields": self.states,
            "termbase": [
                {
                    "field": c.field,
                    "language": c.language,
                    "missing": [h.as_json() for h in c.termbase],
                }
                for c in self.flags
            ],
        }


def check_field(name: str) -> str:
    if name not in FIELDS:
        raise UsageError(
            _("unknown advisory field {field}; fields are: {fields}").format(
                field=name, fields=", ".join(FIELDS)
            )
        )
    return name


def check_language(value: str) -> str:
    code = normalise_language(value)
    if code not in LANGUAGES:
        raise UsageError(
            _("unsupported language {lang}; languages are: {langs}").format(
                lang=value, langs=", ".join(LANGUAGES)
            )
        )
    return code


def get_advisory(session: Session, case_key: str) -> Advisory:
    case = get_case(session, case_key)
    adv = session.scalar(select(Advisory).where(Advisory.case_id == case.id))
    if adv is None:
        raise NotFound(
            _("case {key} has no advisory yet: run accord advisory new {key}").format(key=case.key)
        )
    return adv


def texts_of(adv: Advisory) -> dict[tuple[str, str], AdvisoryText]:
    return {(t.field, t.language): t for t in adv.texts}


def create(
    session: Session, actor: Actor, case_key: str, language: str = "en", tlp: str = "CLEAR"
) -> AdvisoryStatus:
    """Start the advisory of a case, its title and description seeded from the case."""
    case = get_case(session, case_key)
    lang = check_language(language)
    if tlp not in TLP_LEVELS:
        raise UsageError(_("unknown TLP label {tlp}").format(tlp=tlp))
    if session.scalar(select(Advisory.id).where(Advisory.case_id == case.id)) is not None:
        raise AccordError(_("case {key} has an advisory already").format(key=case.key))
    adv = Advisory(
        case_id=case.id, source_language=lang, status=ReviewState.DRAFT.value, tlp=tlp,
        author_id=actor.id or None,
    )  # fmt: skip
    session.add(adv)
    seeds = {"title": case.title, "description": case.description}
    for name, text in seeds.items():
        if text.strip():
            adv.texts.append(
                AdvisoryText(field=name, language=lang, text=text, updated_by_id=actor.id or None)
            )
    session.flush()
    audit.record(
        session, actor, "advisory.create", "advisory", adv.id, case_key=case.key,
        details={"language": lang, "tlp": tlp},
    )  # fmt: skip
    seed_impact(session, actor, case.key)
    return status(session, case.key)


def seed_impact(session: Session, actor: Actor, case_key: str) -> bool:
    """Fill the draft's empty impact field (source language) from the latest impact estimate.

    Returns whether it wrote anything; text an analyst wrote is never replaced.
    """
    case = get_case(session, case_key)
    adv = session.scalar(select(Advisory).where(Advisory.case_id == case.id))
    estimate = latest(session, case.key) if adv is not None else None
    if adv is None or estimate is None:
        return False
    cell = texts_of(adv).get(("impact", adv.source_language))
    if cell is not None and cell.text.strip():
        return False
    set_text(session, actor, case.key, "impact", adv.source_language,
             summary(estimate, adv.source_language))  # fmt: skip
    return True


def _reopen(session: Session, actor: Actor, adv: Advisory, case_key: str) -> None:
    """An edit after submission sends the advisory back to draft: the review saw other text."""
    if adv.status != ReviewState.DRAFT.value:
        previous = adv.status
        adv.status = ReviewState.DRAFT.value
        adv.approver_id = None
        audit.record(
            session, actor, "advisory.reopen", "advisory", adv.id, case_key=case_key,
            details={"from": previous, "to": adv.status},
        )  # fmt: skip


def set_text(
    session: Session,
    actor: Actor,
    case_key: str,
    field_name: str,
    language: str,
    text: str,
    *,
    expected_version: int | None = None,
) -> CellInfo:
    """Write one field in one language; a translation records the hash of its source text.

    Made against the advisory's version read here (or ``expected_version``, the one an editor
    showed): an advisory saved meanwhile by someone else is a ConflictError."""
    adv = get_advisory(session, case_key)
    key = get_case(session, case_key).key
    label = _("the advisory of {key}").format(key=key)
    check_seen(session, expected_version, adv.row_version, label, case_key=key)
    with guarded(session, label, case_key=key):
        return _set_text(session, actor, adv, key, field_name, language, text)


def _set_text(
    session: Session,
    actor: Actor,
    adv: Advisory,
    case_key: str,
    field_name: str,
    language: str,
    text: str,
) -> CellInfo:
    name = check_field(field_name)
    lang = check_language(language)
    cells = texts_of(adv)
    made_from: str | None = None
    if lang != adv.source_language:
        source = cells.get((name, adv.source_language))
        if source is None or not source.text.strip():
            raise UsageError(
                _("write the {field} in the source language ({lang}) before translating it").format(
                    field=name, lang=adv.source_language
                )
            )
        made_from = source_hash(source.text)
    cell = cells.get((name, lang))
    if cell is None:
        cell = AdvisoryText(field=name, language=lang)
        adv.texts.append(cell)
    if cell.text == text and cell.source_hash == made_from:
        return cell_info(adv, name, lang)
    cell.text = text
    cell.source_hash = made_from
    cell.updated_by_id = actor.id or None
    adv.updated_at = utcnow()  # a cell's change is the advisory's: its version moves on
    _reopen(session, actor, adv, case_key)
    session.flush()
    info = cell_info(adv, name, lang)
    audit.record(
        session, actor, "advisory.text", "advisory", adv.id, case_key=case_key,
        details={"field": name, "language": lang, "state": info.state},
    )  # fmt: skip
    return info


def cell_info(adv: Advisory, field_name: str, language: str) -> CellInfo:
    cells = texts_of(adv)
    source = cells.get((field_name, adv.source_language))
    source_text = source.text if source else ""
    cell = cells.get((field_name, language))
    if language == adv.source_language:
        state = TextState.SOURCE if source_text.strip() else TextState.MISSING
        return CellInfo(field_name, language, source_text, state.value)
    text = cell.text if cell else ""
    state = state_of(source_text, text, cell.source_hash if cell else None)
    hints = termbase.hints(adv.source_language, source_text, language, text) if text else []
    return CellInfo(field_name, language, text, state.value, tuple(hints))


def status(session: Session, case_key: str) -> AdvisoryStatus:
    """The translation state of every field in every language, and the termbase flags."""
    adv = get_advisory(session, case_key)
    case = get_case(session, case_key)
    used = {t.language for t in adv.texts}
    languages = tuple(
        [adv.source_language]
        + [lang for lang in LANGUAGES if lang != adv.source_language]
        + sorted(used - set(LANGUAGES) - {adv.source_language})
    )
    states: dict[str, dict[str, str]] = {}
    flags: list[CellInfo] = []
    for name in FIELDS:
        states[name] = {}
        for lang in languages:
            info = cell_info(adv, name, lang)
            states[name][lang] = info.state
            missing = tuple(h for h in info.termbase if not h.present)
            if missing:
                flags.append(CellInfo(name, lang, "", info.state, missing))
    return AdvisoryStatus(
        id=adv.id, case=case.key, status=adv.status, source_language=adv.source_language,
        tlp=adv.tlp, revision=adv.current_revision, author=_name(session, adv.author_id),
        approver=_name(session, adv.approver_id), languages=languages, states=states,
        flags=tuple(flags), version=adv.row_version,
    )  # fmt: skip


def set_tlp(session: Session, actor: Actor, case_key: str, tlp: str) -> AdvisoryStatus:
    adv = get_advisory(session, case_key)
    label = tlp.upper().removeprefix("TLP:")
    if label not in TLP_LEVELS:
        raise UsageError(
            _("unknown TLP label {tlp}; labels are: {labels}").format(
                tlp=tlp, labels=", ".join(TLP_LEVELS)
            )
        )
    if adv.tlp != label:
        previous, adv.tlp = adv.tlp, label
        key = get_case(session, case_key).key
        _reopen(session, actor, adv, key)
        audit.record(
            session, actor, "advisory.tlp", "advisory", adv.id, case_key=key,
            details={"from": previous, "to": label},
        )  # fmt: skip
    return status(session, case_key)


def _name(session: Session, analyst_id: int | None) -> str | None:
    if analyst_id is None:
        return None
    return session.scalar(select(Analyst.name).where(Analyst.id == analyst_id))


def set_namespace(session: Session, actor: Actor, url: str) -> str:
    """The publisher namespace of our CSAF documents (CSAF 2.0 section 3.2.1.8: a URL)."""
    from app.identity.actor import Permission
    from models import Setting

    actor.require(Permission.MANAGE_PARTNERS)
    from app.trust import namespace_problem

    value = url.strip()
    if not value.startswith("https://") or " " in value or len(value) < 12:
        raise UsageError(
            _("the publisher namespace must be an https:// URL, not {url}").format(url=url)
        )
    problem = namespace_problem(value)  # no placeholder hosts: publication needs a real one
    if problem:
        raise UsageError(problem)
    row = session.get(Setting, "org.namespace")
    if row is None:
        session.add(Setting(key="org.namespace", value=value))
    else:
        row.value = value
    audit.record(session, actor, "advisory.namespace", "setting", "org.namespace")
    return value
