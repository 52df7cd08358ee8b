"""Damaged bundles: a flipped byte, a CRC mismatch, a truncated zip and a non-zip are refused
(exit 4, a clear reason, the import quarantined), never a zlib/BadZipFile traceback."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MANIFEST = json.dumps({"format": "accord-bundle", "padding": "x" * 4000}).encode()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", MANIFEST)
        zf.writestr("manifest.json.asc", b"-----BEGIN PGP SIGNATURE-----\n")
    return buf.getvalue()


def _flipped_byte() -> bytes:
    data = bytearray(_zip())
    # The first member's compressed data starts after its 30-byte local header and name.
    start = 30 + len("manifest.json")
    data[start + 5] ^= 0xFF
    return bytes(data)


def _crc_mismatch() -> bytes:
    data = bytearray(_zip())
    central = data.find(b"PK\x01\x02")  # the central directory entry of manifest.json
    crc = struct.unpack_from("<I", data, central + 16)[0]
    struct.pack_into("<I", data, central + 16, crc ^ 0x1)
    struct.pack_into("<I", data, 14, crc ^ 0x1)  # and its local header, consistently
    return bytes(data)


DAMAGED: dict[str, Callable[[], bytes]] = {
    "flipped-byte": _flipped_byte,
    "crc-mismatch": _crc_mismatch,
    "truncated": lambda: _zip()[: len(_zip()) // 2],
    "not-a-zip": lambda: b"this is not a bundle at all\n" * 20,
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_damaged_bundle_is_refused_with_exit_4(
    initialised_cli: Any, tmp_path: Path, damage: str
) -> None:
    cli = initialised_cli
    assert cli("org", "key", "generate").code == 0
    path = tmp_path / f"{damage}.bundle"
    path.write_bytes(DAMAGED[damage]())

    verified = cli("bundle", "verify", str(path), "--json")
    assert verified.code == 4, (verified.out, verified.err)
    assert "Traceback" not in verified.err and "zlib" not in verified.err
    body = verified.json()
    assert body["valid"] is False and body["reason"]

    imported = cli("bundle", "import", str(path), "--json")
    assert imported.code == 4, (imported.out, imported.err)
    assert "Traceback" not in imported.err
    result = imported.json()
    assert result["imported"] is False and result["reason"] == body["reason"]
    qid = result["quarantine_id"]
    listed = cli("quarantine", "list", "--json").json()
    assert [q["id"] for q in listed] == [qid]
    assert listed[0]["reason"] == body["reason"] and listed[0]["kind"] == "bundle"
