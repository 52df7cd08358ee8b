"""A case's affected products, AI models and systems: name, vendor, version or range, hash,
purl. Ranges go through the one version-range model (app/versions), stored as ``vers:``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.casework.editing import edit, record, reindex
from app.errors import NotFound, UsageError
from app.identity.actor import Actor
from app.versions import ranges, sources
from app.versions import text as version_text
from i18n import N_, _
from models import AffectedProduct, Case, Vulnerability

KINDS = ("model", "system", "product")
# Their names on screen (marked for the catalogs; the stored value stays the code above).
KIND_LABELS = {"model": N_("AI model"), "system": N_("system"), "product": N_("product")}
_HASH = re.compile(r"^(sha256|sha384|sha512|sha1|md5):([0-9a-f]+)$", re.I)
_HASH_HEX = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "md5": 32}
_PURL = re.compile(r"^pkg:[a-z][a-z0-9.+-]*/\S+$", re.I)


@dataclass(frozen=True)
class Affected:
    """One affected product of a case, as shown and exported."""

    id: int
    vulnerability_id: int
    kind: str
    name: str
    vendor: str | None
    version: str | None
    version_range: str | None
    hash: str | None
    purl: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "vulnerability": self.vulnerability_id,
            "kind": self.kind,
            "name": self.name,
            "vendor": self.vendor,
            "version": self.version,
            "range": self.version_range,
            "hash": self.hash,
            "purl": self.purl,
        }

    def label(self) -> str:
        """Name and version (or range) in one line, for history and screens."""
        parts = [self.vendor or "", self.name, self.version or self.version_range or ""]
        return " ".join(p for p in parts if p)


def _info(p: AffectedProduct) -> Affected:
    return Affected(
        p.id, p.vulnerability_id, p.kind, p.name, p.vendor, p.version, p.version_range,
        p.hash, p.purl,
    )  # fmt: skip


def of_case(session: Session, case: Case) -> list[Affected]:
    return [
        _info(p)
        for p in session.scalars(
            select(AffectedProduct)
            .join(Vulnerability, Vulnerability.id == AffectedProduct.vulnerability_id)
            .where(Vulnerability.case_id == case.id)
            .order_by(AffectedProduct.id)
        )
    ]


def check_hash(value: str) -> str:
    """``algorithm:hex`` with the right length for the algorithm, lower-cased."""
    m = _HASH.match(value.strip())
    if m is None or len(m.group(2)) != _HASH_HEX[m.group(1).lower()]:
        raise UsageError(
            _("{value} is not a hash; write it as sha256:<64 hex digits>").format(value=value)
        )
    return f"{m.group(1).lower()}:{m.group(2).lower()}"


def version_columns(
    version: str | None, version_range: str | None, purl: str | None
) -> tuple[str | None, str | None]:
    """The (version, version_range) columns for what was typed: one version, or a range as a
    ``vers:`` URI in the purl's scheme. A range that states nothing readable is refused."""
    if version and version_range:
        raise UsageError(_("give a version or a range, not both"))
    if version:
        if len(version.strip()) > 100:
            raise UsageError(_("a version is at most 100 characters"))
        return version.strip(), None
    if not version_range:
        return None, None
    scheme = sources.scheme_of_purl(purl)
    try:
        value = version_range.strip()
        rng = (
            ranges.parse_vers(value)
            if value.lower().startswith("vers:")
            else version_text.parse(value, scheme)
        )
    except ranges.InvalidRange:
        raise UsageError(
            _("cannot read the range {range}; write it as vers:semver/>=3.2.0|<=3.4.1 or "
              "'3.2.0 - 3.4.1', 'before 3.4.2', '<= 3.4.1'").format(range=version_range)
        ) from None  # fmt: skip
    return ranges.stored(rng)


def _vulnerability(
    session: Session, actor: Actor, case: Case, vuln_id: int | None
) -> Vulnerability:
    if vuln_id is not None:
        v = session.get(Vulnerability, vuln_id)
        if v is None or v.case_id != case.id:
            raise NotFound(_("{key} has no vulnerability {id}").format(key=case.key, id=vuln_id))
        return v
    v = session.scalar(
        select(Vulnerability).where(Vulnerability.case_id == case.id).order_by(Vulnerability.id)
    )
    if v is None:  # a case opened by hand: its first product names its vulnerability
        v = Vulnerability(case_id=case.id, title=case.title)
        session.add(v)
        session.flush()
        record(session, actor, case, "case.vulnerability.add", {"vulnerability": v.id})
    return v


def add(
    session: Session,
    actor: Actor,
    key: str,
    *,
    name: str,
    vendor: str | None = None,
    version: str | None = None,
    version_range: str | None = None,
    hash: str | None = None,
    purl: str | None = None,
    kind: str = "system",
    vulnerability_id: int | None = None,
    expected_version: int | None = None,
) -> Affected:
    """Add an affected product to the case's vulnerability (its first, unless named)."""
    if not name.strip():
        raise UsageError(_("an affected product needs a name"))
    if kind not in KINDS:
        raise UsageError(
            _("unknown kind {kind}; kinds are: {kinds}").format(kind=kind, kinds=", ".join(KINDS))
        )
    if purl and not _PURL.match(purl.strip()):
        raise UsageError(_("{purl} is not a package URL (pkg:type/name@version)").format(purl=purl))
    digest = check_hash(hash) if hash else None
    ver, rng = version_columns(version, version_range, purl)
    with edit(session, key, expected_version) as case:
        v = _vulnerability(session, actor, case, vulnerability_id)
        p = AffectedProduct(
            vulnerability_id=v.id,
            kind=kind,
            name=name.strip()[:300],
            vendor=(vendor or "").strip()[:300] or None,
            version=ver,
            version_range=rng,
            hash=digest,
            purl=(purl or "").strip()[:500] or None,
        )
        session.add(p)
        session.flush()
        info = _info(p)
        record(
            session, actor, case, "case.affected.add",
            {"product": p.id, "vulnerability": v.id, "text": info.label()},
        )  # fmt: skip
        reindex(session, case)
    return info


def remove(
    session: Session,
    actor: Actor,
    key: str,
    product_id: int,
    *,
    expected_version: int | None = None,
) -> Affected:
    """Remove one affected product of the case, by id (``case show`` lists them)."""
    with edit(session, key, expected_version) as case:
        p = session.get(AffectedProduct, product_id)
        v = session.get(Vulnerability, p.vulnerability_id) if p is not None else None
        if p is None or v is None or v.case_id != case.id:
            raise NotFound(
                _("{key} has no affected product {id}").format(key=case.key, id=product_id)
            )
        info = _info(p)
        session.delete(p)
        record(
            session, actor, case, "case.affected.remove",
            {"product": product_id, "vulnerability": v.id, "text": info.label()},
        )  # fmt: skip
        reindex(session, case)
    return info
