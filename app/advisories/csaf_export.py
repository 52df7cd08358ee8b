"""CSAF ``csaf_security_advisory`` export (OASIS CSAF 2.0, and 2.1 CSD with CVSS 4.0 and SSVC).

Every document is checked against the schema and the mandatory tests of the ``csaf``
package before a byte is written; a failing document is refused, naming the test.
Section numbers below are those of CSAF 2.0 (docs.oasis-open.org/csaf/csaf/v2.0/os).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from app.advisories.content import AdvisoryContent, ProductInfo, ScoreInfo, VulnInfo
from app.advisories.fields import FIELD_LABELS, TIER_LABELS, TLP_LABELS
from app.errors import AccordError, UsageError
from app.parties.service import name_key
from app.versions import sources
from app.workspaces import files
from i18n import _, bcp47, gettext_in

VERSIONS = ("2.0", "2.1")
# CSAF profiles (section 4): a security advisory, or VEX (the product statuses alone, each
# affected product with an action statement, each unaffected one with an impact statement).
PROFILES = {"advisory": "csaf_security_advisory", "vex": "csaf_vex"}
SCHEMA_21 = "https://docs.oasis-open.org/csaf/csaf/v2.1/schema/csaf.json"
TLP_URL = "https://www.first.org/tlp/"
_URL = re.compile(r"https?://[^\s<>\"']+")
_HASH_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}


@dataclass(frozen=True)
class Finding:
    """One failed test of the validator: its id (``6.1.11``), title and first error."""

    test: str
    title: str
    message: str

    def __str__(self) -> str:
        return f"{self.test} {self.title}: {self.message}"


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cwe_name(cwe_id: str) -> str | None:
    """The CWE name the validator's catalog knows for ``CWE-n`` (6.1.11 compares names)."""
    from csaf.csaf.v20.rules._shared import _cwe_name_latest

    num = cwe_id.upper().removeprefix("CWE-")
    name = _cwe_name_latest(num) if num.isdigit() else None
    return str(name) if name else None


def _cwe_catalog_version() -> str:
    """The CWE release the CSAF 2.1 validator's catalog is at (2.1 ``cwes[].version``)."""
    from importlib.resources import files

    raw = files("csaf.csaf.v21").joinpath("cwe", "catalog.json").read_text(encoding="utf-8")
    return str(json.loads(raw)["latest_version"])


def _hashes(p: ProductInfo) -> list[dict[str, Any]]:
    if not p.hash:
        return []
    algorithm, _sep, value = p.hash.rpartition(":")
    value = value.strip().lower()
    algorithm = algorithm.strip().lower().replace("-", "") or _HASH_ALGORITHMS.get(len(value), "")
    if not algorithm or not re.fullmatch(r"[0-9a-f]{32,}", value):
        return []
    return [{"file_hashes": [{"algorithm": algorithm, "value": value}], "filename": p.name}]


def _product(p: ProductInfo, v21: bool) -> dict[str, Any]:
    node: dict[str, Any] = {"name": p.label, "product_id": p.product_id}
    helper: dict[str, Any] = {}
    hashes = _hashes(p)
    if hashes:
        helper["hashes"] = hashes
    if p.purl:
        if v21:
            helper["purls"] = [p.purl]
        else:
            helper["purl"] = p.purl
    if helper:
        node["product_identification_helper"] = helper
    return node


def _range_name(p: ProductInfo) -> str:
    """The ``vers:`` URI of a product's range (CSAF 3.1.2.3.2 prefers it); a hand-written range
    that reads as one is converted, any other text is kept as written (free text is valid)."""
    rng = p.version_range or ""
    if rng.startswith("vers:"):
        return rng
    found = sources.resolve(rng, sources.scheme_of_purl(p.purl))
    return str(found) if found is not None else rng


