"""Everything one rendering or export of an advisory needs, read once into frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import parties
from app.advisories.drafting import check_language, get_advisory, texts_of
from app.advisories.fields import FIELDS, TextState, state_of
from app.cases import get_case
from app.parties.service import name_key
from i18n import gettext_in
from models import (
    AffectedProduct,
    Analyst,
    Assessment,
    Reference,
    Setting,
    Vulnerability,
    utcnow,
)


@dataclass(frozen=True)
class ProductInfo:
    product_id: str
    kind: str
    name: str
    vendor: str | None
    version: str | None
    version_range: str | None
    hash: str | None
    purl: str | None

    @property
    def label(self) -> str:
        version = self.version or self.version_range or ""
        vendor = f"{self.vendor} " if self.vendor else ""
        return f"{vendor}{self.name} {version}".strip()


@dataclass(frozen=True)
class ScoreInfo:
    """One CVSS score or SSVC decision from an Assessment."""

    cvss_version: str | None
    cvss_vector: str | None
    cvss_score: float | None
    cvss_severity: str | None
    ssvc_table: str | None
    ssvc_inputs: tuple[tuple[str, str], ...]
    ssvc_decision: str | None
    tier: str
    at: datetime


@dataclass(frozen=True)
class VulnInfo:
    id: int
    title: str
    description: str
    cve: str | None
    cwe: str | None
    product_ids: tuple[str, ...]
    references: tuple[tuple[str, str, str], ...]  # url, summary, category
    cvss3: ScoreInfo | None
    cvss4: ScoreInfo | None
    ssvc: ScoreInfo | None


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    date: datetime
    summary: str
    approved_by: str | None


@dataclass(frozen=True)
class AdvisoryContent:
    """An advisory in one language: its texts (source text where a translation is missing or
    stale), the latest severity, the products and vulnerabilities, and the publications."""

    case_key: str
    language: str
    source_language: str
    status: str
    tlp: str
    organisation: str
    namespace: str
    texts: dict[str, str]
    fallback_fields: tuple[str, ...]
    severity: ScoreInfo | None
    products: tuple[ProductInfo, ...]
    vulnerabilities: tuple[VulnInfo, ...]
    revisions: tuple[RevisionInfo, ...]
    created_at: datetime
    updated_at: datetime
    embargo_until: datetime | None
    generated_at: datetime
    # Each vendor party's latest determination, (folded vendor name, status) (app.parties);
    # (affected product id, product id of its fixed version) where a vendor named the fixed
    # version; the names the reporter parties are credited by.
    vendor_statuses: tuple[tuple[str, str], ...] = ()
    fixed_for: tuple[tuple[str, str], ...] = ()
    credits: tuple[str, ...] = ()


def _score(a: Assessment) -> ScoreInfo:
    return ScoreInfo(
        cvss_version=a.cvss_version, cvss_vector=a.cvss_vector, cvss_score=a.cvss_score,
        cvss_severity=a.cvss_severity, ssvc_table=a.ssvc_table,
        ssvc_inputs=tuple(sorted((str(k), str(v)) for k, v in (a.ssvc_inputs or {}).items())),
        ssvc_decision=a.ssvc_decision, tier=a.tier, at=a.created_at,
    )  # fmt: skip


def _latest(rows: list[Assessment], want: str) -> ScoreInfo | None:
    for a in rows:
        if want == "cvss3" and a.cvss_vector and (a.cvss_version or "").startswith("3"):
            return _score(a)
        if want == "cvss4" and a.cvss_vector and (a.cvss_version or "").startswith("4"):
            return _score(a)
        if want == "ssvc" and a.ssvc_table and a.ssvc_inputs:
            return _score(a)
    return None


def _namespace(session: Session, org: str) -> str:
    configured = session.get(Setting, "org.namespace")
    if configured is not None and str(configured.value).startswith(("https://", "http://")):
        return str(configured.value)
    slug = "".join(c if c.isalnum() else "-" for c in org.casefold()).strip("-") or "accord"
    return f"https://{slug}.invalid/security"


def _fixed_versions(
    products: dict[int, ProductInfo], said: dict[str, tuple[str, str | None]]
) -> dict[str, tuple[tuple[str, str, str], ProductInfo]]:
    """For each affected product whose vendor said "fixed" with the fixed version: that version
    as a product of its own, one per vendor, name and version (affected pid → (key, product))."""
    made: dict[tuple[str, str, str], ProductInfo] = {}
    out: dict[str, tuple[tuple[str, str, str], ProductInfo]] = {}
    for row_id, p in products.items():
        vendor = name_key(p.vendor) if p.vendor else ""
        status, fixed = said.get(vendor, ("", None))
        if status != "fixed" or not fixed or p.version == fixed:
            continue
        key = (vendor, p.name, fixed)
        if key not in made:
            made[key] = ProductInfo(
                f"ACCORD-F{row_id}", p.kind, p.name, p.vendor, fixed, None, None, None
            )
        out[p.product_id] = (key, made[key])
    return out


def load(session: Session, case_key: str, language: str | None = None) -> AdvisoryContent:
    """Read the advisory of ``case_key`` in ``language`` (its source language when None)."""
    adv = get_advisory(session, case_key)
    case = get_case(session, case_key)
    lang = check_language(language) if language else adv.source_language
    cells = texts_of(adv)
    texts: dict[str, str] = {}
    fallback: list[str] = []
    for name in FIELDS:
        src = cells.get((name, adv.source_language))
        src_text = src.text if src else ""
        cell = cells.get((name, lang))
        if lang == adv.source_language:
            texts[name] = src_text
        elif cell and state_of(src_text, cell.text, cell.source_hash) == TextState.CURRENT:
            texts[name] = cell.text
        else:
            texts[name] = src_text
            if src_text.strip():
                fallback.append(name)
    credited = tuple(parties.credits(session, case.id))
    if credited and not texts["credits"].strip():
        # The reporter's credit wording, until someone writes the credits themselves.
        texts["credits"] = gettext_in(lang, "Reported by {names}.").format(
            names=", ".join(credited)
        )
    assessments = list(
        session.scalars(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        )
    )
    vulns = list(
        session.scalars(
            select(Vulnerability).where(Vulnerability.case_id == case.id).order_by(Vulnerability.id)
        )
    )
    products: dict[int, ProductInfo] = {}
    infos: list[VulnInfo] = []
    for v in vulns:
        pids = []
        for p in session.scalars(
            select(AffectedProduct)
            .where(AffectedProduct.vulnerability_id == v.id)
            .order_by(AffectedProduct.id)
        ):
            pid = f"ACCORD-P{p.id}"
            products[p.id] = ProductInfo(
                pid, p.kind, p.name, p.vendor, p.version, p.version_range, p.hash, p.purl
            )
            pids.append(pid)
        refs = tuple(
            (r.url, r.summary or r.url, r.category)
            for r in session.scalars(
                select(Reference).where(Reference.vulnerability_id == v.id).order_by(Reference.id)
            )
        )
        own = [a for a in assessments if a.vulnerability_id in (v.id, None)]
        infos.append(
            VulnInfo(
                id=v.id,
                title=v.title,
                description=v.description,
                cve=v.cve,
                cwe=v.cwe,
                product_ids=tuple(pids),
                references=refs,
                cvss3=_latest(own, "cvss3"),
                cvss4=_latest(own, "cvss4"),
                ssvc=_latest(own, "ssvc"),
            )
        )
    said = parties.vendor_statuses(session, case.id)
    fixed_for = _fixed_versions(products, said)
    products.update({-i: p for i, p in enumerate(dict(fixed_for.values()).values(), 1)})
    org_row = session.get(Setting, "org.name")
    org = str(org_row.value) if org_row is not None else "Accord"
    approvers = {i: n for i, n in session.execute(select(Analyst.id, Analyst.name))}
    revisions = tuple(
        RevisionInfo(r.number, r.date, r.summary, approvers.get(r.approved_by_id or -1))
        for r in adv.revisions
    )
    return AdvisoryContent(
        case_key=case.key, language=lang, source_language=adv.source_language,
        status=adv.status, tlp=adv.tlp, organisation=org, namespace=_namespace(session, org),
        texts=texts, fallback_fields=tuple(fallback),
        severity=_score(assessments[0]) if assessments else None,
        products=tuple(products.values()), vulnerabilities=tuple(infos), revisions=revisions,
        created_at=adv.created_at, updated_at=adv.updated_at, embargo_until=case.embargo_until,
        generated_at=utcnow(),
        vendor_statuses=tuple(sorted((k, v[0]) for k, v in said.items())),
        fixed_for=tuple((a, f.product_id) for a, (_k, f) in fixed_for.items()),
        credits=credited,
    )  # fmt: skip
