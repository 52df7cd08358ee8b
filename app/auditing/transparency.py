"""The public transparency report: aggregate counts only, TLP:CLEAR.

Every label in it comes from a closed vocabulary (tiers, sectors of the severity model, AI
class ids known to the taxonomy, quarters, jurisdiction codes of the rules files); free text
from cases, reporters or partners never reaches the output.

Only cases that may be public count: TLP:CLEAR (their own label and any received floor) and
no embargo running; duplicates and rejected cases never count. Counts under ``min_count``
are shown as "< N", and where the rows of a table add up to the total, a second cell is
withheld with a lone small one so it cannot be had by subtraction.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2
import pandas as pd
from markupsafe import Markup
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.cases import TIER_RANK
from app.deadlines.rules import RuleSet, builtin_rules
from app.errors import AccordError, UsageError
from app.identity.actor import Actor
from app.workspaces import files
from i18n import _
from models import (
    Assessment,
    AuditEvent,
    Case,
    CaseFact,
    CaseStatus,
    Deadline,
    Vulnerability,
    utcnow,
)
from taxonomy import ai

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"
SECTORS = ("general", "finance", "health", "critical-infrastructure")
UNSCORED = "unscored"
OTHER = "other"
UNSPECIFIED = "unspecified"
MIN_COUNT = 5  # counts under this are shown as "< 5"
EXCLUDED = (CaseStatus.DUPLICATE, CaseStatus.REJECTED)


@dataclass(frozen=True)
class Table:
    """One aggregate: a CSV file and a chart."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | int | float, ...], ...]


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    cases: int | str  # "< N" when under the threshold
    tables: tuple[Table, ...]
    generated_at: datetime
    min_count: int = MIN_COUNT


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(_("{value} is not a date (YYYY-MM-DD)").format(value=value)) from None