def product_tree(products: tuple[ProductInfo, ...], tx: Any, v21: bool) -> dict[str, Any]:
    """Vendor → product name → version branches (CSAF 3.1.2); AI models and systems alike."""
    vendors: dict[str, dict[str, list[ProductInfo]]] = {}
    for p in products:
        vendor = p.vendor or tx("Unknown vendor")
        vendors.setdefault(vendor, {}).setdefault(p.name, []).append(p)
    branches = []
    for vendor, names in vendors.items():
        name_branches = []
        for name, items in names.items():
            leaves = []
            for p in items:
                if p.version:
                    leaves.append(
                        {
                            "category": "product_version",
                            "name": p.version,
                            "product": _product(p, v21),
                        }
                    )
                elif p.version_range:
                    leaves.append(
                        {
                            "category": "product_version_range",
                            "name": _range_name(p),
                            "product": _product(p, v21),
                        }
                    )
                else:
                    leaves.append(
                        {"category": "product_version", "name": tx("all versions"),
                         "product": _product(p, v21)}
                    )  # fmt: skip
            name_branches.append({"category": "product_name", "name": name, "branches": leaves})
        branches.append({"category": "vendor", "name": vendor, "branches": name_branches})
    return {"branches": branches}


def _cvss3(score: ScoreInfo) -> dict[str, Any] | None:
    from cvss import CVSS3

    try:
        c = CVSS3(score.cvss_vector or "")
    except Exception:
        return None
    version = "3.1" if c.clean_vector().startswith("CVSS:3.1") else "3.0"
    return {
        "version": version,
        "vectorString": c.clean_vector(),
        "baseScore": float(c.scores()[0]),
        "baseSeverity": str(c.severities()[0]).upper(),
    }


def _cvss4(score: ScoreInfo) -> dict[str, Any] | None:
    from cvss import CVSS4

    try:
        c = CVSS4(score.cvss_vector or "")
    except Exception:
        return None
    return {
        "version": "4.0",
        "vectorString": c.clean_vector(),
        "baseScore": float(c.base_score),
        "baseSeverity": str(c.severity).upper(),
    }


def _ssvc(score: ScoreInfo, vuln: VulnInfo) -> dict[str, Any] | None:
    """An SSVC v2 SelectionList (CSAF 2.1 metrics content ``ssvc_v2``) of the decision inputs."""
    from taxonomy import ssvc

    try:
        table = ssvc.table(score.ssvc_table or "")
    except ssvc.SsvcError:
        return None
    selections = []
    for key, value in score.ssvc_inputs:
        try:
            point = table.point(key)
            chosen = point.value(value)
        except (ssvc.SsvcError, KeyError):
            return None
        namespace, dp_key, version = point.id.split(":")
        selections.append(
            {"namespace": namespace, "key": dp_key, "version": version, "name": point.name,
             "values": [{"key": chosen.key, "name": chosen.name}]}
        )  # fmt: skip
    if not selections:
        return None
    doc: dict[str, Any] = {
        "schemaVersion": "2.0.0",
        "timestamp": _ts(score.at),
        "selections": selections,
    }
    if vuln.cve:
        doc["target_ids"] = [vuln.cve]
    return doc


def _tracking(c: AdvisoryContent, tx: Any) -> dict[str, Any]:
    """Semantic versions: publication n is ``n.0.0``; a draft before the first publication is
    ``0.1.0`` (6.1.17: 0.y.z only in drafts), a draft after publication n is ``n.1.0``."""
    history = [
        {
            "date": _ts(r.date),
            "number": f"{r.number}.0.0",
            "summary": r.summary
            or (tx("Initial publication.") if r.number == 1 else tx("Updated publication.")),
        }
        for r in c.revisions
    ]
    published = c.status == "published" and bool(history)
    if published:
        version = history[-1]["number"]
        current = c.revisions[-1].date
    else:
        version = f"{c.revisions[-1].number if c.revisions else 0}.1.0"
        current = c.generated_at
        history.append(
            {"date": _ts(current), "number": version, "summary": tx("Draft, not published.")}
        )
    initial = c.revisions[0].date if c.revisions else c.created_at
    try:
        engine_version = metadata.version("accord")
    except metadata.PackageNotFoundError:
        engine_version = "0"
    return {
        "id": c.case_key,
        "status": "final" if published else "draft",
        "version": version,
        "initial_release_date": _ts(initial),
        "current_release_date": _ts(current),
        "revision_history": history,
        "generator": {
            "date": _ts(c.generated_at),
            "engine": {"name": "Accord", "version": engine_version},
        },
    }


def _distribution(c: AdvisoryContent, tx: Callable[[str], str]) -> str:
    """The TLP label's text, and the embargo while it runs: the advisory carries it."""
    text = tx(TLP_LABELS[c.tlp])
    if c.embargo_until is not None and c.embargo_until > c.generated_at:
        text += " " + tx("Embargoed until {date}.").format(date=c.embargo_until.isoformat())
    return text


