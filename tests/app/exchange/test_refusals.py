"""Every refusal, each with a crafted bundle: refused with its reason, quarantined, unmerged."""

from __future__ import annotations

import io
import json
import stat
import zipfile

import pytest
from sqlalchemy import func, select

from app.exchange import bundle_format, export, holding, importer, keys, partners, pgp
from app.exchange.bundle_format import Limits
from models import Assessment, AuditEvent, Bundle, Case, QuarantineItem
from tests.app.exchange.conftest import Org, base_manifest, befriend, craft, make_org, open_case

CASE = {
    "format": "accord-case",
    "format_version": 1,
    "key": "ACC-2026-0007",
    "origin": {"org_fingerprint": "", "case": "ACC-2026-0007"},
    "title": "Leak",
    "assessments": [
        {
            "model_id": "accord-severity",
            "model_version": "1.0",
            "tier": "Low",
            "created_at": "2026-11-27T10:00:00+00:00",
        }
    ],
}


def _case_files(sender: Org) -> dict[str, bytes]:
    doc = {**CASE, "origin": {"org_fingerprint": sender.fingerprint, "case": "ACC-2026-0007"}}
    return {"cases/ACC-2026-0007.json": json.dumps(doc).encode()}


def _refused(
    org: Org, data: bytes, fragment: str, check: str, limits: Limits | None = None
) -> None:
    with org.ws.session() as s:
        result = importer.import_bundle(
            s, org.ws.require_actor(), data, name="crafted.zip", limits=limits
        )
    assert not result.imported
    assert fragment in (result.report.reason or ""), result.report.reason
    assert result.report.failed_check == check
    assert org.case_count() == 0
    with org.ws.session() as s:
        item = s.get(QuarantineItem, result.quarantine_id)
        assert item is not None and item.kind == "bundle" and item.reason == result.report.reason
        assert s.scalar(select(func.count()).select_from(Assessment)) == 0
        assert s.scalar(select(Bundle.id).where(Bundle.direction == "in")) is None
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.refused"))
        assert ev is not None and ev.details["check"] == check