def _quarter(d: datetime) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _ai_label(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        return UNSPECIFIED
    return value if ai.is_known(value) else OTHER


def _public_cases(lo: datetime, hi: datetime, now: datetime) -> Select[int, str | None, datetime]:
    """Cases opened in [lo, hi) that may be counted in public: TLP:CLEAR (own label and any
    received floor), no embargo running (date or fact), neither duplicate nor rejected."""
    embargo_fact = exists().where(
        CaseFact.case_id == Case.id, CaseFact.name == "embargo-until", CaseFact.at > now
    )
    return select(Case.id, Case.tier, Case.created_at).where(
        Case.created_at >= lo,
        Case.created_at < hi,
        Case.status.not_in(EXCLUDED),
        Case.tlp == "CLEAR",
        or_(Case.tlp_floor.is_(None), Case.tlp_floor == "CLEAR"),
        or_(Case.embargo_until.is_(None), Case.embargo_until <= now),
        ~embargo_fact,
    )


def build(
    session: Session,
    start: date,
    end: date,
    rules: RuleSet | None = None,
    now: datetime | None = None,
    min_count: int = MIN_COUNT,
) -> Report:
    """Aggregate the public cases opened from ``start`` to ``end`` (both inclusive, UTC days);
    counts under ``min_count`` are suppressed."""
    if end < start:
        raise UsageError(_("--to is before --from"))
    if min_count < 1:
        raise UsageError(_("--min-count must be at least 1"))
    now = now or utcnow()
    lo = datetime.combine(start, time(), tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    known_j = {f.jurisdiction for f in (rules or builtin_rules()).files}
    case_rows = session.execute(_public_cases(lo, hi, now)).all()
    cases = pd.DataFrame(case_rows, columns=["id", "tier", "created_at"])
    ids = [int(i) for i in cases["id"]]
    tiers = [t for t in sorted(TIER_RANK, key=lambda t: -TIER_RANK[t])] + [UNSCORED]
    cases["tier"] = cases["tier"].map(lambda t: t if t in TIER_RANK else UNSCORED)
    by_tier = cases["tier"].value_counts()
    cases["quarter"] = cases["created_at"].map(_quarter)

    latest: dict[int, str] = {}
    assessed_class: dict[int, object] = {}
    for cid, sector, factors in session.execute(
        select(Assessment.case_id, Assessment.sector, Assessment.ai_factors)
        .where(Assessment.case_id.in_(ids))
        .order_by(Assessment.created_at, Assessment.id)
    ):
        latest[cid] = sector if sector in SECTORS else (UNSPECIFIED if not sector else OTHER)
        assessed_class[cid] = (factors or {}).get("ai_class")  # the latest assessment's
    sectors = pd.Series([latest.get(i, UNSPECIFIED) for i in ids], dtype="object").value_counts()

    # A case's AI class is its latest assessment's; without one, its vulnerabilities'.
    recorded = pd.DataFrame(
        session.execute(
            select(Vulnerability.case_id, Vulnerability.ai_class).where(
                Vulnerability.case_id.in_(ids)
            )
        ).all(),
        columns=["case", "ai_class"],
    )
    recorded = recorded[~recorded["case"].map(lambda c: bool(assessed_class.get(c)))]
    assessed = pd.DataFrame(
        [(c, v) for c, v in assessed_class.items() if v], columns=["case", "ai_class"]
    )
    classes = pd.concat([assessed, recorded], ignore_index=True)
    classes["label"] = classes["ai_class"].map(_ai_label)
    unclassed = set(ids) - set(classes["case"])
    by_class = pd.concat(
        [
            classes.drop_duplicates(["case", "label"])["label"],
            pd.Series([UNSPECIFIED] * len(unclassed), dtype="object"),
        ]
    ).value_counts()

    remediation = _remediation(session, cases, min_count)
    on_time = _on_time(session, ids, now, known_j, min_count)
    tables = (
        Table(
            "by_tier",
            _("Cases by tier"),
            ("tier", "cases"),
            tuple((t, int(by_tier.get(t, 0))) for t in tiers),
        ),
        Table(
            "by_sector",
            _("Cases by sector"),
            ("sector", "cases"),
            tuple((s, int(sectors.get(s, 0))) for s in (*SECTORS, OTHER, UNSPECIFIED)),
        ),
        Table(
            "by_ai_class",
            _("Cases by AI vulnerability class"),
            ("ai_class", "cases"),
            tuple((str(k), int(v)) for k, v in sorted(by_class.items())),
        ),
        Table(
            "by_quarter",
            _("Cases opened per quarter"),
            ("quarter", "cases"),
            tuple((str(k), int(v)) for k, v in sorted(cases["quarter"].value_counts().items())),
        ),
    )
    shown = (*(_suppress(t, len(ids), min_count) for t in tables), remediation, on_time)
    return Report(start, end, _count(len(ids), min_count), shown, now, min_count)


def _count(n: int, k: int) -> int | str:
    """``n``, or "< k" when it is a small count that could point at a few cases."""
    return f"< {k}" if 0 < n < k else n


def _suppress(table: Table, total: int, k: int) -> Table:
    """Counts (the last column) under ``k`` become "< k". When the rows add up to the total
    and exactly one is withheld, the next smallest is withheld too (as "≥ k"), so the
    small one is not the total minus the others."""
    counts = [int(r[-1]) for r in table.rows]
    small = [i for i, n in enumerate(counts) if 0 < n < k]
    shown: list[int | str] = [_count(n, k) for n in counts]
    if len(small) == 1 and sum(counts) == total and total >= k:
        others = [i for i, n in enumerate(counts) if n >= k]
        if others:
            shown[min(others, key=lambda i: counts[i])] = f"≥ {k}"
    rows = tuple((*r[:-1], v) for r, v in zip(table.rows, shown, strict=True))
    return Table(table.name, table.title, table.columns, rows)


def _remediation(session: Session, cases: pd.DataFrame, k: int) -> Table:
    """Median days from opening to a fix (the fix-available fact, else moving to remediation)."""
    ids = [int(i) for i in cases["id"]]
    fixed: dict[int, datetime] = {
        cid: at
        for cid, at in session.execute(
            select(CaseFact.case_id, CaseFact.at).where(
                CaseFact.case_id.in_(ids), CaseFact.name == "fix-available"
            )
        )
    }
    key_of = {k: i for k, i in session.execute(select(Case.key, Case.id).where(Case.id.in_(ids)))}
    for key, at, details in session.execute(
        select(AuditEvent.case_key, AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.action == "case.transition", AuditEvent.case_key.in_(list(key_of)))
        .order_by(AuditEvent.seq)
    ):
        cid = key_of.get(key or "")
        if cid is not None and cid not in fixed and details.get("to") == "remediation":
            fixed[cid] = at
    df = cases.copy()
    df["days"] = [
        (fixed[i] - c).total_seconds() / 86400 if i in fixed else math.nan
        for i, c in zip(df["id"], df["created_at"], strict=True)
    ]
    rows: list[tuple[str | int | float, ...]] = []

    def row(label: str, d: pd.Series) -> tuple[str | int | float, ...]:
        # The median of a few cases is nearly one case's own timeline: withheld with them.
        if len(d) < k:
            return (label, _count(len(d), k), "")
        return (label, len(d), round(float(d.median()), 1))

    for q, group in sorted(df.groupby("quarter")):
        rows.append(row(str(q), group["days"].dropna()))
    rows.append(row("all", df["days"].dropna()))
    return Table(
        "remediation",
        _("Median days to remediation"),
        ("quarter", "remediated_cases", "median_days"),
        tuple(rows),
    )


def _on_time(session: Session, ids: list[int], now: datetime, known: set[str], k: int) -> Table:
    rows = session.execute(
        select(Deadline.jurisdiction, Deadline.due_utc, Deadline.met_at).where(
            Deadline.case_id.in_(ids), Deadline.due_utc.is_not(None), Deadline.due_utc <= now
        )
    ).all()
    df = pd.DataFrame(rows, columns=["j", "due", "met"])
    df = df[df["j"].isin(known)]
    out: list[tuple[str | int | float, ...]] = []
    for j, group in sorted(df.groupby("j")):
        on_time = int(
            sum(
                1
                for d, m in zip(group["due"], group["met"], strict=True)
                if m is not None and not pd.isna(m) and m <= d
            )
        )
        total = len(group)
        if total < k:
            out.append((str(j), _count(total, k), "", ""))
        elif 0 < on_time < k or 0 < total - on_time < k:
            # A few met (or a few missed) would show through the rate: both withheld.
            out.append((str(j), total, _count(on_time, k) if on_time < k else f"≥ {k}", ""))
        else:
            out.append((str(j), total, on_time, round(on_time / total, 3)))
    return Table(
        "on_time",
        _("Obligations met on time, per jurisdiction"),
        ("jurisdiction", "obligations_due", "met_on_time", "on_time_rate"),
        tuple(out),
    )


def svg_bars(table: Table, value_column: int = 1, width: int = 560) -> Markup:
    """A self-contained horizontal bar chart as inline SVG (no scripts, no external files)."""
    rows = [(str(r[0]), r[value_column]) for r in table.rows]
    values = [float(v) if isinstance(v, int | float) else 0.0 for _label, v in rows]
    top = max(values, default=0.0) or 1.0
    bar_h, gap, label_w = 18, 6, 170
    height = max(1, len(rows)) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(table.title)}</title>'
    ]
    for i, ((label, raw), v) in enumerate(zip(rows, values, strict=True)):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 60) * v / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#2f6f9f">'
            f"<title>{escape(label)}: {escape(str(raw))}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{escape(str(raw))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    w.writerows(table.rows)
    return buf.getvalue()


