"""Intake flags hazardous attachments with their reasons (issue 12, item 6): the hostile
e-mail of the red-team pass was stored with every attachment ``hazardous=0``."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import stat
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.intake import bulk, hazard, import_paths
from app.workspaces.lifecycle import Workspace
from models import Attachment

# Built from parts so that no file of this repository is itself the test signature.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-" + b"TEST-FILE!$H+H*"
# A DOS header whose e_lfanew (offset 0x3C) points at a "PE\0\0" signature (PE/COFF spec).
PE = b"MZ" + b"\x90" * 58 + (64).to_bytes(4, "little") + b"PE\x00\x00" + b"\x4c\x01" + b"\0" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


class _Payload:
    """Stands for any object whose unpickling runs code (never unpickled here)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


HOSTILE: dict[str, tuple[bytes, set[str]]] = {
    "eicar.txt": (EICAR, {"test-signature"}),
    "payload.exe": (PE, {"executable"}),
    "model.pkl": (pickle.dumps(_Payload()), {"pickle"}),
    "bomb.zip": (_zip([("zeros.bin", b"\0" * 20_000_000)]), {"archive", "archive-bomb"}),
    "../evil.txt": (b"just text", {"hostile-name"}),
    "invoice.pdf": (PE, {"executable", "mismatched-extension"}),
}
HARMLESS: dict[str, bytes] = {
    "notes.txt": b"Steps to reproduce: ask the model for its system prompt.\n",
    "screenshot.png": PNG,
    "advisory.pdf": PDF,
}


def _hostile_mail(path: Path) -> Path:
    msg = EmailMessage()
    msg["From"] = "reporter@example.org"
    msg["To"] = "cert@example.org"
    msg["Subject"] = "Model theft through the inference API of SummarAI 1.4"
    msg["Message-ID"] = "<hazard-1@example.org>"
    msg.set_content("The attached files reproduce CVE-2026-30001 in SummarAI 1.4.")
    for name, (data, _reasons) in {
        **HOSTILE,
        **{k: (v, set()) for k, v in HARMLESS.items()},
    }.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    path.write_bytes(bytes(msg))
    return path


def _stored(ws: Workspace) -> dict[str, Attachment]:
    with ws.session() as s:
        rows = list(s.scalars(select(Attachment)))
        s.expunge_all()
    return {a.filename: a for a in rows}


def _assert_classified(stored: dict[str, Attachment]) -> None:
    assert set(stored) == set(HOSTILE) | set(HARMLESS)
    for name, (_data, reasons) in HOSTILE.items():
        a = stored[name]
        assert a.hazardous, name
        assert set(a.hazard_reasons) == reasons, (name, a.hazard_reasons)
        assert a.hazard_kind == a.hazard_reasons[0]
    for name in HARMLESS:
        a = stored[name]
        assert not a.hazardous and a.hazard_reasons == [] and a.hazard_kind is None, name


def test_hostile_email_attachments_are_flagged_with_their_reasons(
    any_ws: Workspace, tmp_path: Path
) -> None:
    result = import_paths(any_ws, [_hostile_mail(tmp_path / "hostile.eml")])
    assert result.imported == 1, result.rejected
    _assert_classified(_stored(any_ws))


