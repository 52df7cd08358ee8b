"""Hostile files are refused with a one-line reason naming the file, kept in quarantine, and
nothing of them is merged; the good documents of the same batch still import."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.intake import Limits, import_paths
from models import Case, QuarantineItem, Report
from tests.app.intake.helpers import csaf_doc, write_json


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


HOSTILE: dict[str, tuple[str, bytes, str]] = {
    "invalid-json": ("broken.json", b'{"document": {', "invalid JSON at line 1"),
    "invalid-yaml": ("broken.yaml", b"id: [unclosed\nmodified: x\n", "invalid YAML"),
    "schema": (
        "bad-csaf.json",
        json.dumps({"document": {"csaf_version": "2.0"}}).encode(),
        "schema violation at /document",
    ),
    "empty": ("empty.json", b"", "empty file"),
    "whitespace": ("blank.md", b"  \n\t\n", "empty file"),
    "binary": ("blob.txt", b"\x7fELF\x00\x00\x01binary", "binary file"),
    "utf8": ("latin1.md", "Réport".encode("latin-1"), "invalid UTF-8 at byte 1"),
    "depth": ("deep.json", b"[" * 5000 + b"]" * 5000, "nesting deeper than 100 levels"),
    "depth-moderate": (
        "deep2.json",
        b'{"a":' * 150 + b"1" + b"}" * 150,
        "nesting deeper than 100 levels",
    ),
    "yaml-alias-bomb": (
        "bomb.yaml",
        (
            b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
            b"e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        ),
        "(alias bomb)",
    ),
    "yaml-recursive": ("loop.yaml", b"a: &a [1, *a]\n", "recursive YAML alias"),
    "binary-late": ("late.md", b"# Title\n" + b"text " * 3000 + b"\x00tail", "binary file"),
    "unknown-json": ("other.json", b'{"hello": "world"}', "not a recognised report format"),
    "zip-traversal": ("trav.zip", _zip([("../../etc/evil.json", b"{}")]), "path traversal"),
    "zip-absolute": ("abs.zip", _zip([("/etc/evil.json", b"{}")]), "path traversal"),
    "zip-link": ("link.zip", _zip([(_link("ln.json"), b"/etc/passwd")]), "link inside archive"),
    "zip-ratio": ("ratio.zip", _zip([("a.json", b"0" * 5_000_000)]), "zip bomb"),
    "zip-corrupt": ("corrupt.zip", b"PK\x03\x04garbage", "not a readable zip archive"),
    # Valid JSON whose text escapes half of a UTF-16 pair: Python reads it, no database
    # stores it; the reason says so instead of naming an exception.
    "lone-surrogate": (
        "surrogate.json",
        json.dumps(
            {**csaf_doc("ACME-SUR-1"), "document": {**csaf_doc()["document"], "title": "a\ud800b"}}
        ).encode(),
        "text that is not valid Unicode (a lone surrogate)",
    ),
    # A hostile name whose last part starts with a dot is refused, not skipped as hidden.
    "zip-dot-traversal": ("dot.zip", _zip([("sub/..\\..\\.back.json", b"{}")]), "path traversal"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_refused_and_quarantined(ws, tmp_path, case):
    name, data, expected = HOSTILE[case]
    bad = tmp_path / name
    bad.write_bytes(data)
    good = write_json(tmp_path / "good.json", csaf_doc())
    result = import_paths(ws, [bad, good])
    assert result.imported == 1
    assert len(result.rejected) == 1
    rejection = result.rejected[0]
    assert rejection.path.startswith(str(bad))
    assert expected in rejection.reason
    assert "\n" not in rejection.reason
    with ws.session() as s:
        item = s.scalars(select(QuarantineItem)).one()
        assert item.reason == rejection.reason
        assert item.path == rejection.path
        assert s.scalar(select(func.count()).select_from(Report)) == 1
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    if case in ("invalid-json", "schema", "binary", "utf8"):
        assert item.content == data  # the bytes are kept for an analyst to look at
    if case in ("zip-traversal", "zip-link"):  # refused for its name: read, never extracted
        assert item.content in (b"{}", b"/etc/passwd") and item.size == len(item.content)


def test_oversize_file_refused(ws, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b'{"a": "' + b"x" * 3000 + b'"}')
    [r] = import_paths(ws, [big], limits=Limits(max_file_size=1024)).rejected
    assert r.reason == "file larger than the limit of 1 KB"
    with ws.session() as s:
        item = s.scalars(select(QuarantineItem)).one()
    assert (item.content, item.size) == (b"", big.stat().st_size)  # never read, size kept


def test_the_default_size_limit_is_50_mb():
    assert Limits().max_file_size == 50 * 2**20


def test_a_few_kilobytes_of_yaml_aliases_cannot_hold_up_intake(ws, tmp_path):
    """Product branches that each hold the previous one twice: 2 KB of YAML, a product tree
    of millions of nodes once aliases are expanded. Measured, not expanded: refused at once."""
    doc = csaf_doc(tracking_id="BOMB-1")
    lines = [
        "document: " + json.dumps(doc["document"]),
        "vulnerabilities: " + json.dumps(doc["vulnerabilities"]),
        "product_tree:",
        "  branches:",
        "  - &b0 {category: product_version, name: v,"
        " product: {name: p, product_id: CSAFPID-0001}}",
    ]
    for i in range(1, 17):
        lines.append(
            f"  - &b{i} {{category: product_family, name: f{i}, branches: [*b{i - 1}, *b{i - 1}]}}"
        )
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bomb.stat().st_size < 10_000
    [r] = import_paths(ws, [bomb]).rejected
    assert "(alias bomb)" in r.reason


def test_yaml_with_a_few_aliases_still_imports(ws, tmp_path):
    record = tmp_path / "osv.yaml"
    record.write_text(
        "id: PYSEC-2026-1\nmodified: '2026-01-01T00:00:00Z'\nsummary: Prompt injection\n"
        "details: Tool calls follow injected text.\n"
        "affected:\n- package: &pkg {ecosystem: PyPI, name: chatassist}\n"
        "  versions: ['1.0']\n- package: *pkg\n  versions: ['1.1']\n",
        encoding="utf-8",
    )
    result = import_paths(ws, [record])
    assert (result.imported, result.rejected) == (1, ())


def test_nested_archives_share_one_expansion_limit(ws, tmp_path):
    """Each archive alone is under the total limit; together they are not."""
    member = os.urandom(3000).hex().encode()  # incompressible: no ratio alarm
    inner = _zip([(f"in{i}.md", member) for i in range(2)])
    outer = _zip([("a.zip", inner), ("b.zip", inner), ("c.zip", inner)])
    path = tmp_path / "outer.zip"
    path.write_bytes(outer)
    result = import_paths(ws, [path], limits=Limits(zip_max_total=40_000))
    assert any("zip bomb" in r.reason for r in result.rejected), result.rejected


def test_zip_total_size_limit(ws, tmp_path):
    data = _zip([(f"f{i}.md", os.urandom(2048).hex().encode()) for i in range(4)])
    path = tmp_path / "many.zip"
    path.write_bytes(data)
    [r] = import_paths(ws, [path], limits=Limits(zip_max_total=8000)).rejected
    assert "zip bomb" in r.reason and r.path == str(path)


def test_zip_lying_header_is_caught(ws, tmp_path):
    # A member whose header claims a small size but which inflates to far more.
    payload = b"A" * 200_000
    raw = _zip([("liar.md", payload)])
    info_offset = raw.rfind(b"PK\x01\x02")  # central directory entry: patch its size fields
    patched = bytearray(raw)
    patched[info_offset + 24 : info_offset + 28] = (10).to_bytes(4, "little")
    local = raw.find(b"PK\x03\x04")
    patched[local + 22 : local + 26] = (10).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(patched))
    result = import_paths(ws, [path])
    assert result.imported == 0
    assert len(result.rejected) == 1


def test_good_documents_inside_zip_import_and_bad_ones_do_not(ws, tmp_path):
    good = json.dumps(csaf_doc()).encode()
    data = _zip([("ok/advisory.json", good), ("../escape.json", good), ("bad.json", b"{")])
    path = tmp_path / "batch.zip"
    path.write_bytes(data)
    result = import_paths(ws, [path])
    assert result.imported == 1
    assert sorted(r.path for r in result.rejected) == [f"{path}!../escape.json", f"{path}!bad.json"]


def test_symlink_on_disk_is_not_followed(ws, tmp_path):
    target = write_json(tmp_path / "real.json", csaf_doc())
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "link.json").symlink_to(target)
    result = import_paths(ws, [folder])
    assert result.imported == 0
    assert "symbolic links" in result.rejected[0].reason


def test_a_folder_that_cannot_be_listed_is_refused_not_skipped(ws, tmp_path, monkeypatch):
    """os.walk skips a folder it cannot list in silence: its documents would be missing from
    the import with no word. The files beside it still import."""
    inbox = tmp_path / "in"
    (inbox / "closed").mkdir(parents=True)
    write_json(inbox / "closed" / "a.json", csaf_doc("CLOSED-1", cve="CVE-2026-40001"))
    write_json(inbox / "open.json", csaf_doc("OPEN-1", cve="CVE-2026-40002"))
    listing = os.scandir

    def scandir(path):  # what a folder without read permission gives (the tests run as root)
        if Path(path).name == "closed":
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = import_paths(ws, [inbox])
    assert result.imported == 1
    [refused] = result.rejected
    assert refused.path == str(inbox / "closed")
    assert refused.reason == "cannot read: Permission denied"


def test_a_path_that_cannot_be_looked_at_is_refused(ws, tmp_path, monkeypatch):
    doc = write_json(tmp_path / "a.json", csaf_doc())
    other = write_json(tmp_path / "b.json", csaf_doc("OTHER-1", cve="CVE-2026-40003"))
    looked = Path.lstat

    def lstat(self):
        if self.name == "a.json":
            raise PermissionError(13, "Permission denied", str(self))
        return looked(self)

    monkeypatch.setattr(Path, "lstat", lstat)
    result = import_paths(ws, [doc, other])
    assert result.imported == 1
    assert [(r.path, r.reason) for r in result.rejected] == [
        (str(doc), "cannot read: Permission denied")
    ]


def test_nested_zip_depth_limit(ws, tmp_path):
    inner = _zip([("a.md", b"# Title\nbody")])
    middle = _zip([("inner.zip", inner)])
    outer = _zip([("middle.zip", middle)])
    path = tmp_path / "outer.zip"
    path.write_bytes(outer)
    result = import_paths(ws, [path])
    assert "nested too deeply" in result.rejected[0].reason


def test_missing_path(ws, tmp_path):
    [r] = import_paths(ws, [tmp_path / "nope.json"]).rejected
    assert r.reason == "no such file or folder"


def test_report_text_never_becomes_html(ws, tmp_path):
    page = tmp_path / "x.md"
    page.write_text("# <b>bold</b> title\n<img src=x onerror=alert(1)>", encoding="utf-8")
    import_paths(ws, [page])
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
    assert report.title == "<b>bold</b> title"
    assert "<img src=x onerror=alert(1)>" in report.description


def test_quarantine_never_writes_files(ws, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{")
    before = set(Path(tmp_path).rglob("*"))
    import_paths(ws, [bad])
    assert set(Path(tmp_path).rglob("*")) == before


def test_schema_reasons_name_the_problem_never_the_content(ws, tmp_path):
    """A CVE 5 record without cveMetadata.state fails the schema's root oneOf: the reason
    names the missing property, and quotes nothing of the report."""
    secret = "Exfiltration through the calendar tool of AcmeMail (embargoed)"
    record = {
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": "CVE-2026-5556",
            "assignerOrgId": "b3476cb9-2e3d-41a6-98d0-0f47421a65b6",
        },
        "containers": {
            "cna": {
                "providerMetadata": {"orgId": "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"},
                "descriptions": [{"lang": "en", "value": secret}],
                "affected": [
                    {
                        "vendor": "Acme",
                        "product": "AcmeMail",
                        "versions": [{"version": "1.0", "status": "affected"}],
                    }
                ],
                "references": [{"url": "https://acme.example/advisory"}],
            }
        },
    }
    path = write_json(tmp_path / "cve.json", record)
    [r] = import_paths(ws, [path]).rejected
    assert r.reason.startswith("schema violation at /cveMetadata: 'state' is a required property")
    assert "AcmeMail" not in r.reason and "Exfiltration" not in r.reason
    assert len(r.reason) < 300
