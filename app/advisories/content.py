"""Everything one rendering or export of an advisory needs, read once into frozen records."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import parties
from app.advisories.drafting import check_language, get_advisory, texts_of
from app.advisories.fields import FIELDS, TextState, state_of
from app.casework import identifiers
from app.casework.cases import get_case
from app.parties.service import name_key
from i18n import gettext_in
from models import (
    AffectedProduct,
    Analyst,
    Assessment,
    CaseParty,
    Identifier,
    Reference,
    Report,
    Setting,
    Vulnerability,
    utcnow,
)
from models.vulnerabilities import product_key


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
    # Vulnerability ids other than the CVE (CSAF ``ids``): (system name, id).
    ids: tuple[tuple[str, str], ...] = ()


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
    # Each vendor party's statement with its latest determination, (folded vendor name, text).
    vendor_statements: tuple[tuple[str, str], ...] = ()


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


def _stated(rows: list[Vulnerability], want: str) -> ScoreInfo | None:
    """A CVSS vector the sources stated (the vendor's advisory, the CVE record), recomputed at
    intake: what a downstream consumer gets when our own assessment has none of that version."""
    major = "3" if want == "cvss3" else "4"
    for v in sorted(rows, key=lambda r: r.id, reverse=True):
        for sc in v.scores or []:
            if sc.get("error") or not str(sc.get("version") or "").startswith(major):
                continue
            return ScoreInfo(
                cvss_version=str(sc["version"]), cvss_vector=str(sc["vector"]),
                cvss_score=sc.get("score"), cvss_severity=sc.get("severity"), ssvc_table=None,
                ssvc_inputs=(), ssvc_decision=None, tier="", at=v.created_at,
            )  # fmt: skip
    return None


_ID_SYSTEMS = {
    "GHSA": "GitHub Security Advisories",
    "PYSEC": "PyPA Advisory Database",
    "AVID": "AI Vulnerability Database",
    "OSV": "OSV",
}


def _groups(rows: list[Vulnerability], case_cves: set[str]) -> list[list[Vulnerability]]:
    """The case's vulnerabilities, one group per CVE: reports of one issue merged into a case
    (the researcher's mail, the vendor's CSAF, the CVE record) are one vulnerability in an
    advisory, never the same CVE listed twice (CSAF 6.1.23). A row without a CVE joins the
    case's only CVE; with several CVEs it stays a vulnerability of its own."""
    sole = next(iter(case_cves)) if len(case_cves) == 1 else None
    groups: dict[str, list[Vulnerability]] = {}
    for v in rows:
        cve = (v.cve or sole or "").upper()
        groups.setdefault(cve or f"#{v.id}", []).append(v)
    return list(groups.values())


def _product_key(p: ProductInfo) -> tuple[str, str, str, str]:
    """Products that are the same for a reader: vendor, name, version and range constraints (a
    generic ``vers:generic/>=3.2.0|<=3.4.1`` from a mail is the vendor's semver one)."""
    rng = (p.version_range or "").split("/", 1)[-1] if p.version_range else ""
    vendor = name_key(p.vendor) if p.vendor else ""
    return (vendor, product_key(p.name, p.vendor), p.version or "", rng)


def _vendor_of(rows: list[AffectedProduct], party_vendors: list[str]) -> dict[str, str]:
    """The vendor of a product named without one: the vendor another report names for the same
    product, else the case's only vendor party (never "Unknown vendor" when it is known)."""
    found: dict[str, str] = {}
    for p in rows:
        if p.vendor:
            found.setdefault(product_key(p.name, p.vendor), p.vendor)
            found.setdefault(product_key(p.name), p.vendor)
    if len(party_vendors) == 1:
        found.setdefault("", party_vendors[0])
    return found


def _products(
    session: Session, groups: list[list[Vulnerability]], party_vendors: list[str]
) -> tuple[dict[int, ProductInfo], list[tuple[str, ...]]]:
    """The case's products, each once (by ``_product_key``), and each group's product ids."""
    ids = [v.id for g in groups for v in g]
    rows = list(
        session.scalars(
            select(AffectedProduct)
            .where(AffectedProduct.vulnerability_id.in_(ids))
            .order_by(AffectedProduct.id)
        )
    )
    vendors = _vendor_of(rows, party_vendors)
    products: dict[int, ProductInfo] = {}
    by_key: dict[tuple[str, str, str, str], int] = {}
    pids_of: dict[int, list[str]] = {}
    for p in rows:
        vendor = p.vendor or vendors.get(product_key(p.name)) or vendors.get("")
        info = ProductInfo(
            f"ACCORD-P{p.id}", p.kind, p.name, vendor, p.version, p.version_range, p.hash, p.purl
        )
        first = by_key.setdefault(_product_key(info), p.id)
        if first == p.id:
            products[p.id] = info
        elif (products[first].version_range or "").startswith("vers:generic/"):
            # The same range in the product's own scheme says more than the generic one.
            products[first] = replace(info, product_id=products[first].product_id)
        pids = pids_of.setdefault(p.vulnerability_id, [])
        pids.append(products[first].product_id)
    out = [tuple(dict.fromkeys(pid for v in g for pid in pids_of.get(v.id, ()))) for g in groups]
    return products, out


def _ids(
    session: Session, group: list[Vulnerability], case: Any, org: str, grouped: int
) -> tuple[tuple[str, str], ...]:
    """Well-known vulnerability ids (GHSA, PYSEC, AVID, OSV) the group's reports carry, or all
    the case's when it is one vulnerability; a group without a CVE or any such id gets the
    case's reference, so a reader can still name it (CSAF 2.1 test 6.1.27.8)."""
    reports = [v.report_id for v in group if v.report_id is not None]
    q = select(Identifier.scheme, Identifier.value).order_by(Identifier.id)
    if grouped == 1:
        q = q.outerjoin(Report, Report.id == Identifier.report_id).where(
            (Identifier.case_id == case.id) | (Report.case_id == case.id)
        )
    else:
        q = q.where(Identifier.report_id.in_(reports))
    found: dict[str, tuple[str, str]] = {}
    for scheme, value in session.execute(q):
        if scheme in _ID_SYSTEMS:
            # GitHub spells its ids GHSA-xxxx-xxxx-xxxx; intake stores them upper-case.
            text = "GHSA" + value[4:].lower() if scheme == "GHSA" else value
            found.setdefault(value.upper(), (_ID_SYSTEMS[scheme], text))
    if not found and not any(v.cve for v in group):
        return ((org, case.ref or case.key),)
    return tuple(found.values())


def _vuln_info(
    group: list[Vulnerability],
    pids: tuple[str, ...],
    refs: tuple[tuple[str, str, str], ...],
    assessments: list[Assessment],
    vuln_ids: tuple[tuple[str, str], ...],
) -> VulnInfo:
    """One advisory vulnerability from a group of rows: the CVE-bearing (structured) source's
    title and description first, the latest own score of each kind, else a stated one."""
    ordered = sorted(group, key=lambda v: (v.cve is None, v.id))
    own = [a for a in assessments if a.vulnerability_id in {v.id for v in group} | {None}]
    cwe = next((v.cwe for v in ordered if v.cwe), None)
    return VulnInfo(
        id=ordered[0].id,
        title=next((v.title for v in ordered if v.title), ""),
        description=next((v.description for v in ordered if v.description.strip()), ""),
        cve=next((v.cve.upper() for v in ordered if v.cve), None),
        cwe=cwe,
        product_ids=pids,
        references=refs,
        cvss3=_latest(own, "cvss3") or _stated(group, "cvss3"),
        cvss4=_latest(own, "cvss4") or _stated(group, "cvss4"),
        ssvc=_latest(own, "ssvc"),
        ids=vuln_ids,
    )


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
    org_row = session.get(Setting, "org.name")
    org = str(org_row.value) if org_row is not None else "Accord"
    case_cves = {v.cve.upper() for v in vulns if v.cve} | {
        i.value.upper() for i in identifiers.of_case(session, case) if i.scheme == "CVE"
    }
    groups = _groups(vulns, case_cves)
    vendor_parties = list(
        session.scalars(
            select(CaseParty.name)
            .where(CaseParty.case_id == case.id, CaseParty.kind == "vendor")
            .order_by(CaseParty.id)
        )
    )
    products, pids_of = _products(session, groups, vendor_parties)
    infos: list[VulnInfo] = []
    for group, pids in zip(groups, pids_of, strict=True):
        refs = tuple(
            dict.fromkeys(
                (r.url, r.summary or r.url, r.category)
                for r in session.scalars(
                    select(Reference)
                    .where(Reference.vulnerability_id.in_([v.id for v in group]))
                    .order_by(Reference.id)
                )
            )
        )
        vuln_ids = _ids(session, group, case, org, len(groups))
        infos.append(_vuln_info(group, pids, refs, assessments, vuln_ids))
    said = parties.vendor_statuses(session, case.id)
    fixed_for = _fixed_versions(products, said)
    products.update({-i: p for i, p in enumerate(dict(fixed_for.values()).values(), 1)})
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
        vendor_statements=tuple(sorted(parties.vendor_statements(session, case.id).items())),
    )  # fmt: skip
