"""Qt's own buttons follow the interface language: the export wizard's Back, Next and
Cancel said "< Back", "Next >" and "Cancel" under Japanese and Arabic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QWizard

from views.shell.application import apply_language
from views.shell.language import switch_language

NEXT = {"en": "Next", "ja": "次へ", "ar": "التّالي", "de": "Weiter", "zh_CN": "下一步"}


@pytest.fixture(autouse=True)
def english_after(qapp: QApplication) -> Iterator[None]:
    yield
    apply_language(qapp, "en")


@pytest.mark.parametrize("language", list(NEXT))
def test_wizard_buttons_in_the_interface_language(qtbot, qapp, language: str) -> None:  # type: ignore[no-untyped-def]
    apply_language(qapp, language)
    wizard = QWizard()
    qtbot.addWidget(wizard)
    text = wizard.buttonText(QWizard.WizardButton.NextButton).replace("&", "")
    assert NEXT[language] in text


def test_switching_back_to_english_drops_them(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    switch_language("ja")
    switch_language("en")
    wizard = QWizard()
    qtbot.addWidget(wizard)
    assert wizard.buttonText(QWizard.WizardButton.CancelButton) == "Cancel"
