"""CSAF export in all eight languages, checked by the csaf package's own mandatory tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app import advisories
from app.advisories import content, csaf_export, exporting
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from i18n import LANGUAGES, bcp47
from models import AffectedProduct, AuditEvent
from tests.app.advisories.conftest import TITLES, bob

CSAF_CLI = Path(sys.executable).with_name("csaf")

SUMMARIES = {
    "fr": "Une injection de prompt dans ExampleChat permet à une page web d'exfiltrer des données "
    "via les outils.",
    "de": "Eine Prompt-Injection in ExampleChat erlaubt einer Webseite, Daten über Werkzeuge "
    "abzuziehen.",
    "es": "Una inyección de prompts en ExampleChat permite que una página web exfiltre datos a "
    "través de las herramientas.",
    "pt_BR": "Uma injeção de prompt no ExampleChat permite que uma página web exfiltre dados por "
    "meio das ferramentas.",
    "ja": "ExampleChat のプロンプトインジェクションにより、Web ページがツール経由でデータを"
    "持ち出せます。",
    "zh_CN": "ExampleChat 中的提示词注入使网页能够通过工具窃取数据。",
    "ar": "يتيح حقن الأوامر في ExampleChat لصفحة ويب تسريب البيانات عبر الأدوات.",
}


def csaf_validate(spec: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """The check the issue names: ``csaf validate --spec-version … --preset mandatory``."""
    return subprocess.run(
        [str(CSAF_CLI), "validate", "--spec-version", spec, "--no-network", "--preset",
         "mandatory", *map(str, files)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def translate_all(ws: Workspace, key: str) -> None:
    with ws.session() as s:
        actor = ws.require_actor()
        for lang in LANGUAGES[1:]:
            advisories.set_text(s, actor, key, "title", lang, TITLES[lang])
            advisories.set_text(s, actor, key, "summary", lang, SUMMARIES[lang])


@pytest.mark.parametrize("published", [False, True], ids=["draft", "published"])
def test_csaf_in_eight_languages_passes_mandatory_tests(
    ws: Workspace, drafted: str, tmp_path: Path, published: bool
) -> None:
    translate_all(ws, drafted)
    if published:
        with ws.session() as s:
            advisories.submit(s, ws.require_actor(), drafted)
            advisories.approve(s, bob(ws), drafted)
            advisories.publish(s, bob(ws), drafted)
    files: dict[str, list[Path]] = {"2.0": [], "2.1": []}
    with ws.session() as s:
        for version in ("2.0", "2.1"):
            for lang in LANGUAGES:
                out = tmp_path / f"{lang}-{version}.json"
                exporting.export(
                    s, ws.require_actor(), drafted, "csaf", out, language=lang,
                    csaf_version=version,
                )  # fmt: skip
                files[version].append(out)
    for lang, path in zip(LANGUAGES, files["2.0"], strict=True):
        doc = json.loads(path.read_text("utf-8"))
        d = doc["document"]
        assert d["category"] == "csaf_security_advisory" and d["csaf_version"] == "2.0"
        assert d["lang"] == bcp47(lang)
        assert d.get("source_lang") == (None if lang == "en" else "en")
        assert d["title"] == (TITLES.get(lang) or d["title"])
        assert d["tracking"]["status"] == ("final" if published else "draft")
        assert d["tracking"]["version"] == ("1.0.0" if published else "0.1.0")
        assert d["distribution"]["tlp"]["label"] == "WHITE"
        assert d["publisher"]["category"] == "coordinator"
        assert d["acknowledgments"][0]["summary"]
        vuln = doc["vulnerabilities"][0]
        assert vuln["cve"] == "CVE-2026-12345" and vuln["cwe"]["id"] == "CWE-77"
        assert vuln["scores"][0]["cvss_v3"]["baseScore"] == 8.2
        assert {r["category"] for r in vuln["remediations"]} == {"vendor_fix", "workaround"}
        helpers = json.dumps(doc["product_tree"])
        assert "LLM-7B" in helpers and "ab" * 32 in helpers and "pkg:generic/example" in helpers
    for path in files["2.1"]:
        doc = json.loads(path.read_text("utf-8"))
        kinds = [next(iter(m["content"])) for m in doc["vulnerabilities"][0]["metrics"]]
        assert kinds == ["cvss_v3", "cvss_v4", "ssvc_v2"]
        assert doc["document"]["distribution"]["tlp"]["label"] == "CLEAR"
    for spec, version in (("v20", "2.0"), ("v21", "2.1")):
        result = csaf_validate(spec, files[version])
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert "FAIL" not in result.stdout


def test_invalid_document_is_refused_naming_the_test(
    ws: Workspace, drafted: str, tmp_path: Path
) -> None:
    with ws.session() as s:
        product = s.scalars(select(AffectedProduct)).first()
        assert product is not None
        product.purl = "pkg:not a purl"
    out = tmp_path / "bad.json"
    with (
        ws.session() as s,
        pytest.raises(AccordError, match=r"CSAF export refused.*(6\.1\.13|schema)"),
    ):
        exporting.export(s, ws.require_actor(), drafted, "csaf", out)
    assert not out.exists()
    with ws.session() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "advisory.export")) is None


def test_csaf_document_in_memory_for_bundles(ws: Workspace, drafted: str) -> None:
    from app.advisories.drafting import set_namespace
    from app.errors import UsageError

    with ws.session() as s:
        set_namespace(s, ws.require_actor(), "https://psirt.accord-test.eu/advisories")
    with ws.session() as s, pytest.raises(UsageError, match="https"):
        set_namespace(s, ws.require_actor(), "ftp://x")
    with ws.session() as s, pytest.raises(UsageError, match="placeholder"):
        set_namespace(s, ws.require_actor(), "https://cert.example/advisories")
    with ws.session() as s:
        data = exporting.csaf_document(s, drafted, "ja", "2.1")
    doc = json.loads(data.decode("utf-8"))
    assert doc["document"]["lang"] == "ja" and doc["document"]["source_lang"] == "en"
    assert doc["document"]["publisher"]["namespace"] == "https://psirt.accord-test.eu/advisories"
    assert csaf_export.validate(doc, "2.1") == []


def test_export_needs_a_vulnerability_and_products(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        for p in s.scalars(select(AffectedProduct)):
            s.delete(p)
    with ws.session() as s:
        data = content.load(s, drafted, "fr")
        with pytest.raises(AccordError, match="no affected model or system"):
            csaf_export.build(data)


def test_tlp_amber_strict_maps_to_csaf_20_amber(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        advisories.set_tlp(s, ws.require_actor(), drafted, "AMBER+STRICT")
        data = content.load(s, drafted)
    assert csaf_export.build(data, "2.0")["document"]["distribution"]["tlp"]["label"] == "AMBER"
    assert csaf_export.build(data, "2.1")["document"]["distribution"]["tlp"]["label"] == (
        "AMBER+STRICT"
    )
