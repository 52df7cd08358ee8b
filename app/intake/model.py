"""What a parser hands to the importer: plain frozen records, no ORM, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.workspaces.driver import JSONText

SCORE_TOLERANCE = 0.05


class Rejected(Exception):
    """A document refused at intake; the message is one line naming the problem."""


@dataclass(frozen=True)
class Limits:
    """Resource limits against hostile input (sizes in bytes)."""

    max_file_size: int = 50 * 1024 * 1024
    max_depth: int = 100
    max_nodes: int = 5_000_000
    zip_max_ratio: int = 100
    zip_max_total: int = 500 * 1024 * 1024
    zip_max_entries: int = 20_000
    zip_max_nesting: int = 2
    max_rows: int = 100_000
    # How many times YAML aliases may multiply a document's values (a "billion laughs" file
    # is a few KB that expands to millions).
    yaml_max_expansion: int = 10


@dataclass(frozen=True)
class Score:
    """A CVSS vector as stated in a document, with the score the document claims (if any)."""

    vector: str
    stated: float | None = None


@dataclass(frozen=True)
class Scored:
    """A stated score recomputed from its vector; ``error`` when the vector does not score."""

    vector: str
    version: str | None
    computed: float | None
    severity: str | None
    stated: float | None
    error: str | None = None

    @property
    def disagrees(self) -> bool:
        return (
            self.stated is not None
            and self.computed is not None
            and abs(self.stated - self.computed) > SCORE_TOLERANCE
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "vector": self.vector,
            "version": self.version,
            "score": self.computed,
            "severity": self.severity,
            "stated": self.stated,
            "error": self.error,
        }


@dataclass(frozen=True)
class Product:
    name: str
    kind: str = "product"  # model | system | dataset | product
    vendor: str | None = None
    version: str | None = None
    version_range: str | None = None
    purl: str | None = None
    hash: str | None = None


@dataclass(frozen=True)
class Ref:
    url: str
    summary: str | None = None
    category: str = "external"


@dataclass(frozen=True)
class ParsedVuln:
    title: str = ""
    description: str = ""
    cve: str | None = None
    cwe: str | None = None
    ai_class: str | None = None
    products: tuple[Product, ...] = ()
    references: tuple[Ref, ...] = ()
    scores: tuple[Score, ...] = ()
    # The scores recomputed by ``parse_document`` (in the parsing process), one per score.
    scored: tuple[Scored, ...] = ()


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedDoc:
    """One report as read from one document (a spreadsheet row is one, too)."""

    format: str
    raw: bytes
    title: str
    description: str = ""
    document_id: str | None = None
    revision: str | None = None
    media_type: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    vulns: tuple[ParsedVuln, ...] = ()
    warnings: tuple[str, ...] = ()
    attachments: tuple[ParsedAttachment, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    # What storing needs beyond the document, computed where it was parsed (``rows.prepare``).
    # A worker process sends its vulnerabilities without products and scores: they are here.
    prepared: Prepared | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Scores:
    """A document's recomputed scores: as stored per vulnerability, the disagreeing ones,
    and the warnings they give the report."""

    stored: tuple[JSONText, ...]  # each vulnerability's, as its ``scores`` column holds them
    disagreeing: tuple[Scored, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Prepared:
    """The pure part of storing a document, done in the process that parsed it so that the
    single writer only looks up, inserts and audits: the SHA-256 of its bytes, its normalised
    identifiers, recomputed scores, the text it adds to its case's search document (already
    ``search.plain``), what near-duplicate detection compares (``dedup.Compared``), and each
    vulnerability's affected-product rows without their vulnerability id (``rows.py``), and
    its bytes as the report row stores them, compressed or not, with their codec
    (``models.rawcodec.encode``)."""

    sha: str
    identifiers: tuple[tuple[str, str], ...]
    scores: Scores
    case_text: tuple[str, ...]  # a case it opens: its title and description, as search text
    search_text: tuple[str, ...]
    compared: Any  # dedup.Compared (dedup needs the database layer; this module does not)
    products: tuple[tuple[tuple[Any, ...], ...], ...]
    stored_raw: tuple[bytes, str]


@dataclass(frozen=True)
class Source:
    """One document to import: its display path and its bytes (read lazily by the walker)."""

    path: str
    data: bytes | None = None
    error: str | None = None
