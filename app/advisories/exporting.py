"""The export use case: one advisory, one language, one format, written to a chosen file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import trust
from app.advisories import content, csaf_export, render
from app.advisories.drafting import get_advisory
from app.auditing import chain as audit
from app.casework.cases import get_case
from app.errors import UsageError
from app.identity.actor import Actor
from i18n import _
from models import Analyst

FORMATS: tuple[str, ...] = ("csaf", *render.FORMATS)


def csaf_document(
    session: Session, case_key: str, language: str | None = None, csaf_version: str = "2.0"
) -> bytes:
    """The validated CSAF JSON of an advisory, in memory (for bundles); refused when invalid."""
    doc = csaf_export.build(content.load(session, case_key, language), csaf_version)
    findings = csaf_export.validate(doc, csaf_version)
    if findings:
        raise csaf_export.refusal(findings)
    return csaf_export.dumps(doc)


def export(
    session: Session,
    actor: Actor,
    case_key: str,
    fmt: str,
    out: Path,
    *,
    language: str | None = None,
    csaf_version: str = "2.0",
    reader_tz: str | None = None,
    override: str | None = None,
    profile: str = "advisory",
) -> dict[str, Any]:
    """Write the advisory of ``case_key``; a CSAF document is written only when it validates."""
    if fmt not in FORMATS:
        raise UsageError(
            _("unknown format {fmt}; formats are: {formats}").format(
                fmt=fmt, formats=", ".join(FORMATS)
            )
        )
    if profile != "advisory" and fmt != "csaf":
        raise UsageError(_("--profile {profile} needs --format csaf").format(profile=profile))
    data = content.load(session, case_key, language)
    # Nothing leaves below the case's TLP, nor at TLP:CLEAR while the embargo runs.
    case = get_case(session, case_key)
    trust.enforce(
        session, actor, trust.advisory_violations(session, case, data.tlp, publish=False),
        override, action="advisory.export", entity="advisory",
        entity_id=get_advisory(session, case_key).id, case_key=case.key,
    )  # fmt: skip
    if reader_tz is None:
        analyst = session.get(Analyst, actor.id) if actor.id else None
        reader_tz = analyst.timezone if analyst else None
    version = None
    if fmt == "csaf":
        doc = csaf_export.export(data, out, csaf_version, profile)
        version = doc["document"]["tracking"]["version"]
    else:
        render.write(data, fmt, out, reader_tz)
    adv = get_advisory(session, case_key)
    details: dict[str, Any] = {"format": fmt, "language": data.language}
    if fmt == "csaf":
        details.update({"csaf_version": csaf_version, "version": version, "profile": profile})
    audit.record(
        session, actor, "advisory.export", "advisory", adv.id, case_key=data.case_key,
        details=details,
    )  # fmt: skip
    return {
        "case": data.case_key,
        "format": fmt,
        "language": data.language,
        "out": str(out),
        "csaf_version": csaf_version if fmt == "csaf" else None,
        "csaf_profile": profile if fmt == "csaf" else None,
        "tracking_version": version,
        "fallback_fields": list(data.fallback_fields),
    }