def render_html(report: Report, org: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    charts = {
        t.name: svg_bars(t, 3 if t.name == "on_time" else (2 if t.name == "remediation" else 1))
        for t in report.tables
    }
    return env.get_template("transparency.html.j2").render(
        report=report,
        charts=charts,
        org=org,
        _=_,
    )


def write(
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    out: Path,
    org: str = "",
    rules: RuleSet | None = None,
    now: datetime | None = None,
    min_count: int = MIN_COUNT,
) -> list[Path]:
    """Write the CSV files, ``manifest.json`` and ``transparency.html`` into ``out``."""
    report = build(session, start, end, rules, now, min_count)
    try:
        files.private_dir(out)
    except OSError as exc:
        raise AccordError(
            _("cannot create {dir}: {problem}").format(dir=out, problem=exc)
        ) from None
    written = []
    for t in report.tables:
        p = out / f"{t.name}.csv"
        files.write_private(p, _csv(t).encode("utf-8"))
        written.append(p)
    html = out / "transparency.html"
    files.write_private(html, render_html(report, org).encode("utf-8"))
    written.append(html)
    manifest = out / "manifest.json"
    files.write_private(
        manifest,
        json.dumps(
            {
                "tlp": "CLEAR",
                "from": start.isoformat(),
                "to": end.isoformat(),
                "cases": report.cases,
                "min_count": report.min_count,
                "generated_at": report.generated_at.isoformat(),
                "files": [p.name for p in written],
            },
            indent=2,
        ).encode("utf-8"),
    )
    written.append(manifest)
    audit.record(
        session,
        actor,
        "report.transparency",
        "report",
        f"{start}..{end}",
        details={"cases": report.cases, "files": len(written), "min_count": report.min_count},
    )
    return written
