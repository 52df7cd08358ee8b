"""The demo's showcase: after the replayed history, every capability on a few chosen cases.

Each story goes through the same use cases as the CLI and the GUI: our organisation's key and
partners' certificates are generated with the project's own key code (``keys.generate``), a
partner CERT's workspace is made in memory so that bundles really travel both ways (signed,
encrypted, verified and imported, one of them held for a gap), and parties, notes,
identifiers, affected ranges, a hazardous attachment, advisories in three languages (one
translation stale), playbook runs waiting on partners and an impact estimate follow. Last,
most missed obligations are recorded as met so that only a plausible handful stay overdue,
and the organisation key signs an audit checkpoint.
"""

from __future__ import annotations

import hashlib
import pickle
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import impact, trust
from app.advisories import drafting, review
from app.auditing import chain as audit
from app.casework import affected, cases, identifiers, notes
from app.deadlines import engine, service
from app.deadlines.rules import builtin_rules
from app.exchange import export, importer, keys, partners, pgp
from app.identity import checkpoints
from app.identity.actor import Actor
from app.impact import inventory
from app.parties import service as parties
from app.playbooks import runner
from models import Case, Deadline, Reporter, Setting

SHOWCASE_FILE = Path(__file__).resolve().parents[2] / "resources" / "demo" / "showcase.yaml"
OVERDUE_KEPT = 5  # open cases left with a missed obligation: a plausible handful
GHSA_CHARS = "23456789cfghjmpqrvwx"


@lru_cache(maxsize=1)
def texts() -> dict[str, Any]:
    data = yaml.safe_load(SHOWCASE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@dataclass
class Showcase:
    """What the showcase made, by case key (``accord demo --json`` and the tests read it)."""

    exchange_case: str = ""
    received_case: str = ""
    advisories: list[str] = field(default_factory=list)
    stale_advisory: str = ""
    playbook_cases: list[str] = field(default_factory=list)
    impact_case: str = ""
    bundles_out: int = 0
    bundles_in: int = 0
    bundles_held: int = 0
    overdue_met: int = 0
    checkpoint: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "exchange_case": self.exchange_case, "received_case": self.received_case,
            "advisories": list(self.advisories), "stale_advisory": self.stale_advisory,
            "playbook_cases": list(self.playbook_cases), "impact_case": self.impact_case,
            "bundles_out": self.bundles_out, "bundles_in": self.bundles_in,
            "bundles_held": self.bundles_held, "overdue_met": self.overdue_met,
            "checkpoint": self.checkpoint,
        }  # fmt: skip


@dataclass(frozen=True)
class Chosen:
    """One case the showcase works on: its key and the demo text it was made from."""

    key: str
    product: dict[str, str]
    model: dict[str, str]
    scenario: str


class _Partner:
    """A partner CERT's own workspace, in memory, with its own generated key."""

    def __init__(self, name: str, analyst: str, our_name: str, our_cert: str, our_fpr: str):
        from app.workspaces import lifecycle as ws_mod

        self.ws = ws_mod.create(None, None, name, analyst, db_url="sqlite://")
        self.name = name
        with self.ws.session() as s:
            actor = self.ws.require_actor()
            self.fingerprint = keys.generate(s, actor).fingerprint
            self.certificate = keys.current_key(s).certificate
            partners.add_partner(
                s, actor, our_name, "EU", "Europe/Stockholm", our_cert, ["en"]
            )  # fmt: skip
            partners.verify_partner(s, actor, our_name, our_fpr)

    def close(self) -> None:
        self.ws.engine.dispose()