def test_one_by_one_storing_flags_them_too(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails is stored document by document (store.py): the same classification."""

    def broken_plan(*_a: object, **_k: object) -> None:
        raise RuntimeError("run refused")

    monkeypatch.setattr(bulk, "plan", broken_plan)
    result = import_paths(ws, [_hostile_mail(tmp_path / "hostile.eml")])
    assert result.imported == 1, result.rejected
    _assert_classified(_stored(ws))


def test_report_and_case_show_list_hazards(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    assert cli("import", str(_hostile_mail(tmp_path / "hostile.eml"))).code == 0
    shown = cli("report", "show", "1", "--json")
    assert shown.code == 0, shown.err
    listed = {a["filename"]: a for a in shown.json()["attachments"]}
    assert listed["payload.exe"]["hazardous"] is True
    assert listed["payload.exe"]["hazard_reasons"] == ["executable"]
    assert listed["invoice.pdf"]["hazard_reasons"] == ["executable", "mismatched-extension"]
    assert listed["notes.txt"]["hazardous"] is False and listed["notes.txt"]["hazard_reasons"] == []
    case = cli("case", "show", shown.json()["case"], "--json")
    assert {a["filename"] for a in case.json()["attachments"]} == set(listed)
    text = cli("report", "show", "1").out
    assert "HAZARDOUS: executable program" in text
    assert "../evil.txt" in text


def test_saving_a_hazardous_attachment_needs_acceptance(
    initialised_cli: Any, tmp_path: Path
) -> None:
    cli = initialised_cli
    assert cli("import", str(_hostile_mail(tmp_path / "hostile.eml"))).code == 0
    listed = {a["filename"]: a for a in cli("report", "show", "1", "--json").json()["attachments"]}
    exe, txt = listed["payload.exe"]["id"], listed["notes.txt"]["id"]
    out = tmp_path / "out.bin"
    refused = cli("report", "attachment", str(exe), "--out", str(out))
    assert refused.code == 1 and "hazardous" in refused.err and not out.exists()
    saved = cli("report", "attachment", str(exe), "--out", str(out), "--accept-hazard")
    assert saved.code == 0, saved.err
    assert out.read_bytes() == PE and stat.S_IMODE(out.stat().st_mode) == 0o600
    plain = tmp_path / "notes.txt"
    assert cli("report", "attachment", str(txt), "--out", str(plain)).code == 0
    assert plain.read_bytes() == HARMLESS["notes.txt"]
    log = json.dumps(cli("audit", "log", "--json").json())
    assert "attachment.save" in log


# The classifier itself, case by case: (name, bytes, expected reasons).
def _npy(descr: str) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}".encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16


def _safetensors() -> bytes:
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    return len(header).to_bytes(8, "little") + header + b"\0" * 8


KERAS_LAMBDA = json.dumps(
    {"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {}}]}}
).encode()
CASES: list[tuple[str, bytes, set[str]]] = [
    ("notes.txt", b"Plain words, ending with a full stop.", set()),
    ("data.json", b'{"a": 1}', set()),
    ("weights.safetensors", _safetensors(), set()),
    ("model.gguf", b"GGUF\x03\x00\x00\x00" + b"\0" * 16, set()),
    ("model.onnx", b"\x08\x07\x12\x07pytorch", set()),
    ("floats.npy", _npy("<f4"), set()),
    (
        "report.docx",
        _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")]),
        set(),
    ),
    ("page.html", b"<p>Proof of concept below.</p>", set()),
    ("objects.npy", _npy("|O"), {"pickle"}),
    ("protocol0.bin", pickle.dumps({"a": [1, 2]}, protocol=0), {"pickle"}),
    ("protocol1.dat", pickle.dumps({"a": [1, 2]}, protocol=1), {"pickle"}),
    (
        "checkpoint.bin",
        _zip([("archive/data.pkl", pickle.dumps(1)), ("archive/data/0", b"x")]),
        {"pickle"},
    ),
    ("model.pt", b"\x80\x02" + pickle.dumps(1)[2:], {"pickle"}),
    ("model.joblib", b"x\x9c compressed", {"pickle"}),
    (
        "model.keras",
        _zip([("config.json", KERAS_LAMBDA), ("model.weights.h5", b"\x89HDF")]),
        {"model-code"},
    ),
    ("model.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 32 + KERAS_LAMBDA, {"model-code"}),
    (
        "macro.docm",
        _zip([("[Content_Types].xml", b"<T/>"), ("word/vbaProject.bin", b"v")]),
        {"office-macro"},
    ),
    (
        "fake.docx",
        _zip([("[Content_Types].xml", b"<T/>"), ("word/vbaProject.bin", b"v")]),
        {"office-macro"},
    ),
    (
        "legacy.doc",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "_VBA_PROJECT".encode("utf-16-le"),
        {"office-macro"},
    ),
    ("tool", b"\x7fELF\x02\x01\x01" + b"\0" * 9, {"executable"}),
    ("tool.dylib", b"\xcf\xfa\xed\xfe" + b"\0" * 12, {"executable"}),
    ("run.sh", b"echo hi\n", {"script"}),
    ("run", b"#!/bin/sh\necho hi\n", {"script"}),
    ("poc.ps1", b"Write-Host hi", {"script"}),
    ("page.htm", b"<img src=x onerror=alert(1)>", {"script"}),
    ("bundle.7z", b"7z\xbc\xaf\x27\x1c\x00\x04", {"archive"}),
    ("bundle.rar", b"Rar!\x1a\x07\x01\x00", {"archive"}),
    ("logs.tar.gz", gzip.compress(b"log line\n" * 10), {"archive"}),
    ("zeros.gz", gzip.compress(b"\0" * 5_000_000), {"archive", "archive-bomb"}),
    ("inner.zip", _zip([("x/run.exe", PE)]), {"archive", "executable"}),
    ("scan.png", PE, {"executable", "mismatched-extension"}),
    ("notes.txt", b"PK\x03\x04garbage", {"archive", "mismatched-extension"}),
    ("weights.safetensors", pickle.dumps(1), {"pickle", "mismatched-extension"}),
    ("invoice\u202efdp.exe", b"x", {"executable", "hostile-name"}),
    ("nul\x00.txt", b"x", {"hostile-name"}),
    ("bell\x07.txt", b"x", {"hostile-name"}),
    ("/etc/passwd", b"x", {"hostile-name"}),
    ("..\\..\\evil.txt", b"x", {"hostile-name"}),
    ("CON.txt", b"x", {"hostile-name"}),
    ("readme.txt:stream", b"x", {"hostile-name"}),
    ("report.pdf.exe", b"x", {"executable"}),
    ("report.exe. ", b"x", {"executable", "hostile-name"}),
    ("eicar.com.txt", b"junk before " + EICAR, {"test-signature"}),
]


@pytest.mark.parametrize(("name", "data", "reasons"), CASES, ids=[repr(c[0]) for c in CASES])
def test_classifier(name: str, data: bytes, reasons: set[str]) -> None:
    found = hazard.classify(name, data)
    assert set(found.reasons) == reasons
    assert found.hazardous == bool(reasons)
    # Reasons come most telling first, and each has a label to show.
    assert list(found.reasons) == [r for r in hazard.ORDER if r in reasons]
    assert all(hazard.describe(r) != r for r in found.reasons)


def test_safe_and_shown_names() -> None:
    assert hazard.safe_name("../../evil.txt") == "evil.txt"
    assert hazard.safe_name("invoice\u202efdp.exe") == "invoice_fdp.exe"
    assert hazard.safe_name("..") == "attachment"
    assert hazard.safe_name("con.txt") == "_con.txt"
    assert hazard.shown_name("invoice\u202efdp.exe") == "invoice\\u202efdp.exe"
    assert hazard.shown_name("レポート 1.txt") == "レポート 1.txt"
