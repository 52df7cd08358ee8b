"""Fixed terms per language (resources/termbase/<lang>.yaml).

Each file maps a concept id to the accepted forms of that term in its language. When a
source text uses a concept, its translation must use one of the target language's forms;
a translation that drops the term is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from i18n import _
from taxonomy.data import resource_path


@dataclass(frozen=True)
class TermHint:
    """A concept found in the source text, with the forms the translation should use."""

    concept: str
    source_term: str
    target_forms: tuple[str, ...]
    present: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "source_term": self.source_term,
            "expected": list(self.target_forms),
            "present": self.present,
        }

    def message(self) -> str:
        return _("the source uses “{term}”; the translation should say “{expected}”").format(
            term=self.source_term, expected=" / ".join(self.target_forms)
        )


@cache
def terms(language: str) -> dict[str, tuple[str, ...]]:
    """Concept id → accepted forms in ``language``; empty when the language has no termbase."""
    path = resource_path("termbase", f"{language}.yaml")
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, ...]] = {}
    for concept, forms in (raw.get("terms") or {}).items():
        values = [forms] if isinstance(forms, str) else list(forms)
        out[str(concept)] = tuple(str(v) for v in values if str(v).strip())
    return out


def _found(text: str, forms: tuple[str, ...]) -> str | None:
    folded = text.casefold()
    for form in forms:
        if form.casefold() in folded:
            return form
    return None


def hints(
    source_language: str, source_text: str, target_language: str, target_text: str
) -> list[TermHint]:
    """Every termbase concept the source uses, and whether the translation kept it."""
    src_terms = terms(source_language)
    dst_terms = terms(target_language)
    out: list[TermHint] = []
    for concept, forms in src_terms.items():
        used = _found(source_text, forms)
        target_forms = dst_terms.get(concept)
        if used is None or not target_forms:
            continue
        present = _found(target_text, target_forms) is not None
        out.append(TermHint(concept, used, target_forms, present))
    return out


def check(
    source_language: str, source_text: str, target_language: str, target_text: str
) -> list[TermHint]:
    """The termbase concepts a translation dropped (empty when it kept them all)."""
    if not target_text.strip():
        return []
    return [
        h
        for h in hints(source_language, source_text, target_language, target_text)
        if not h.present
    ]
