"""Shared benchmark helpers: a big, valid workspace built fast with SQLAlchemy Core.

Rows go in with ``executemany`` in batches; each case gets its report (raw text kept) and
two audit events whose hash chain is computed here with ``app.auditing.chain.event_hash``, so the
result passes ``accord audit verify`` like any workspace built through the use cases.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, func, insert, select  # noqa: E402

from app.auditing import chain as audit  # noqa: E402
from app.demos.text import compose, load  # noqa: E402
from app.workspaces.engines import migrate  # noqa: E402
from models import (  # noqa: E402
    Analyst,
    AuditEvent,
    Case,
    CaseJurisdiction,
    CasePartner,
    CaseSearch,
    CaseStatus,
    Deadline,
    Partner,
    Report,
    Role,
    Setting,
)
from models.cases import jurisdictions_label  # noqa: E402

OUT = REPO / "bench" / "out"
PASSPHRASE = "accord-bench-passphrase"
ORG = "Accord Bench CERT"
FIRST = "Mara Lindqvist"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TIERS = (("Critical", 5, 6), ("High", 4, 18), ("Medium", 3, 34), ("Low", 2, 22),
         ("Informational", 1, 6), (None, 0, 14))  # fmt: skip
# Jurisdictions of the saved filters, most common first (weights come from repeats).
JURISDICTIONS = ("EU", "EU", "EU", "US", "US", "UK", "JP", "DE", "SG", "AU")
STATUS_WEIGHTS = {
    CaseStatus.NEW: 8, CaseStatus.TRIAGE: 10, CaseStatus.ACCEPTED: 8,
    CaseStatus.COORDINATING: 12, CaseStatus.REMEDIATION: 10, CaseStatus.DISCLOSED: 8,
    CaseStatus.CLOSED: 34, CaseStatus.NEEDS_INFO: 4, CaseStatus.DUPLICATE: 3,
    CaseStatus.REJECTED: 3,
}  # fmt: skip


@dataclass
class Timer:
    """``with Timer() as t: ...`` then ``t.ms``."""

    ms: float = 0.0

    def __enter__(self) -> Timer:
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.perf_counter() - self._t) * 1000


def people(engine: Engine) -> tuple[list[int], list[str]]:
    """Analysts and partners of the demo data; returns (analyst ids, partner names)."""
    data = load().people
    ids: list[int] = []
    with engine.begin() as conn:
        conn.execute(insert(Setting), [{"key": "org.name", "value": ORG}])
        for a in data["analysts"]:
            row = conn.execute(
                insert(Analyst).values(name=a["name"], role=Role(a["role"]),
                                       timezone=a["timezone"], created_at=NOW)
                .returning(Analyst.id)
            ).scalar_one()  # fmt: skip
            ids.append(row)
        conn.execute(insert(Partner), [
            {"name": p["name"], "country": p["country"], "timezone": p["timezone"],
             "languages": p["languages"], "created_at": NOW}
            for p in data["partners"]
        ])  # fmt: skip
    return ids, [p["name"] for p in data["partners"]]


def _rows(
    n: int, analysts: list[int], partners: list[str], seed: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(case, search document, report) rows, deterministic for a seed."""
    rng = random.Random(seed)
    statuses = list(STATUS_WEIGHTS)
    sweights = list(STATUS_WEIGHTS.values())
    numbers: dict[int, int] = {}
    start = NOW - timedelta(days=3 * 365)
    for i in range(n):
        text = compose(rng)
        created = start + timedelta(seconds=int(i * (3 * 365 * 86400) / n))
        year = created.year
        numbers[year] = numbers.get(year, 0) + 1
        key = f"ACC-{year}-{numbers[year]:04d}"
        tier, rank, _w = rng.choices(TIERS, weights=[t[2] for t in TIERS])[0]
        status = rng.choices(statuses, weights=sweights)[0]
        linked = sorted(rng.sample(partners, rng.choice((0, 0, 1, 1, 2, 3))))
        deadline = (
            NOW + timedelta(hours=rng.uniform(-24 * 30, 24 * 90)) if rng.random() < 0.6 else None
        )
        case_id = i + 1
        raw = text.body.encode()
        yield (
            {"id": case_id, "key": key, "year": year, "number": numbers[year],
             "title": text.title, "description": text.summary, "status": status,
             "assignee_id": rng.choice(analysts) if rng.random() < 0.8 else None,
             "reporter_id": None, "source_partner_id": None, "tier": tier, "tier_rank": rank,
             "next_deadline_utc": deadline, "partners_label": ", ".join(linked),
             "embargo_until": None, "created_at": created, "updated_at": created},
            {"case_id": case_id,
             "document": "\n".join((key, text.title, text.summary, text.title, text.summary))},
            {"case_id": case_id, "source": "reporter", "format": "text", "title": text.title,
             "description": text.summary, "filename": f"report-{case_id}.txt",
             "media_type": "text/plain", "raw": raw, "raw_sha256": hashlib.sha256(raw).hexdigest(),
             "warnings": [], "received_at": created, "document_id": None, "revision": None,
             "reporter_id": None, "partner_id": None},
        )  # fmt: skip