def build(c: AdvisoryContent, version: str = "2.0", profile: str = "advisory") -> dict[str, Any]:
    """The CSAF document of an advisory in one language (not yet validated)."""
    if version not in VERSIONS:
        raise UsageError(_("unknown CSAF version {v}; choose 2.0 or 2.1").format(v=version))
    if profile not in PROFILES:
        raise UsageError(
            _("unknown CSAF profile {p}; choose {choices}").format(
                p=profile, choices=", ".join(PROFILES)
            )
        )
    if not c.vulnerabilities:
        raise AccordError(
            _("case {key} has no vulnerability recorded; CSAF needs at least one").format(
                key=c.case_key
            )
        )
    if not c.products:
        raise AccordError(
            _("case {key} has no affected model or system; CSAF needs a product tree").format(
                key=c.case_key
            )
        )

    def tx(message: str) -> str:
        return gettext_in(c.language, message)

    v21 = version == "2.1"
    texts = c.texts
    fixed_ids = {f for _a, f in c.fixed_for}  # fixed versions: never "affected" by default
    all_pids = tuple(p.product_id for p in c.products if p.product_id not in fixed_ids)
    tlp = c.tlp if v21 else {"CLEAR": "WHITE", "AMBER+STRICT": "AMBER"}.get(c.tlp, c.tlp)
    document: dict[str, Any] = {
        "category": PROFILES[profile],
        "csaf_version": version,
        "lang": bcp47(c.language),
        "title": texts["title"] or c.case_key,
        "publisher": {"category": "coordinator", "name": c.organisation, "namespace": c.namespace},
        "distribution": {"tlp": {"label": tlp, "url": TLP_URL}, "text": _distribution(c, tx)},
        "tracking": _tracking(c, tx),
    }
    if c.language != c.source_language:
        document["source_lang"] = bcp47(c.source_language)
    notes = []
    for name, category in (
        ("summary", "summary"),
        ("description", "description"),
        ("affected", "general"),
        ("impact", "general"),
        ("timeline", "general"),
    ):
        if texts[name].strip():
            notes.append(
                {"category": category, "text": texts[name], "title": tx(FIELD_LABELS[name])}
            )
    if c.fallback_fields:
        notes.append(
            {
                "category": "other",
                "title": tx("Translation"),
                "text": tx("Some sections are not yet translated and appear in {lang}.").format(
                    lang=bcp47(c.source_language)
                ),
            }
        )
    document["notes"] = notes
    references: list[dict[str, Any]] = []
    seen: set[str] = set()
    for v in c.vulnerabilities:
        for url, summary, category in v.references:
            if url not in seen:
                seen.add(url)
                references.append(
                    {"category": "self" if category == "self" else "external", "summary": summary,
                     "url": url}
                )  # fmt: skip
    for url in _URL.findall(texts["references"]):
        url = url.rstrip(".,;)")
        if url not in seen:
            seen.add(url)
            references.append({"category": "external", "summary": url, "url": url})
    if references:
        document["references"] = references
    if texts["credits"].strip():
        document["acknowledgments"] = acknowledgments(c, texts["credits"])
    if c.severity is not None:
        document["aggregate_severity"] = {
            "text": tx(TIER_LABELS.get(c.severity.tier, c.severity.tier))
        }

    vulnerabilities = [
        _vulnerability(c, v, list(v.product_ids or all_pids), tx, v21, profile)
        for v in c.vulnerabilities
    ]

    doc: dict[str, Any] = {}
    if v21:
        doc["$schema"] = SCHEMA_21
    doc["document"] = document
    doc["product_tree"] = product_tree(c.products, tx, v21)
    doc["vulnerabilities"] = vulnerabilities
    return doc


