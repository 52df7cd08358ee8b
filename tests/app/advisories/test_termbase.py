"""The termbase flags a translation that drops a fixed term."""

from __future__ import annotations

from app import advisories
from app.advisories import termbase
from app.workspaces.lifecycle import Workspace
from i18n import LANGUAGES


def test_every_language_has_every_concept() -> None:
    concepts = set(termbase.terms("en"))
    assert {"prompt_injection", "jailbreak", "embargo", "model_weights", "training_data",
            "fine_tuning"} <= concepts  # fmt: skip
    for lang in LANGUAGES:
        assert set(termbase.terms(lang)) == concepts, lang
        assert all(termbase.terms(lang).values()), lang


def test_dropped_term_is_flagged_and_kept_term_is_not() -> None:
    src = "A jailbreak lets an attacker read the model weights."
    dropped = termbase.check("en", src, "fr", "Un contournement permet de lire les paramètres.")
    assert {h.concept for h in dropped} == {"jailbreak", "model_weights"}
    assert "poids du modèle" in dropped[1].message() or "poids du modèle" in dropped[0].message()
    kept = termbase.check("en", src, "fr", "Un jailbreak permet de lire les poids du modèle.")
    assert kept == []
    assert termbase.check("en", src, "ja", "ジェイルブレイクによりモデルの重みを読み取れる。") == []
    assert [
        h.concept for h in termbase.check("en", src, "ar", "يسمح كسر الحماية بقراءة النموذج")
    ] == ["model_weights"]


def test_status_reports_termbase_flags(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        # The source summary says "prompt injection"; this German text drops the term.
        cell = advisories.set_text(
            s, ws.require_actor(), drafted, "summary", "de", "Eine Webseite kann Daten abziehen."
        )
        assert [h.concept for h in cell.termbase if not h.present] == ["prompt_injection"]
        info = advisories.status(s, drafted)
        flagged = [(f.field, f.language) for f in info.flags]
        assert flagged == [("summary", "de")]
        assert info.as_json()["termbase"][0]["missing"][0]["expected"][0] == "Prompt-Injection"
        ok = advisories.set_text(
            s, ws.require_actor(), drafted, "summary", "de",
            "Eine Prompt-Injection in ExampleChat lässt eine Webseite Daten abziehen.",
        )  # fmt: skip
        assert all(h.present for h in ok.termbase)
        assert advisories.status(s, drafted).flags == ()
