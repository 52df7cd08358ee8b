"""The column-mapping step of a spreadsheet import, headless.

Before CSV/XLSX bug-bounty exports are imported, an analyst sees each column with a few
sample values and the report field it will fill: the mapping saved for the source where it
names the column, else the guess from the header (``spreadsheet.auto_mapping``), else
"ignore". That is the mapping the import itself would use, so what the step shows is what
the import does. The GUI (``views/intake/column_mapping.py``) and ``accord mapping`` are faces on
these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import UsageError
from app.identity.actor import Actor
from app.intake import detect, spreadsheet, walker
from app.intake.model import Limits, Rejected
from app.intake.spreadsheet import FIELDS
from i18n import N_, _
from models import SourceMapping

Origin = Literal["saved", "guessed", "none"]
SAMPLE_ROWS = 5
SAMPLES_PER_COLUMN = 3
SAMPLE_CHARS = 80
PREVIEW_CHARS = 300
# parse_rows refuses a sheet unless one of these is mapped to one of its columns.
NEEDS_ONE_OF = ("title", "description")
# SourceMapping.source is 200 characters, AuditEvent.entity_id only 120.
MAX_SOURCE = 200
_AUDIT_ID = 120

FIELD_LABELS: dict[str, str] = {
    "identifier": N_("Identifier"),
    "title": N_("Title"),
    "description": N_("Description"),
    "severity": N_("Stated severity"),
    "weakness": N_("Weakness (CWE)"),
    "cvss_vector": N_("CVSS vector"),
    "product": N_("Product or model"),
    "url": N_("Link (URL)"),
    "reporter": N_("Reporter"),
    "created": N_("Submitted at"),
    "ignore": N_("Ignore this column"),
}
ORIGIN_LABELS: dict[str, str] = {
    "saved": N_("saved for this source"),
    "guessed": N_("guessed from the header"),
    "none": N_("not recognised"),
}


@dataclass(frozen=True)
class Sheet:
    """One spreadsheet found among the paths: its headers, first rows and row count."""

    path: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # the first SAMPLE_ROWS rows, cells in header order
    row_count: int

    def row_dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.headers, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Unreadable:
    """A spreadsheet that cannot be read; the import would quarantine it for this reason."""

    path: str
    reason: str


@dataclass(frozen=True)
class Scan:
    sheets: tuple[Sheet, ...] = ()
    unreadable: tuple[Unreadable, ...] = ()
    cancelled: bool = False


@dataclass(frozen=True)
class ColumnProposal:
    """A column, the field proposed for it, where the proposal came from, a few values."""

    column: str
    field: str
    origin: Origin
    samples: tuple[str, ...]


@dataclass(frozen=True)
class PreviewRow:
    """A report as the import would create it from one row."""

    path: str
    identifier: str
    title: str
    description: str


@dataclass(frozen=True)
class MappingProposal:
    """The columns of every spreadsheet among the paths, with the proposed mapping."""

    source: str
    columns: tuple[ColumnProposal, ...]
    sheets: tuple[Sheet, ...]
    unreadable: tuple[Unreadable, ...] = ()
    has_saved: bool = False

    def mapping(self) -> dict[str, str]:
        return {c.column: c.field for c in self.columns}

    def refused(self, mapping: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The sheets the import would refuse: none of their columns is a title or description."""
        m = self.mapping() if mapping is None else mapping
        return tuple(
            s.path for s in self.sheets if not any(m.get(h) in NEEDS_ONE_OF for h in s.headers)
        )

    def preview(
        self, mapping: Mapping[str, str] | None = None, limit: int = SAMPLE_ROWS
    ) -> tuple[PreviewRow, ...]:
        """The first reports as they would import, parsed by the importer's own parser."""
        m = dict(self.mapping() if mapping is None else mapping)
        out: list[PreviewRow] = []
        for sheet in self.sheets:
            if len(out) >= limit:
                break
            try:
                docs = spreadsheet.parse_rows(
                    list(sheet.headers), sheet.row_dicts(), m, self.source
                )
            except Rejected:
                continue
            out += [
                PreviewRow(sheet.path, d.document_id or "", d.title, _clip(d.description))
                for d in docs
            ]
        return tuple(out[:limit])

    def as_json(self) -> dict[str, Any]:
        """The fields of ``accord mapping show --json``."""
        return {
            "source": self.source,
            "saved": self.has_saved,
            "columns": [
                {"column": c.column, "field": c.field, "origin": c.origin, "samples": c.samples}
                for c in self.columns
            ],
            "sheets": [
                {"path": s.path, "columns": s.headers, "rows": s.row_count} for s in self.sheets
            ],
            "unreadable": [{"path": u.path, "reason": u.reason} for u in self.unreadable],
            "refused": self.refused(),
            "preview": [
                {
                    "path": p.path,
                    "identifier": p.identifier,
                    "title": p.title,
                    "description": p.description,
                }
                for p in self.preview()
            ],
        }