def _vulnerability(
    c: AdvisoryContent,
    v: VulnInfo,
    pids: list[str],
    tx: Callable[[str], str],
    v21: bool,
    profile: str,
) -> dict[str, Any]:
    """One vulnerability (3.2.3): ids, CWE, notes, product statuses, remediations, scores,
    threats and acknowledgments."""
    texts = c.texts
    item: dict[str, Any] = {}
    if v.cve:
        item["cve"] = v.cve
    if v.ids:
        item["ids"] = [{"system_name": system, "text": text} for system, text in v.ids]
    if v.cwe and (cwe_name := _cwe_name(v.cwe)):
        cwe = {"id": v.cwe.upper(), "name": cwe_name}
        if v21:
            cwe["version"] = _cwe_catalog_version()
        item["cwes" if v21 else "cwe"] = [cwe] if v21 else cwe
    if v.title:
        item["title"] = v.title
    description = texts["description"] if len(c.vulnerabilities) == 1 else v.description
    notes = []
    if description.strip():
        notes.append({"category": "description", "text": description, "title": tx("Description")})
    if not v21 and v.cvss4 and not v.cvss3:
        notes.append(_cvss4_only_note(v.cvss4, tx))
    if notes:
        item["notes"] = notes
    status = item["product_status"] = product_status(pids, c)
    remediations = _remediations(c, status, tx, profile)
    if remediations:
        item["remediations"] = remediations
    scores = _scores(v, pids, v21)
    if scores:
        item["metrics" if v21 else "scores"] = scores
    threats = _threats(c, status, pids, tx, profile)
    if threats:
        item["threats"] = threats
    if texts["credits"].strip():
        item["acknowledgments"] = acknowledgments(c, texts["credits"])
    return item


def _cvss4_only_note(score: ScoreInfo, tx: Callable[[str], str]) -> dict[str, Any]:
    """Say so where the only score is CVSS 4.0, which CSAF 2.0 cannot carry."""
    text = tx(
        "Scored with CVSS 4.0 ({vector}, base score {score}). CSAF 2.0 cannot carry CVSS 4.0 "
        "scores; the CSAF 2.1 version of this advisory does."
    ).format(vector=score.cvss_vector or "", score=score.cvss_score)
    return {"category": "other", "title": tx("Score"), "text": text}


def _fixing(c: AdvisoryContent, affected: list[str]) -> dict[str, list[str]]:
    """Fixed product id → the affected product ids it fixes (a vendor named the version)."""
    out: dict[str, list[str]] = {}
    for pid, fixed in c.fixed_for:
        if pid in affected:
            out.setdefault(fixed, []).append(pid)
    return out


def _remediations(
    c: AdvisoryContent, status: dict[str, list[str]], tx: Callable[[str], str], profile: str
) -> list[dict[str, Any]]:
    """A vendor fix naming the fixed version for the products it fixes, the advisory's own
    remediation and workaround texts; a fix or workaround for a product that is not affected
    contradicts its status, so those get none. A VEX document gives every affected product an
    action statement, "none available" where nothing else is known (test 6.1.27.10)."""
    texts = c.texts
    fixable = [p for g in ("known_affected", "under_investigation") for p in status.get(g, [])]
    names = {p.product_id: p.label for p in c.products}
    out: list[dict[str, Any]] = []
    for fixed, pids in _fixing(c, status.get("known_affected", [])).items():
        details = tx("Update to {product}, which fixes it.").format(product=names[fixed])
        if texts["remediation"].strip():
            details += "\n\n" + texts["remediation"]
        out.append({"category": "vendor_fix", "details": details, "product_ids": pids})
    covered = {p for r in out for p in r["product_ids"]}
    rest = [p for p in fixable if p not in covered]
    if texts["remediation"].strip() and rest:
        out.append({"category": "vendor_fix", "details": texts["remediation"], "product_ids": rest})
    if texts["mitigation"].strip() and fixable:
        out.append(
            {"category": "workaround", "details": texts["mitigation"], "product_ids": fixable}
        )
    covered = {p for r in out for p in r["product_ids"]}
    bare = [p for p in status.get("known_affected", []) if p not in covered]
    if profile == "vex" and bare:
        out.append(
            {"category": "none_available", "details": tx("No remediation is known yet."),
             "product_ids": bare}
        )  # fmt: skip
    return out


def _threats(
    c: AdvisoryContent,
    status: dict[str, list[str]],
    pids: list[str],
    tx: Callable[[str], str],
    profile: str,
) -> list[dict[str, Any]]:
    """The impact text for the affected products; in VEX, each product that is not affected
    with its vendor's statement as the impact statement (test 6.1.27.9)."""
    out: list[dict[str, Any]] = []
    unaffected = status.get("known_not_affected", [])
    affected = [p for p in pids if p not in unaffected]
    if c.texts["impact"].strip() and affected:
        out.append({"category": "impact", "details": c.texts["impact"], "product_ids": affected})
    if profile != "vex" or not unaffected:
        return out
    said = dict(c.vendor_statements)
    vendor_of = {p.product_id: p.vendor or "" for p in c.products}
    by_vendor: dict[str, list[str]] = {}
    for pid in unaffected:
        by_vendor.setdefault(vendor_of.get(pid, ""), []).append(pid)
    for vendor, group in by_vendor.items():
        statement = said.get(name_key(vendor)) if vendor else None
        details = statement or tx("{vendor} states that these products are not affected.").format(
            vendor=vendor or tx("The vendor")
        )
        out.append({"category": "impact", "details": details, "product_ids": group})
    return out


