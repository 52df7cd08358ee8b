"""Demo report text: fictional but realistic AI-vulnerability reports composed from data.

The building blocks (people, products, models, scenarios and their templates) live in
``resources/demo/*.yaml``; this module only picks from them with a seeded ``random.Random``,
so the same seed always gives the same reports. The demo and the queue benchmark share it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.errors import AccordError
from i18n import _

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"


@dataclass(frozen=True)
class DemoData:
    """Everything in resources/demo, parsed once."""

    people: dict[str, Any]
    scenarios: tuple[dict[str, Any], ...]
    reasons: dict[str, tuple[str, ...]]

    @property
    def weights(self) -> list[int]:
        return [int(s.get("weight", 1)) for s in self.scenarios]


@dataclass(frozen=True)
class CaseText:
    """One composed report: its texts and the facts the severity model needs."""

    scenario: str
    label: str
    title: str
    summary: str
    body: str
    model: dict[str, str]
    product: dict[str, str]
    sector: str
    reporter: int
    owasp: tuple[str, ...]
    atlas: tuple[str, ...]
    cwe: str
    harm: str
    access: str
    transferability: str
    cvss: str
    success: tuple[int, int] | None
    fields: dict[str, str] = field(hash=False, compare=False)


def _load_yaml(name: str) -> Any:
    path = DEMO_DIR / name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AccordError(
            _("cannot read demo data {file}: {error}").format(file=path, error=exc)
        ) from exc


@lru_cache(maxsize=1)
def load() -> DemoData:
    """Parse resources/demo/people.yaml and scenarios.yaml."""
    people = _load_yaml("people.yaml")
    scen = _load_yaml("scenarios.yaml")
    reasons = {k: tuple(v) for k, v in scen["reasons"].items()}
    return DemoData(people=people, scenarios=tuple(scen["scenarios"]), reasons=reasons)


class _Fields(dict[str, str]):
    """Formatting map that leaves an unknown placeholder visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict[str, str]) -> str:
    # str.format_map (C) rather than string.Formatter (Python): the same text, and the
    # benchmarks compose 200,000 reports with it.
    return template.format_map(_Fields(values)).strip()


def fake_sha256(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(32)).hexdigest()


def compose(rng: random.Random, data: DemoData | None = None) -> CaseText:
    """One report, chosen and filled from the demo data with ``rng``."""
    data = data or load()
    sc = rng.choices(data.scenarios, weights=data.weights)[0]
    models = data.people["models"]
    if sc.get("open_weights_only"):
        models = [m for m in models if m.get("open_weights")]
    model = rng.choice(models)
    product = rng.choice(data.people["products"])
    variant = rng.choice(sc["variants"])
    reporters = data.people["reporters"]
    reporter = rng.randrange(len(reporters))
    rep = reporters[reporter]
    n = rng.choice((10, 20, 25, 50, 100, 200))
    k = max(1, round(n * rng.uniform(0.08, 0.9))) if sc.get("success") else 0
    cost_usd = rng.randrange(40, 2400)
    values: dict[str, str] = {
        "model": model["name"],
        "model_vendor": model["vendor"],
        "version": rng.choice(model["versions"]),
        "model_slug": model["name"].lower().replace(" ", "-"),
        "product": product["name"],
        "vendor": product["vendor"],
        "product_version": rng.choice(product["versions"]),
        "sector": product["sector"].replace("-", " "),
        "k": str(k),
        "n": str(n),
        "rate": str(round(100 * k / n)),
        "refusals": str(n - k),
        "hash": fake_sha256(rng),
        "reporter": rep.get("credit") or rep["handle"],
        "days": str(rng.choice((30, 45, 60, 90))),
        "queries": f"{rng.randrange(20, 900) * 1000:,}",
        "cost": f"{cost_usd:,} USD",
        "hours": str(rng.randrange(6, 72)),
        "downloads": f"{rng.randrange(300, 40000):,}",
    }
    for key, raw in variant.items():
        values[key] = _fill(str(raw), values)
    title = _fill(rng.choice(sc["titles"]), values)
    return CaseText(
        scenario=sc["id"],
        label=sc["label"],
        title=title[:1].upper() + title[1:],
        summary=" ".join(_fill(sc["summary"], values).split()),
        body=_fill(sc["body"], values) + "\n",
        model={"name": model["name"], "vendor": model["vendor"], "version": values["version"],
               "open_weights": "yes" if model.get("open_weights") else "no"},
        product={"name": product["name"], "vendor": product["vendor"],
                 "version": values["product_version"], "kind": product.get("kind", "system")},
        sector=product["sector"],
        reporter=reporter,
        owasp=tuple(sc["owasp"]),
        atlas=tuple(sc["atlas"]),
        cwe=sc["cwe"],
        harm=sc["harm"],
        access=sc["access"],
        transferability=rng.choice(sc["transferability"]),
        cvss=rng.choice(sc["cvss"]),
        success=(k, n) if sc.get("success") else None,
        fields=values,
    )  # fmt: skip