@dataclass(frozen=True)
class SavedMapping:
    source: str
    columns: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "columns": dict(self.columns)}


def _clip(text: str, size: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def scan_paths(
    paths: Sequence[str | Path],
    limits: Limits | None = None,
    progress: Callable[..., None] | None = None,
    cancel: Callable[[], bool] | None = None,
    *,
    sample_rows: int = SAMPLE_ROWS,
) -> Scan:
    """Find the spreadsheets among files, folders and zips as the import would (same walk,
    same detection) and read their headers and first rows; problems are reported."""
    limits = limits or Limits()
    entries = walker.walk([Path(p) for p in paths], limits)
    sheets: list[Sheet] = []
    unreadable: list[Unreadable] = []
    for done, entry in enumerate(entries):
        # A cancel token may be falsy until cancelled: test for None, never for truth.
        if cancel is not None and cancel():
            return Scan(tuple(sheets), tuple(unreadable), cancelled=True)
        if progress is not None:
            progress(done, len(entries), entry.path)
        found = _read_sheet(entry, limits, sample_rows)
        if isinstance(found, Sheet):
            sheets.append(found)
        elif found is not None:
            unreadable.append(found)
    if progress is not None:
        progress(len(entries), len(entries), "")
    return Scan(tuple(sheets), tuple(unreadable))


def _named_like_sheet(path: str) -> bool:
    return detect.suffix(path) in detect.SPREADSHEET_SUFFIXES


def _read_sheet(entry: walker.Entry, limits: Limits, sample_rows: int) -> Sheet | Unreadable | None:
    if entry.error is not None:
        # Without its bytes only the name can tell whether this was meant as a spreadsheet.
        return Unreadable(entry.path, entry.error) if _named_like_sheet(entry.path) else None
    assert entry.read is not None
    try:
        data = entry.read()
    except (Rejected, OSError) as exc:
        if not _named_like_sheet(entry.path):
            return None
        if isinstance(exc, Rejected):
            return Unreadable(entry.path, str(exc))
        return Unreadable(entry.path, walker.cannot_read(exc))
    if detect.sniff(entry.path, data) not in ("csv", "xlsx"):
        return None
    try:
        detect.check_bytes(data, limits)
        headers, rows = spreadsheet.read_table(entry.path, data, limits)
    except Rejected as exc:
        return Unreadable(entry.path, str(exc))
    except Exception as exc:  # the importer quarantines these too, with the same reason
        return Unreadable(
            entry.path, _("could not be parsed: {error}").format(error=type(exc).__name__)
        )
    sample = tuple(tuple(r.get(h, "") for h in headers) for r in rows[:sample_rows])
    return Sheet(entry.path, tuple(headers), sample, len(rows))


def _samples(column: str, sheets: Iterable[Sheet]) -> tuple[str, ...]:
    values: list[str] = []
    for sheet in sheets:
        if column not in sheet.headers:
            continue
        at = sheet.headers.index(column)
        for row in sheet.rows:
            if row[at].strip() and len(values) < SAMPLES_PER_COLUMN:
                values.append(_clip(row[at], SAMPLE_CHARS))
    return tuple(values)


def propose(scan: Scan, source: str, saved: Mapping[str, str]) -> MappingProposal:
    """One row per distinct column: the saved field where the saved mapping names the column,
    else the guess from its header, else "ignore" — the order in which the import merges."""
    headers = list(dict.fromkeys(h for s in scan.sheets for h in s.headers))
    guessed = spreadsheet.auto_mapping(headers)
    columns = []
    for h in headers:
        origin: Origin
        if saved.get(h) in FIELDS:
            field, origin = saved[h], "saved"
        elif h in guessed:
            field, origin = guessed[h], "guessed"
        else:
            field, origin = "ignore", "none"
        columns.append(ColumnProposal(h, field, origin, _samples(h, scan.sheets)))
    return MappingProposal(source, tuple(columns), scan.sheets, scan.unreadable, bool(saved))


def saved_mapping(s: Session, source: str) -> dict[str, str]:
    row = s.get(SourceMapping, source)
    return spreadsheet.mapping_json(row.columns) if row is not None else {}


def propose_mapping(
    s: Session,
    paths: Sequence[str | Path],
    source: str,
    *,
    limits: Limits | None = None,
    progress: Callable[..., None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> MappingProposal:
    """Scan the paths and propose a mapping for ``source`` (saved mapping over the guess)."""
    saved = saved_mapping(s, source)
    return propose(scan_paths(paths, limits, progress, cancel), source, saved)


def validate(source: str, columns: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The source name and mapping, stripped; UsageError naming what is wrong."""
    name = source.strip()
    if not name or len(name) > MAX_SOURCE:
        raise UsageError(_("a source needs a name of 1 to {n} characters").format(n=MAX_SOURCE))
    clean = {str(k).strip(): str(v).strip() for k, v in columns.items()}
    if not clean or "" in clean:
        raise UsageError(_("a mapping needs at least one named column"))
    bad = sorted({v for v in clean.values() if v not in FIELDS})
    if bad:
        raise UsageError(
            _("unknown field(s) {bad}; fields are: {fields}").format(
                bad=", ".join(bad), fields=", ".join(FIELDS)
            )
        )
    return name, clean


def save_mapping(
    s: Session, actor: Actor, source: str, columns: Mapping[str, str], *, replace: bool = False
) -> SavedMapping:
    """Save the mapping of ``source`` (merged into the saved one unless ``replace``); audited
    when it changes. The next import from that source uses it."""
    name, clean = validate(source, columns)
    row = s.get(SourceMapping, name)
    before = spreadsheet.mapping_json(row.columns) if row is not None else {}
    after = clean if replace else {**before, **clean}
    if row is None:
        s.add(SourceMapping(source=name, columns=after))
    elif after != before:
        row.columns = dict(after)  # a new dict, so the JSON column is seen as changed
    if row is None or after != before:
        s.flush()
        record_saved(s, actor, name, before, after)
    return SavedMapping(name, tuple(after.items()))


def record_saved(
    s: Session, actor: Actor, source: str, before: Mapping[str, str], after: Mapping[str, str]
) -> None:
    """The audit event of a changed mapping (saved here, or by an import that used it)."""
    audit.record(
        s,
        actor,
        "intake.mapping.save",
        "source_mapping",
        source[:_AUDIT_ID],
        details={"columns": len(after), "changed": _changed(before, after)},
    )


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> int:
    return sum(1 for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def list_mappings(s: Session) -> tuple[SavedMapping, ...]:
    rows = s.scalars(select(SourceMapping).order_by(SourceMapping.source))
    return tuple(
        SavedMapping(r.source, tuple(spreadsheet.mapping_json(r.columns).items())) for r in rows
    )