def test_control_crafted_bundle_is_accepted(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    with a.ws.session() as s:
        result = importer.import_bundle(
            s, a.ws.require_actor(), craft(b, base_manifest(b, a), _case_files(b))
        )
    assert result.imported, result.report.reason
    assert result.assessments == 1


def test_unknown_signer(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    stranger = make_org("CERT-X")
    _refused(
        a,
        craft(stranger, base_manifest(stranger, a), _case_files(stranger)),
        "unknown signer",
        "signer",
    )
    stranger.ws.engine.dispose()


def test_unverified_signer(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    c = make_org("CERT-C")
    befriend(a, c, verify=False)
    _refused(a, craft(c, base_manifest(c, a), _case_files(c)), "unverified signer", "signer")
    c.ws.engine.dispose()


def test_revoked_signer(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    secret, pw = b.secret()
    tsk = pgp._tsk(secret)
    cert = pgp.parse_cert(b.certificate)
    revoked = cert.merge(
        pgp.ps.Cert.from_bytes(bytes(cert) + bytes(cert.revoke(tsk.certifier(pw))))
    )
    with a.ws.session() as s:
        info = partners.add_key(s, a.ws.require_actor(), "CERT-B", str(revoked))
    assert info.keys[0].validity == "revoked"
    _refused(a, craft(b, base_manifest(b, a), _case_files(b)), "revoked", "signer")


def test_bad_signature(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), _case_files(b), sign_bytes=b"something else")
    _refused(a, data, "bad signature", "signature")


def test_sender_in_manifest_must_be_the_signer(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    m = base_manifest(b, a)
    m["sender"] = {"name": "CERT-A", "fingerprint": a.fingerprint}
    _refused(a, craft(b, m, _case_files(b)), "was signed by", "signer")


def test_hash_mismatch(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    files = _case_files(b)
    m = base_manifest(b, a)
    m["files"] = [
        {
            "path": "cases/ACC-2026-0007.json",
            "sha256": "0" * 64,
            "size": len(files["cases/ACC-2026-0007.json"]),
        }
    ]
    _refused(a, craft(b, m, files), "SHA-256 mismatch", "hash")


def test_file_not_in_manifest(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), _case_files(b), extra={"cases/evil.json": b"{}"})
    _refused(a, data, "not in the manifest", "hash")


def test_file_in_manifest_but_missing(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    m = base_manifest(b, a)
    m["files"] = [{"path": "cases/gone.json", "sha256": "0" * 64, "size": 2}]
    _refused(a, craft(b, m, {}), "missing from the bundle", "hash")


def test_replayed_bundle_id(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), _case_files(b))
    with a.ws.session() as s:
        assert importer.import_bundle(s, a.ws.require_actor(), data).imported
    n = a.case_count()
    with a.ws.session() as s:
        result = importer.import_bundle(s, a.ws.require_actor(), data)
    assert not result.imported and "replayed bundle" in (result.report.reason or "")
    assert a.case_count() == n


def test_old_sequence_number(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    k1, k2 = open_case(b, "first"), open_case(b, "second")
    with b.ws.session() as s:
        first = export.export_bundle(s, b.ws.require_actor(), ["CERT-A"], [k1], "GREEN").data
    with b.ws.session() as s:
        second = export.export_bundle(s, b.ws.require_actor(), ["CERT-A"], [k2], "GREEN").data
    # The second arrives first: held for the first, until a coordinator gives the first up.
    with a.ws.session() as s:
        held = importer.import_bundle(s, a.ws.require_actor(), second)
        assert held.held and held.held_id is not None
    with a.ws.session() as s:
        assert holding.accept(s, a.ws.require_actor(), str(held.held_id), "first lost").imported
    with a.ws.session() as s:
        result = importer.import_bundle(s, a.ws.require_actor(), first)
    assert not result.imported
    assert "old sequence number 1" in (result.report.reason or "")
    assert a.case_count() == 1


def _raw_zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name",
    ["../../etc/cron.d/x", "/etc/passwd", "cases\\..\\x.json", "cases/../../x.json", "C:/x.json"],
)
def test_path_traversal(orgs: tuple[Org, Org], name: str) -> None:
    a, _b = orgs
    data = _raw_zip([("manifest.json", b"{}"), ("manifest.json.asc", b""), (name, b"x")])
    _refused(a, data, "unsafe path", "path")


def test_symlink_member(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    link = zipfile.ZipInfo("cases/link.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = _raw_zip([("manifest.json", b"{}"), ("manifest.json.asc", b""), (link, b"/etc/passwd")])
    _refused(a, data, "link or special file", "path")


def test_oversize_bundle(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), _case_files(b))
    _refused(a, data, "oversize bundle", "size", Limits(max_bundle_bytes=len(data) - 1))


def test_oversize_member(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), {"attachments/big.bin": b"x" * 5000})
    _refused(a, data, "oversize file", "size", Limits(max_file_bytes=4096))


def test_zip_bomb(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a), {"attachments/zeros.bin": bytes(2 * 1024 * 1024)})
    _refused(a, data, "zip bomb", "size")


def test_not_a_zip(orgs: tuple[Org, Org]) -> None:
    a, _b = orgs
    _refused(a, b"PK\x03\x04 this is not really a zip", "not a zip", "structure")


def test_encrypted_to_someone_else(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = pgp.encrypt(craft(b, base_manifest(b, a), _case_files(b)), [b.certificate])
    _refused(a, data, "not to any key of this organisation", "decrypt")


def test_not_addressed_to_us(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    c = make_org("CERT-C")
    _refused(a, craft(b, base_manifest(b, c), _case_files(b)), "not addressed", "recipient")
    c.ws.engine.dispose()


def test_tlp_not_accepted_by_policy(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    with a.ws.session() as s:
        bundle_format.set_accepted_tlp(s, a.ws.require_actor(), ["CLEAR", "GREEN", "AMBER"])
    key = open_case(b)
    with b.ws.session() as s:
        data = export.export_bundle(s, b.ws.require_actor(), ["CERT-A"], [key], "RED").data
    _refused(a, data, "TLP:RED is not accepted", "tlp")


def test_confidential_tlp_must_arrive_encrypted(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    data = craft(b, base_manifest(b, a, tlp="AMBER"), _case_files(b))
    _refused(a, data, "must arrive encrypted", "tlp")


def test_old_keys_still_decrypt_and_verify_after_rollover(orgs: tuple[Org, Org]) -> None:
    """A bundle made before both sides rolled their keys over still imports."""
    a, b = orgs
    key = open_case(b)
    with b.ws.session() as s:
        old = export.export_bundle(s, b.ws.require_actor(), ["CERT-A"], [key], "AMBER").data
    with a.ws.session() as s:
        keys.generate(s, a.ws.require_actor(), replace=True)
        assert len(keys.all_keys(s)) == 2
    stranger = make_org("CERT-B-new")
    with a.ws.session() as s:
        info = partners.add_key(s, a.ws.require_actor(), "CERT-B", stranger.certificate)
    assert [k.current for k in info.keys] == [True, False]
    with a.ws.session() as s:
        assert importer.import_bundle(s, a.ws.require_actor(), old).imported
    stranger.ws.engine.dispose()


def test_folder_entries_from_zip_tools_are_harmless(orgs: tuple[Org, Org]) -> None:
    """A partner re-zipping with ``zip -r`` adds folder entries; they are not files."""
    a, b = orgs
    data = craft(b, base_manifest(b, a), _case_files(b))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        dst.writestr(zipfile.ZipInfo("cases/"), b"")
        for info in src.infolist():
            dst.writestr(info, src.read(info))
    with a.ws.session() as s:
        result = importer.import_bundle(s, a.ws.require_actor(), buf.getvalue())
    assert result.imported, result.report.reason
    with a.ws.session() as s:
        assert s.scalar(select(Case.partners_label)) == "CERT-B"