class Chain:
    """Audit events with their hash chain, continuing after the events already stored."""

    def __init__(self, seq: int, prev: str) -> None:
        self.seq = seq
        self.prev = prev

    def event(
        self, at: datetime, actor: str, action: str, entity: str, entity_id: object,
        case_key: str | None, details: dict[str, Any],
    ) -> dict[str, Any]:  # fmt: skip
        self.seq += 1
        ev: dict[str, Any] = {"seq": self.seq, "at": at.isoformat(), "actor": actor,
              "action": action,
              "entity": entity, "entity_id": str(entity_id), "case": case_key,
              "details": details, "prev_hash": self.prev}  # fmt: skip
        ev["hash"] = audit.event_hash(ev)
        self.prev = ev["hash"]
        row = dict(ev, at=at, case_key=case_key)
        del row["case"]
        return row


def fill(
    engine: Engine,
    n: int,
    *,
    seed: int = 7,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    staff: tuple[list[int], list[str]] | None = None,
    actor: str = FIRST,
    reports_per_case: int = 1,
) -> float:
    """Insert ``n`` cases (with reports, search documents and audit events) into a migrated,
    empty workspace; returns the seconds spent inserting (row generation excluded).
    ``staff``: (analyst ids, partner names) already there (else the demo's are added);
    ``actor``: the analyst named in the audit events. Each case also gets its partners, one
    or two jurisdictions and, with a next deadline, a deadline per jurisdiction (what the saved
    filters read); ``reports_per_case`` > 1 adds further reports (1M reports for 200k cases)."""
    analysts, partners = staff if staff is not None else people(engine)
    with engine.connect() as conn:
        partner_ids = dict(conn.execute(select(Partner.name, Partner.id)).all())
    extra = random.Random(seed + 1)
    with engine.connect() as conn:
        last = conn.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    chain = Chain(last[0], last[1]) if last else Chain(0, audit.GENESIS)
    spent = 0.0
    rows = _rows(n, analysts, partners, seed)
    done = 0
    while done < n:
        cases, docs, reports, events = [], [], [], []
        links: list[dict[str, Any]] = []
        places: list[dict[str, Any]] = []
        deadlines: list[dict[str, Any]] = []
        for case, doc, report in (next(rows) for _ in range(min(batch, n - done))):
            cases.append(case)
            docs.append(doc)
            reports.append(report)
        for c in cases:
            at = c["created_at"]
            events.append(chain.event(at, actor, "case.create", "case", c["id"], c["key"], {}))
            events.append(chain.event(at, actor, "report.import", "case", c["id"], c["key"],
                                      {"report": c["id"]}))  # fmt: skip
            for name in filter(None, c["partners_label"].split(", ")):
                links.append({"case_id": c["id"], "partner_id": partner_ids[name]})
            codes = sorted(set(extra.sample(JURISDICTIONS, extra.choice((1, 1, 2)))))
            places += [{"case_id": c["id"], "code": code} for code in codes]
            # Its deadlines name the same codes: the label is those (models/work.py).
            c["jurisdictions_label"] = jurisdictions_label(codes)
            if c["next_deadline_utc"] is not None:
                deadlines += [
                    {"case_id": c["id"], "rule_id": f"bench-{code.lower()}-notify",
                     "jurisdiction": code, "obligation": "notify", "recipient": "",
                     "due_utc": c["next_deadline_utc"], "state": "pending", "binding": True,
                     "source": "", "met_at": None, "met_by_id": None, "evidence": None}
                    for code in codes
                ]  # fmt: skip
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(Case), cases)
            conn.execute(insert(CaseSearch), docs)
            conn.execute(insert(Report), reports)
            conn.execute(insert(AuditEvent), events)
            if links:
                conn.execute(insert(CasePartner), links)
            conn.execute(insert(CaseJurisdiction), places)
            if deadlines:
                conn.execute(insert(Deadline), deadlines)
        spent += time.perf_counter() - t0
        done += len(cases)
        if progress:
            progress(done)
    if reports_per_case > 1:
        t0 = time.perf_counter()
        copy_reports(engine, reports_per_case - 1)
        spent += time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        # Ids were given explicitly: move the sequences past them for the rows made later.
        with engine.begin() as conn:
            for table in ("case", "report"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
    return spent


_REPORT_COLUMNS = (
    "case_id, source, format, document_id, revision, title, description, "
    "media_type, raw, raw_codec, raw_sha256, warnings, reporter_id, partner_id, received_at"
)


def copy_reports(engine: Engine, copies: int, batch: int = 50_000) -> None:
    """Give each case ``copies`` more reports, copies of its first (the 1,000,000-report size),
    with INSERT … SELECT in the database: nothing crosses the driver, so the size costs
    little more to build than one report per case. Their import is not audited (the queue
    reads cases; the chain still verifies)."""
    with engine.connect() as conn:
        top = int(conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM report").scalar() or 0)
    cat = "||"
    for i in range(1, copies + 1):
        for start in range(0, top, batch):
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    f"INSERT INTO report ({_REPORT_COLUMNS}, filename) "
                    f"SELECT {_REPORT_COLUMNS}, filename {cat} '-{i}' FROM report "
                    f"WHERE id > {start} AND id <= {min(start + batch, top)}"
                )


def build(
    engine: Engine,
    n: int,
    progress: Callable[[int], None] | None = None,
    *,
    reports_per_case: int = 1,
) -> float:
    """Migrate a fresh engine and fill it; returns the insert seconds."""
    migrate(engine)
    seconds = fill(engine, n, progress=progress, reports_per_case=reports_per_case)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA optimize")
    return seconds


def count_cases(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count(Case.id))).scalar_one())


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