def run(
    session: Session,
    actor: Actor,
    actors: dict[str, Actor],
    chosen: dict[str, list[Chosen]],
    now: datetime,
) -> Showcase:
    """Every story, in order; ``chosen`` maps a final state to candidate cases."""
    t = texts()
    out = Showcase()
    org = org_name(session)  # the workspace's own name, which the partner knows us by
    with audit.clock(session, now - timedelta(hours=30)):
        keys.generate(session, actor)
        own = keys.current_key(session)
    peer = _Partner(t["exchange_partner"], t["exchange_analyst"], org, own.certificate,
                    own.fingerprint)  # fmt: skip
    try:
        with audit.clock(session, now - timedelta(hours=29)):
            _certificates(session, actor, peer)
        # Cases under embargo with partners; a small demo may have only one or none.
        pool = chosen.get("coordinating", []) + chosen.get("remediation", [])
        if pool:
            case = pool[0]
            out.exchange_case = case.key
            with audit.clock(session, now - timedelta(hours=28)):
                _casework(session, actor, case, t, peer.name, now)
            with audit.clock(session, now - timedelta(hours=27)):
                _joint_run(session, actor, case, now)
                out.playbook_cases.append(case.key)
            with audit.clock(session, now - timedelta(hours=26)):
                _exchange(session, actor, case, peer, out)
        if len(pool) > 1:
            with audit.clock(session, now - timedelta(hours=20)):
                out.impact_case = pool[1].key
                _impact(session, actor, pool[1], t, now)
                out.playbook_cases.append(pool[1].key)
        published = (chosen.get("disclosed", []) + chosen.get("closed", []))[:3]
        with audit.clock(session, now - timedelta(hours=16)):
            _advisories(session, actors, published, t, out)
    finally:
        peer.close()
    with audit.clock(session, now - timedelta(hours=2)):
        out.overdue_met = settle_overdue(session, actor, now)
    out.checkpoint = checkpoints.create(session, actor, "demo: the showcase is in place")
    return out


# -- partners and certificates ----------------------------------------------------------------


def _certificates(session: Session, actor: Actor, peer: _Partner) -> None:
    """The exchange partner and one more verified; one whose fingerprint still awaits a call."""
    t = texts()
    partners.add_key(session, actor, peer.name, peer.certificate)
    partners.verify_partner(session, actor, peer.name, peer.fingerprint)
    for name, verify in ((t["verified_partner"], True), (t["unverified_partner"], False)):
        # The same generator a real partner would use for its organisation key.
        _secret, _pw, cert = pgp.generate_key(name)
        partners.add_key(session, actor, name, cert)
        if verify:
            partners.verify_partner(session, actor, name, pgp.parse_cert(cert).fingerprint)


# -- one case worked in full ------------------------------------------------------------------


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())[:20] or "vendor"


def _casework(
    session: Session, actor: Actor, case: Chosen, t: dict[str, Any], cert: str, now: datetime
) -> None:
    """Parties with statuses and contacts (one file hazardous), notes, ids, an affected range."""
    rng = random.Random(f"showcase-{case.key}")
    vendor = case.product["vendor"]
    trust.share(session, actor, case.key, cert, False)
    channel = t["vendor_channel"].format(vendor_slug=_slug(vendor))
    party = parties.add(session, actor, case.key, "vendor", vendor, contacts=[channel],
                        channel="e-mail")  # fmt: skip
    base = now - timedelta(days=12)
    for i, status in enumerate(("notified", "acknowledged", "affected")):
        statement = t["vendor_statements"].get(status, "")
        parties.set_status(session, actor, case.key, party.id, status, statement,
                           at=base + timedelta(days=2 * i))  # fmt: skip
    peer = parties.add(session, actor, case.key, "cert", cert, partner=cert)
    parties.set_status(session, actor, case.key, peer.id, "notified", at=base + timedelta(days=3))
    row = session.scalar(select(Case).where(Case.key == case.key))
    assert row is not None
    if row.reporter_id is not None:
        handle = session.scalar(select(Reporter.handle).where(Reporter.id == row.reporter_id))
        rep = parties.add(session, actor, case.key, "reporter", handle or "reporter")
        for c in t["contacts"]:
            files: list[tuple[str, bytes]] = []
            if c.get("file"):
                # A benign pickle: loading any pickle may run code, so intake flags it.
                files.append((c["file"], pickle.dumps({"layer.0.weight": [0.25] * 8})))
            who = party.id if c["party"] == "vendor" else rep.id
            parties.log_contact(session, actor, case.key, who, c["direction"], c["channel"],
                                c["summary"], files=files)  # fmt: skip
    for n in t["notes"]:
        notes.add(session, actor, case.key, n["text"], shared=bool(n["shared"]))
    for kind, pattern in t["identifiers"]:
        value = pattern.format(
            n=rng.randrange(20000, 49999), n3=rng.randrange(1, 300),
            a="".join(rng.choice(GHSA_CHARS) for _ in range(4)),
            b="".join(rng.choice(GHSA_CHARS) for _ in range(4)),
            c="".join(rng.choice(GHSA_CHARS) for _ in range(4)),
            vendor_prefix=_slug(vendor)[:6].upper(),
        )  # fmt: skip
        identifiers.add(session, actor, case.key, kind, value)
    affected.add(
        session, actor, case.key, name=case.product["name"], vendor=vendor,
        version_range=t["affected_range"].format(version=case.product["version"]),
        kind=case.product.get("kind", "system"),
    )  # fmt: skip