# A vendor party's determination (app.parties) as a CSAF product status group (3.2.3.9).
PARTY_STATUS_GROUPS = {
    "affected": "known_affected",
    "not-affected": "known_not_affected",
    "fixed": "known_affected",  # the listed versions stay affected; their fix goes to "fixed"
    "under-investigation": "under_investigation",
}


def product_status(pids: list[str], c: AdvisoryContent) -> dict[str, list[str]]:
    """Each product in the group its vendor's latest status says; a product whose vendor said
    nothing (or is not a party) stays ``known_affected``, as the case lists it as affected.

    "fixed" does not make the listed (affected) versions fixed, which would tell a consumer
    running one that it is safe: they stay ``known_affected`` and the fixed version the vendor
    named is listed under ``fixed`` (CSAF 2.1 test 6.1.27.13 wants both)."""
    said = dict(c.vendor_statuses)
    vendor_of = {p.product_id: name_key(p.vendor) if p.vendor else "" for p in c.products}
    fixed_for = dict(c.fixed_for)
    groups: dict[str, list[str]] = {}
    for pid in pids:
        status = said.get(vendor_of.get(pid, ""), "affected")
        groups.setdefault(PARTY_STATUS_GROUPS.get(status, "known_affected"), []).append(pid)
        fixed = fixed_for.get(pid) if status == "fixed" else None
        if fixed and fixed not in groups.get("fixed", []):
            groups.setdefault("fixed", []).append(fixed)
    return groups


def acknowledgments(c: AdvisoryContent, summary: str) -> list[dict[str, Any]]:
    """The credits text, with the reporter parties' credited names (CSAF 3.2.1.1)."""
    ack: dict[str, Any] = {"summary": summary}
    if c.credits:
        ack["names"] = list(c.credits)
    return [ack]


def _scores(v: VulnInfo, pids: list[str], v21: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cvss3 = _cvss3(v.cvss3) if v.cvss3 else None
    if not v21:
        if cvss3:
            out.append({"cvss_v3": cvss3, "products": pids})
        return out
    if cvss3:
        out.append({"content": {"cvss_v3": cvss3}, "products": pids})
    cvss4 = _cvss4(v.cvss4) if v.cvss4 else None
    if cvss4:
        out.append({"content": {"cvss_v4": cvss4}, "products": pids})
    ssvc = _ssvc(v.ssvc, v) if v.ssvc else None
    if ssvc:
        out.append({"content": {"ssvc_v2": ssvc}, "products": pids})
    return out


def validate(doc: dict[str, Any], version: str = "2.0") -> list[Finding]:
    """Schema plus the mandatory tests of the ``csaf`` package (CSAF section 6.1), offline."""
    if version == "2.0":
        from csaf.csaf.v20._validator import validate as run
    else:
        from csaf import validate as run
    report = run(doc, preset="mandatory")
    findings = []
    for result in report.results:
        if result.passed or result.skipped or result.group == "informative":
            continue
        message = result.errors[0].message if result.errors else ""
        if result.errors and result.errors[0].instance_path:
            message = f"{result.errors[0].instance_path}: {message}"
        findings.append(Finding(result.id, result.title, message))
    return findings


def refusal(findings: list[Finding]) -> AccordError:
    return AccordError(
        _("CSAF export refused, the document fails test {tests}").format(
            tests="; ".join(str(f) for f in findings)
        )
    )


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export(
    c: AdvisoryContent, out: Path, version: str = "2.0", profile: str = "advisory"
) -> dict[str, Any]:
    """Build, validate and only then write; an invalid document is refused, naming the test."""
    doc = build(c, version, profile)
    findings = validate(doc, version)
    if findings:
        raise refusal(findings)
    files.write_private(out, dumps(doc))
    return doc
