"""The typed SQLAlchemy model of Accord, one module per aggregate.

Its modules load on first use of one of their names (PEP 562): a command that reads two
tables declares those, not every model (declaring all of them is a good part of a CLI call's
start-up). ``Base`` (its metadata must be complete) and the mapper configuration that any ORM
statement starts load every module first (``load_all``), so relationships always resolve.
The case and analyst tables, the case states and roles live in ``models.schema``, which needs
no ORM: `accord cases list` and unlocking read them through Core without loading it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.advisories import Advisory, AdvisoryRevision, AdvisoryText
    from models.audit import AnalystKey, AuditCheckpoint, AuditEvent
    from models.base import Base
    from models.case_links import CaseLink, CaseMerge
    from models.cases import (
        Case,
        CaseFact,
        CaseJurisdiction,
        CasePartner,
        CaseSearch,
    )
    from models.exchange import Bundle, BundleCase, OrgKey, Partner, PartnerCheckpoint, PartnerKey
    from models.obligations import (
        CaseRole,
        CaseRuleSet,
        DeadlineOverride,
        FactProposal,
        RuleText,
    )
    from models.parties import CaseParty, PartyContact, PartyStatus
    from models.people import Analyst, Reporter, Setting
    from models.rawcodec import StoredRawError
    from models.reports import (
        Attachment,
        DuplicateCandidate,
        Identifier,
        Note,
        QuarantineItem,
        Report,
        ReportRevision,
        SourceMapping,
    )
    from models.schema import CaseStatus, Role, utcnow
    from models.vulnerabilities import (
        AffectedProduct,
        Assessment,
        ImpactEstimate,
        Reference,
        Vulnerability,
    )
    from models.work import Deadline, Handover, PlaybookRun, PlaybookStep

# Where each public name is defined; every model module is listed here.
_HOMES: dict[str, str] = {
    "Advisory": "models.advisories",
    "AdvisoryRevision": "models.advisories",
    "AdvisoryText": "models.advisories",
    "AnalystKey": "models.audit",
    "AuditCheckpoint": "models.audit",
    "AuditEvent": "models.audit",
    "Base": "models.base",
    "utcnow": "models.schema",
    "CaseLink": "models.case_links",
    "CaseMerge": "models.case_links",
    "Case": "models.cases",
    "CaseFact": "models.cases",
    "CaseJurisdiction": "models.cases",
    "CasePartner": "models.cases",
    "CaseSearch": "models.cases",
    "CaseStatus": "models.schema",
    "Bundle": "models.exchange",
    "BundleCase": "models.exchange",
    "OrgKey": "models.exchange",
    "Partner": "models.exchange",
    "PartnerCheckpoint": "models.exchange",
    "PartnerKey": "models.exchange",
    "CaseRole": "models.obligations",
    "CaseRuleSet": "models.obligations",
    "DeadlineOverride": "models.obligations",
    "FactProposal": "models.obligations",
    "RuleText": "models.obligations",
    "CaseParty": "models.parties",
    "PartyContact": "models.parties",
    "PartyStatus": "models.parties",
    "Analyst": "models.people",
    "Reporter": "models.people",
    "Role": "models.schema",
    "Setting": "models.people",
    "StoredRawError": "models.rawcodec",
    "Attachment": "models.reports",
    "DuplicateCandidate": "models.reports",
    "Identifier": "models.reports",
    "Note": "models.reports",
    "QuarantineItem": "models.reports",
    "Report": "models.reports",
    "ReportRevision": "models.reports",
    "SourceMapping": "models.reports",
    "AffectedProduct": "models.vulnerabilities",
    "Assessment": "models.vulnerabilities",
    "ImpactEstimate": "models.vulnerabilities",
    "Reference": "models.vulnerabilities",
    "Vulnerability": "models.vulnerabilities",
    "Deadline": "models.work",
    "Handover": "models.work",
    "PlaybookRun": "models.work",
    "PlaybookStep": "models.work",
}
MODULES: tuple[str, ...] = tuple(dict.fromkeys(_HOMES.values()))


def load_all() -> None:
    """Declare every model (idempotent): before mapper configuration and for ``Base``."""
    for module in MODULES:
        importlib.import_module(module)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    if name == "Base":
        load_all()  # whoever asks for the metadata gets every table in it
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # found directly from now on
    return value


__all__ = [
    "Advisory",
    "AdvisoryRevision",
    "AdvisoryText",
    "AffectedProduct",
    "Analyst",
    "AnalystKey",
    "Assessment",
    "Attachment",
    "AuditCheckpoint",
    "AuditEvent",
    "Base",
    "Bundle",
    "BundleCase",
    "Case",
    "CaseFact",
    "CaseJurisdiction",
    "CaseLink",
    "CaseMerge",
    "CasePartner",
    "CaseParty",
    "CaseRole",
    "CaseRuleSet",
    "CaseSearch",
    "CaseStatus",
    "Deadline",
    "DeadlineOverride",
    "DuplicateCandidate",
    "FactProposal",
    "Handover",
    "Identifier",
    "ImpactEstimate",
    "Note",
    "OrgKey",
    "Partner",
    "PartnerCheckpoint",
    "PartnerKey",
    "PartyContact",
    "PartyStatus",
    "PlaybookRun",
    "PlaybookStep",
    "QuarantineItem",
    "Reference",
    "Report",
    "ReportRevision",
    "Reporter",
    "Role",
    "RuleText",
    "Setting",
    "SourceMapping",
    "StoredRawError",
    "Vulnerability",
    "utcnow",
]
