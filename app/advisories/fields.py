"""The advisory's fields, its review states, and the translation states of a cell."""

from __future__ import annotations

import enum
import hashlib

from i18n import N_

# Text fields in display order; severity is not typed in but derived from the latest Assessment.
FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "description",
    "affected",
    "impact",
    "mitigation",
    "remediation",
    "credits",
    "references",
    "timeline",
)
FIELD_LABELS: dict[str, str] = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "affected": N_("Affected systems and models"),
    "impact": N_("Impact"),
    "severity": N_("Severity"),
    "mitigation": N_("Mitigation and workaround"),
    "remediation": N_("Remediation"),
    "credits": N_("Credits"),
    "references": N_("References"),
    "timeline": N_("Timeline"),
}
# A source text needs these before the advisory can go to review.
REQUIRED: tuple[str, ...] = ("title", "summary", "description")


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in-review"
    APPROVED = "approved"
    PUBLISHED = "published"


REVIEW_LABELS: dict[str, str] = {
    "draft": N_("draft"),
    "in-review": N_("in review"),
    "approved": N_("approved"),
    "published": N_("published"),
}


class TextState(enum.StrEnum):
    """State of one field in one language."""

    SOURCE = "source"  # the source language's own text
    MISSING = "missing"
    CURRENT = "current"
    STALE = "stale"  # the source changed after this translation was made


STATE_LABELS: dict[str, str] = {
    "source": N_("source"),
    "missing": N_("missing"),
    "current": N_("current"),
    "stale": N_("stale"),
}

TIER_LABELS: dict[str, str] = {
    "Critical": N_("Critical"),
    "High": N_("High"),
    "Medium": N_("Medium"),
    "Low": N_("Low"),
    "Informational": N_("Informational"),
}

TLP_LABELS: dict[str, str] = {
    "CLEAR": N_("may be distributed without restriction"),
    "GREEN": N_("may be shared within the community, not published"),
    "AMBER": N_("limited to the recipients' organisations, on a need-to-know basis"),
    "AMBER+STRICT": N_("limited to the recipients' own organisation only"),
    "RED": N_("for the named recipients only"),
}

KIND_LABELS: dict[str, str] = {
    "model": N_("AI model"),
    "system": N_("AI system"),
    "product": N_("Product"),
}


def source_hash(text: str) -> str:
    """SHA-256 of a source text; a translation stores the hash of the source it was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def state_of(source_text: str, translation: str | None, made_from: str | None) -> TextState:
    """Missing, current or stale, comparing the stored hash with the source as it is now."""
    if not source_text.strip() or translation is None or not translation.strip():
        return TextState.MISSING
    if made_from != source_hash(source_text):
        return TextState.STALE
    return TextState.CURRENT