def _joint_run(session: Session, actor: Actor, case: Chosen, now: datetime) -> None:
    """Coordination under embargo, up to the partners' acknowledgement (a partner-owned step)."""
    pb = "coordination-embargo"
    runner.start(session, actor, case.key, pb)
    until = (now + timedelta(days=40)).replace(hour=14, minute=0, second=0, microsecond=0)
    for step, outputs in (
        ("identify-parties", {"parties": "vendor PSIRT, reporter, partner CERTs"}),
        ("contact-vendor", {"vendor_channel": "PSIRT e-mail (PGP)"}),
        ("vendor-response", {"vendor_response": "responsive"}),
        ("propose-embargo", {"embargo_until": until.isoformat()}),
    ):
        runner.complete(session, actor, case.key, step, outputs, playbook_id=pb)


def _exchange(session: Session, actor: Actor, case: Chosen, peer: _Partner, out: Showcase) -> None:
    """Bundles both ways: ours to the partner (AMBER, encrypted), its acknowledgement back, a
    case it opened, and a later bundle held because the one before it never arrived."""
    t = texts()
    sent = export.export_bundle(session, actor, [peer.name], [case.key], "AMBER")
    out.bundles_out += 1
    with peer.ws.session() as ps:
        them = peer.ws.require_actor()
        got = importer.import_bundle(ps, them, sent.data, name="from-us.zip.gpg")
        theirs = got.cases[0].case
        runner.complete(ps, them, theirs, "partner-ack", {"embargo_accepted": "yes"},
                        playbook_id="coordination-embargo")  # fmt: skip
        notes.add(ps, them, theirs, t["partner_note"], shared=True)
        back = export.export_bundle(ps, them, [org_name(session)], [theirs], "AMBER").data
        own = cases.create_case(
            ps, them, "Prompt injection in a municipal chatbot's document upload",
            "Reported to CERT-Baltica; the same agent framework as one of our cases.",
        )  # fmt: skip
        trust.share(ps, them, own.key, org_name(session), False)
        new_case = export.export_bundle(ps, them, [org_name(session)], [own.key], "GREEN").data
        notes.add(ps, them, own.key, "Vendor contacted through the national CERT.", shared=True)
        lost = export.export_bundle(ps, them, [org_name(session)], [own.key], "GREEN").data
        notes.add(ps, them, own.key, "Fix confirmed on the reporter's deployment.", shared=True)
        later = export.export_bundle(ps, them, [org_name(session)], [own.key], "GREEN").data
    del lost  # never arrives: the bundle after it waits for it (or a coordinator's accept)
    for data, name in ((back, "cert-baltica-1.zip.gpg"), (new_case, "cert-baltica-2.zip")):
        result = importer.import_bundle(session, actor, data, name=name)
        out.bundles_in += 1
        if name.endswith("2.zip") and result.cases:
            out.received_case = result.cases[0].case
    held = importer.import_bundle(session, actor, later, name="cert-baltica-4.zip")
    out.bundles_held += int(held.held)


def org_name(session: Session) -> str:
    row = session.get(Setting, "org.name")
    return str(row.value) if row is not None and row.value else "Accord"


# -- impact, advisories -----------------------------------------------------------------------


