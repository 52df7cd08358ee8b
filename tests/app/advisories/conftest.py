"""A case with an AI vulnerability, affected models, assessments and a drafted advisory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import advisories
from app.casework import cases
from app.identity.actor import Actor
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Analyst, Assessment, Reference, Role, Setting, Vulnerability

SOURCE = {
    "title": "Prompt injection in ExampleChat tool calling",
    "summary": "A prompt injection in ExampleChat lets a web page exfiltrate data through tools.",
    "description": "The large language model follows instructions hidden in retrieved pages "
    "and overrides the system prompt.",
    "affected": "ExampleChat 2.3 with the LLM-7B model weights listed below.",
    "impact": "An attacker can read the user's mailbox through the mail tool.",
    "mitigation": "Disable the browsing tool until the fix is deployed.",
    "remediation": "Upgrade ExampleChat to 2.4, which isolates retrieved content.",
    "credits": "Thanks to R. Researcher for the coordinated vulnerability disclosure.",
    "references": "https://example.org/advisories/examplechat-2026-1",
    "timeline": "2026-10-01 reported; 2026-11-20 fix released.",
}


NAMESPACE = "https://cert.accord-test.eu/advisories"


def seed_case(ws: Workspace) -> str:
    """Open a case with one vulnerability, two products and CVSS 3.1, 4.0 and SSVC scorings."""
    with ws.session() as s:
        actor = ws.require_actor()
        case = cases.create_case(s, actor, "Prompt injection in ExampleChat")
        vuln = Vulnerability(
            case_id=case.id, cve="CVE-2026-12345", cwe="CWE-77", title="Indirect prompt injection",
            description="Instructions in retrieved pages are executed.",
        )  # fmt: skip
        s.add(vuln)
        s.flush()
        vuln.affected.append(
            AffectedProduct(
                kind="system",
                name="ExampleChat",
                vendor="Example Corp",
                version="2.3",
                purl="pkg:generic/example/examplechat@2.3",
            )
        )
        vuln.affected.append(
            AffectedProduct(
                kind="model",
                name="LLM-7B",
                vendor="Example Corp",
                version="1.0",
                hash="sha256:" + "ab" * 32,
            )
        )
        vuln.references.append(Reference(url="https://example.org/report/1", summary="Report"))
        at = datetime(2026, 11, 1, 12, tzinfo=UTC)
        for version, vector, score, sev in (
            ("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:L/A:N", 8.2, "High"),
            (
                "4.0",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:N/SA:N",
                9.3,
                "Critical",
            ),
        ):
            s.add(
                Assessment(
                    case_id=case.id,
                    model_id="accord-severity",
                    model_version="1.0",
                    cvss_version=version,
                    cvss_vector=vector,
                    cvss_score=score,
                    cvss_severity=sev,
                    ssvc_table="coordinator-publication",
                    ssvc_inputs={"SINV": "C", "E": "P", "PVA": "A"},
                    ssvc_decision="Publish",
                    tier="High",
                    created_at=at,
                )
            )
        s.add(Analyst(name="bob", role=Role.SHIFT_LEAD))
        # Publication needs a real publisher namespace (app/trust.py).
        s.merge(Setting(key="org.namespace", value=NAMESPACE))
        return case.key


def bob(ws: Workspace) -> Actor:
    with ws.session() as s:
        from sqlalchemy import select

        row = s.scalar(select(Analyst).where(Analyst.name == "bob"))
        assert row is not None
        return Actor(row.id, row.name, row.role)


@pytest.fixture
def drafted(ws: Workspace) -> str:
    """The key of a case whose English advisory has every field written."""
    key = seed_case(ws)
    with ws.session() as s:
        actor = ws.require_actor()
        advisories.create(s, actor, key, "en")
        for name, text in SOURCE.items():
            advisories.set_text(s, actor, key, name, "en", text)
    return key


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the .po catalogs (never committed as .mo) so boilerplate is translated."""
    from i18n.build import compile_catalogs
    from i18n.catalog import reload_catalogs

    compile_catalogs()
    reload_catalogs()


# Translations of every field, used to export the advisory in all eight languages.
TITLES = {
    "fr": "Injection de prompt dans l'appel d'outils d'ExampleChat",
    "de": "Prompt-Injection beim Tool-Aufruf von ExampleChat",
    "es": "Inyección de prompts en la invocación de herramientas de ExampleChat",
    "pt_BR": "Injeção de prompt na chamada de ferramentas do ExampleChat",
    "ja": "ExampleChat のツール呼び出しにおけるプロンプトインジェクション",
    "zh_CN": "ExampleChat 工具调用中的提示词注入",
    "ar": "حقن الأوامر في استدعاء الأدوات في ExampleChat",
}
