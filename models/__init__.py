"""The typed SQLAlchemy model of Accord, one module per aggregate."""

from models.advisories import Advisory, AdvisoryRevision, AdvisoryText
from models.audit import AnalystKey, AuditCheckpoint, AuditEvent
from models.base import Base, utcnow
from models.case_links import CaseLink, CaseMerge
from models.cases import (
    Case,
    CaseFact,
    CaseJurisdiction,
    CasePartner,
    CaseSearch,
    CaseStatus,
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
from models.people import Analyst, Reporter, Role, Setting
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
from models.vulnerabilities import (
    AffectedProduct,
    Assessment,
    ImpactEstimate,
    Reference,
    Vulnerability,
)
from models.work import Deadline, Handover, PlaybookRun, PlaybookStep

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
    "Vulnerability",
    "utcnow",
]
