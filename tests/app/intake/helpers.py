"""Builders for small, valid documents used across the intake tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.intake import bulk
from tests.conftest import FIXTURES

INTAKE = FIXTURES / "intake"


def run_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of documents of each run the bulk path writes (``bulk.write``), in order,
    from now until ``monkeypatch`` undoes it."""
    runs: list[int] = []
    real_write = bulk.write

    def write(s, actor, planned, source, **kw):  # type: ignore[no-untyped-def]
        runs.append(len(planned))
        return real_write(s, actor, planned, source, **kw)

    monkeypatch.setattr(bulk, "write", write)
    return runs


def csaf_doc(
    tracking_id: str = "ACME-2026-001",
    version: str = "1",
    cve: str = "CVE-2026-10001",
    product: str = "ChatAssist LLM 2.1",
    title: str = "Prompt injection in ChatAssist tool calling",
    vector: str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    stated: float = 9.8,
    note: str = "Crafted documents make the assistant call tools with attacker arguments.",
    family: str = "ChatAssist LLM",
) -> dict[str, Any]:
    """A CSAF 2.0 security advisory that passes the schema and the mandatory tests."""
    history = [
        {
            "date": f"2026-01-0{i + 1}T10:00:00.000Z",
            "number": str(i + 1),
            "summary": f"Revision {i + 1}.",
        }
        for i in range(int(version))
    ]
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "notes": [{"category": "summary", "text": note}],
            "publisher": {
                "category": "vendor",
                "name": "ACME AI",
                "namespace": "https://acme.example",
            },
            "references": [
                {
                    "category": "self",
                    "summary": "This advisory",
                    "url": f"https://acme.example/advisories/{tracking_id.lower()}.json",
                }
            ],
            "title": title,
            "tracking": {
                "current_release_date": history[-1]["date"],
                "id": tracking_id,
                "initial_release_date": history[0]["date"],
                "revision_history": history,
                "status": "final",
                "version": version,
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "ACME AI",
                    "branches": [
                        {
                            "category": "product_name",
                            "name": family,
                            "branches": [
                                {
                                    "category": "product_version",
                                    "name": "2.1",
                                    "product": {"name": product, "product_id": "CSAFPID-0001"},
                                }
                            ],
                        }
                    ],
                }
            ],
        },
        "vulnerabilities": [
            {
                "cve": cve,
                "notes": [{"category": "description", "text": note}],
                "product_status": {"known_affected": ["CSAFPID-0001"]},
                "scores": [
                    {
                        "cvss_v3": {
                            "version": "3.1",
                            "vectorString": vector,
                            "baseScore": stated,
                            "baseSeverity": "CRITICAL",
                        },
                        "products": ["CSAFPID-0001"],
                    }
                ],
                "title": title,
            }
        ],
    }


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    return path