def _impact(session: Session, actor: Actor, case: Chosen, t: dict[str, Any], now: datetime) -> None:
    """Impact playbook waiting on partners' inventories, and an estimate from our own."""
    pb = "impact-estimation"
    product = case.product
    runner.start(session, actor, case.key, pb)
    runner.complete(session, actor, case.key, "define-scope",
                    {"affected_products": f"{product['name']} {product['version']}"},
                    playbook_id=pb)  # fmt: skip
    head = "Organisation,Deployment ID,Sector,Country,Product,Vendor,Version,Monthly Active Users"
    lines = [head]
    for r in t["inventory"]:
        version = "0.1" if r.get("other_version") else product["version"]
        lines.append(",".join(str(x) for x in (
            r["organisation"], r["deployment"], r["sector"], r["country"], product["name"],
            product["vendor"], version, r["users"],
        )))  # fmt: skip
    data = ("\n".join(lines) + "\n").encode("utf-8")
    items = inventory.read_table(data, "constituency-inventory.csv", "csv", {})
    digest = hashlib.sha256(data).hexdigest()
    inv = inventory.Inventory("constituency-inventory.csv", "csv", digest, items)
    runner.complete(session, actor, case.key, "gather-inventories",
                    {"inventories": "constituency-inventory.csv"}, playbook_id=pb)  # fmt: skip
    impact.estimate(session, actor, case.key, [inv])


def _advisories(
    session: Session,
    actors: dict[str, Actor],
    chosen: list[Chosen],
    t: dict[str, Any],
    out: Showcase,
) -> None:
    """Advisories in English, German and Japanese: one approved, one with a stale
    translation (the English summary was revised after it), one still a draft."""
    adv = t["advisory"]
    coords = [a for a in actors.values() if a.role.value == "coordinator"]
    author, approver = coords[-1], coords[0]
    for n, case in enumerate(chosen):
        drafting.create(session, author, case.key, "en", "CLEAR")
        drafting.set_text(session, author, case.key, "summary", "en", adv["summary"])
        drafting.set_text(session, author, case.key, "mitigation", "en", adv["mitigation"])
        for lang, cells in adv["translations"].items():
            for name, text in cells.items():
                value = text.format(product=case.product["name"])
                drafting.set_text(session, author, case.key, name, lang, value)
        out.advisories.append(case.key)
        if n == 0:
            review.submit(session, author, case.key)
            review.approve(session, approver, case.key)
        elif n == 1:
            drafting.set_text(session, author, case.key, "summary", "en", adv["revised_summary"])
            out.stale_advisory = case.key


# -- deadlines --------------------------------------------------------------------------------


def settle_overdue(session: Session, actor: Actor, now: datetime) -> int:
    """Record most missed obligations as met before they fell due (with evidence), keeping
    ``OVERDUE_KEPT`` open cases overdue: a real team meets most of its deadlines."""
    from app.queueing.filters import CLOSED

    rows = session.execute(
        select(Deadline.case_id, Deadline.rule_id, Deadline.due_utc, Case.key)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.state.in_(engine.OPEN_STATES), Deadline.due_utc < now,
               Case.status.not_in(CLOSED))
        .order_by(Case.key, Deadline.due_utc)
    ).all()  # fmt: skip
    by_case: dict[str, list[tuple[str, datetime]]] = {}
    for _cid, rule, due, key in rows:
        if due is not None:
            by_case.setdefault(key, []).append((rule, due))
    rng = random.Random(f"overdue-{len(by_case)}")
    kept = set(rng.sample(sorted(by_case), min(OVERDUE_KEPT, len(by_case))))
    rules = builtin_rules()
    met = 0
    evidence = texts()["deadline_evidence"]
    for key, missed in by_case.items():
        if key in kept:
            continue
        for rule, due in missed:
            at = due - timedelta(hours=rng.uniform(2, 40))
            with audit.clock(session, at):
                service.mark_met(session, actor, key, rule,
                                 evidence.format(ref=f"{key}/{rule}"), rules, at)  # fmt: skip
            met += 1
    return met


PREFERRED = ("agent-tool-injection", "excessive-agency-plugin", "rag-indirect-injection")


def choose(keys: dict[int, str], plans: list[Any]) -> dict[str, list[Chosen]]:
    """Candidate cases per final state, in plan order (deterministic); agent and tool
    injection cases first, since the showcase's advisory and notes speak of tool calls."""
    out: dict[str, list[Chosen]] = {}
    for p in plans:
        if p.index in keys:
            out.setdefault(p.final, []).append(
                Chosen(keys[p.index], dict(p.text.product), dict(p.text.model), p.text.scenario)
            )
    for state, found in out.items():
        out[state] = sorted(found, key=lambda c: c.scenario not in PREFERRED)
    return out
