"""Derive Accord's compact taxonomy and SSVC data files from the public sources.

Run from the repository root with the shared data checked out beside it:

    .venv/bin/python scripts/derive_taxonomy_data.py ../shared/data

The output under resources/taxonomy/ and resources/ssvc/ is committed; the project never
reads the shared sources at run time. Re-run only when a source is updated, and review the diff.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT_TAXONOMY = ROOT / "resources" / "taxonomy"
OUT_SSVC = ROOT / "resources" / "ssvc"

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ATLAS_URL = re.compile(r"atlas\.mitre\.org/(?:techniques|tactics)/(AML\.TA?\d{4}(?:\.\d{3})?)")


def short(text: str, limit: int = 320) -> str:
    """First paragraph, markdown links reduced to their text, cut at a sentence end."""
    text = _LINK.sub(r"\1", text or "").strip()
    text = re.split(r"\n\s*\n", text)[0]
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return cut[: end + 1] if end > 80 else cut.rstrip() + "…"


def commit_of(folder: Path) -> str:
    path = folder / "SOURCE_COMMIT"
    return path.read_text().split()[0] if path.exists() else "unknown"


def write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", path.relative_to(ROOT))


def derive_atlas(shared: Path) -> set[str]:
    folder = shared / "ai" / "atlas"
    data = yaml.safe_load((folder / "dist" / "ATLAS.yaml").read_text(encoding="utf-8"))
    matrix = data["matrices"][0]
    tactics = [
        {"id": t["id"], "name": t["name"], "description": short(t["description"])}
        for t in matrix["tactics"]
    ]
    techniques = []
    for t in matrix["techniques"]:
        item: dict[str, Any] = {"id": t["id"], "name": t["name"]}
        if "subtechnique-of" in t:
            item["parent"] = t["subtechnique-of"]
        item["tactics"] = list(t.get("tactics", []))
        item["maturity"] = t.get("maturity")
        item["description"] = short(t["description"])
        techniques.append(item)
    write(
        OUT_TAXONOMY / "atlas.json",
        {
            "id": "mitre-atlas",
            "name": data["name"],
            "version": str(data["version"]),
            "source": "https://atlas.mitre.org/ (mitre-atlas/atlas-data dist/ATLAS.yaml, "
            f"commit {commit_of(folder)}; Apache-2.0)",
            "tactics": tactics,
            "techniques": techniques,
        },
    )
    return {t["id"] for t in tactics} | {t["id"] for t in techniques}


def derive_owasp(shared: Path, atlas_ids: set[str]) -> None:
    folder = shared / "ai" / "owasp-llm-top10-2025"
    index = json.loads((folder / "llm_top10_2025.json").read_text(encoding="utf-8"))
    items, mappings = [], []
    for entry in index["items"]:
        oid = f"{entry['id']}:{entry['year']}"
        items.append(
            {
                "id": oid,
                "name": entry["title"],
                "description": short(entry["description_first_paragraph"]),
            }
        )
        page = (folder / "2_0_vulns" / entry["source_file"]).read_text(encoding="utf-8")
        seen: list[str] = []
        for atlas_id in _ATLAS_URL.findall(page):
            if atlas_id not in seen:
                seen.append(atlas_id)
        for atlas_id in seen:
            mappings.append({"owasp": oid, "atlas": atlas_id, "in_atlas": atlas_id in atlas_ids})
    source = (
        "https://genai.owasp.org/llm-top-10/ (OWASP/www-project-top-10-for-large-language-"
        f"model-applications 2_0_vulns, commit {commit_of(folder)}; CC BY-SA 4.0)"
    )
    write(
        OUT_TAXONOMY / "owasp-llm-2025.json",
        {
            "id": "owasp-llm-2025",
            "name": "OWASP Top 10 for LLM Applications",
            "version": "2025",
            "source": source,
            "items": items,
        },
    )
    write(
        OUT_TAXONOMY / "owasp-atlas-mappings.json",
        {
            "id": "owasp-llm-2025-to-atlas",
            "version": "2025",
            "source": source + "; the MITRE ATLAS links in each entry's reference section",
            "mappings": mappings,
        },
    )


# The AVID taxonomy (v0.2): codes and names as in avidml/avidtools datamodels/enums.py and
# https://docs.avidml.org/taxonomy; the one-line descriptions are Accord's own summaries.
AVID_DOMAINS = {
    "S": ("Security", "Vulnerabilities that let an adversary compromise an AI system."),
    "E": ("Ethics", "Harms to people or groups through the system's behaviour."),
    "P": ("Performance", "Failures of the system to work as intended or safely."),
}
AVID_CATEGORIES = [
    ("S0100", "Software Vulnerability", "A flaw in the code around or inside the model."),
    ("S0200", "Supply Chain Compromise", "Compromise of a model, data set or dependency."),
    ("S0201", "Model Compromise", "A tampered or backdoored model artifact."),
    ("S0202", "Software Compromise", "A tampered library or tool in the AI pipeline."),
    ("S0300", "Over-permissive API", "The model's API exposes more than it should."),
    ("S0301", "Information Leak", "The API reveals data, prompts or internals."),
    ("S0302", "Excessive Queries", "Unbounded querying enables extraction or abuse."),
    ("S0400", "Model Bypass", "Inputs that make the model ignore its intended behaviour."),
    ("S0401", "Bad Features", "The model relies on features an adversary can control."),
    ("S0402", "Insufficient Training Data", "Gaps in training data an adversary can exploit."),
    ("S0403", "Adversarial Example", "Crafted inputs that cause wrong or unsafe outputs."),
    ("S0500", "Exfiltration", "Extraction of the model or its training data."),
    ("S0501", "Model inversion", "Reconstruction of training data from model outputs."),
    ("S0502", "Model theft", "Replication or theft of the model's parameters or function."),
    ("S0600", "Data Poisoning", "Manipulated training or fine-tuning data."),
    ("S0601", "Ingest Poisoning", "Poisoned data taken in at run time, e.g. retrieval sources."),
    ("E0100", "Bias/ Discrimination", "Outcomes that disadvantage people unfairly."),
    ("E0101", "Group fairness", "Unequal treatment of demographic groups."),
    ("E0102", "Individual fairness", "Unequal treatment of similar individuals."),
    ("E0200", "Explainability", "Decisions that cannot be understood or explained."),
    ("E0201", "Global explanations", "The model's overall behaviour cannot be explained."),
    ("E0202", "Local explanations", "A single decision cannot be explained."),
    ("E0300", "User actions", "Harm arising from how users act on the output."),
    ("E0301", "Toxicity", "Offensive, abusive or hateful output."),
    ("E0302", "Polarization/ Exclusion", "Output that polarises or excludes groups."),
    ("E0400", "Misinformation", "False or misleading output."),
    ("E0401", "Deliberative Misinformation", "The system is used to spread falsehoods on purpose."),
    ("E0402", "Generative Misinformation", "The model itself produces falsehoods."),
    ("P0100", "Data issues", "Problems with the data the model learns from or sees."),
    ("P0101", "Data drift", "Input data moves away from the training distribution."),
    ("P0102", "Concept drift", "The relationship the model learned changes over time."),
    ("P0103", "Data entanglement", "Changes to one input silently affect others."),
    ("P0104", "Data quality issues", "Noisy, mislabelled or incomplete data."),
    ("P0105", "Feedback loops", "Model outputs feed back into its own training data."),
    ("P0200", "Model issues", "Problems with the model itself."),
    ("P0201", "Resilience/ Stability", "Unstable output under small input changes."),
    ("P0202", "OOD generalization", "Poor behaviour on out-of-distribution input."),
    ("P0203", "Scaling", "Failures when load or size grows."),
    ("P0204", "Accuracy", "Wrong output at a rate that matters."),
    ("P0300", "Privacy", "Exposure of personal data."),
    ("P0301", "Anonymization", "Anonymised data can be re-identified."),
    ("P0302", "Randomization", "Privacy-preserving noise is insufficient."),
    ("P0303", "Encryption", "Data is not protected by encryption where it should be."),
    ("P0400", "Safety", "Harm to people or the environment."),
    ("P0401", "Psychological Safety", "Harm to mental well-being."),
    ("P0402", "Physical safety", "Harm to life or limb."),
    ("P0403", "Socioeconomic safety", "Harm to livelihood or economic standing."),
    ("P0404", "Environmental safety", "Harm to the environment."),
]
AVID_LIFECYCLE = [
    ("L01", "Business Understanding"),
    ("L02", "Data Understanding"),
    ("L03", "Data Preparation"),
    ("L04", "Model Development"),
    ("L05", "Evaluation"),
    ("L06", "Deployment"),
]


def derive_avid(shared: Path) -> None:
    folder = shared / "ai" / "avid"
    seen: dict[str, int] = {}
    for path in sorted(folder.glob("**/*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        avid = ((doc.get("impact") or {}).get("avid")) or {}
        for label in (avid.get("sep_view") or []) + (avid.get("lifecycle_view") or []):
            code = label.split(":")[0].strip()
            seen[code] = seen.get(code, 0) + 1
    categories = []
    for code, name, description in AVID_CATEGORIES:
        parent = None if code.endswith("00") else code[:3] + "00"
        categories.append(
            {
                "id": code,
                "name": name,
                "domain": AVID_DOMAINS[code[0]][0],
                "parent": parent,
                "description": description,
                "seen_in_avid_db": seen.get(code, 0),
            }
        )
    write(
        OUT_TAXONOMY / "avid.json",
        {
            "id": "avid",
            "name": "AI Vulnerability Database taxonomy",
            "version": "0.2",
            "source": "https://docs.avidml.org/taxonomy (codes and names as in avidml/avidtools "
            "datamodels/enums.py; usage counts from avidml/avid-db commit "
            f"{commit_of(folder)}; MIT)",
            "domains": [
                {"id": k, "name": n, "description": d} for k, (n, d) in AVID_DOMAINS.items()
            ],
            "categories": categories,
            "lifecycle": [
                {"id": c, "name": n, "seen_in_avid_db": seen.get(c, 0)} for c, n in AVID_LIFECYCLE
            ],
        },
    )


def derive_ssvc(shared: Path) -> None:
    folder = shared / "ssvc" / "decision-tables"
    names = {
        "cisa_DT_CO_2.0.3.json": "cisa",
        "ssvc_DT_DP_1.0.0.json": "deployer",
        "ssvc_DT_SP_1.0.0.json": "supplier",
        "ssvc_DT_COORD_TRIAGE_1.0.0.json": "coordinator-triage",
        "ssvc_DT_COORD_PUBLISH_1.0.0.json": "coordinator-publication",
    }
    commit = commit_of(shared / "ssvc" / "certcc")
    for filename, cli_name in names.items():
        table = json.loads((folder / filename).read_text(encoding="utf-8"))
        points = []
        for dp_id, dp in table["decision_points"].items():
            points.append(
                {
                    "id": dp_id,
                    "key": dp["key"],
                    "name": dp["name"],
                    "description": dp["definition"],
                    "values": [
                        {"key": v["key"], "name": v["name"], "description": v["definition"]}
                        for v in dp["values"]
                    ],
                }
            )
        outcome_id = table["outcome"]
        inputs = [p for p in points if p["id"] != outcome_id]
        outcome = next(p for p in points if p["id"] == outcome_id)
        rows = [[row[p["id"]] for p in inputs] + [row[outcome_id]] for row in table["mapping"]]
        table_id = f"{table['namespace']}:{table['key']}:{table['version']}"
        write(
            OUT_SSVC / f"{cli_name}.json",
            {
                "id": table_id,
                "cli_name": cli_name,
                "name": table["name"],
                "description": table["definition"],
                "source": "CERT/CC SSVC https://certcc.github.io/SSVC/ (CERTCC/SSVC data/json/"
                f"decision_tables, commit {commit})",
                "decision_points": inputs,
                "outcome": outcome,
                "rows": rows,
            },
        )


def main(argv: list[str]) -> int:
    shared = Path(argv[1] if len(argv) > 1 else ROOT / ".." / "shared" / "data").resolve()
    OUT_TAXONOMY.mkdir(parents=True, exist_ok=True)
    OUT_SSVC.mkdir(parents=True, exist_ok=True)
    atlas_ids = derive_atlas(shared)
    derive_owasp(shared, atlas_ids)
    derive_avid(shared)
    derive_ssvc(shared)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
