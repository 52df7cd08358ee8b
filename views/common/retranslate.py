"""Helpers for a screen's ``retranslate()``: a live language switch (views/shell/language.py)
sends every widget a ``LanguageChange``; the screen sets its strings again from their source
texts, keeping what the user typed and selected."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLayout, QTableWidget, QWidget

from i18n import _


def relabel(form: QFormLayout, rows: Iterable[tuple[QWidget | QLayout, str]]) -> None:
    """Label each field of ``form`` with its source text in the current language."""
    for field, source in rows:
        label = form.labelForField(field)
        if isinstance(label, QLabel):
            label.setText(_(source))


def retitle_items(combo: QComboBox, label: Callable[[str], str]) -> None:
    """Each item of ``combo`` named ``label(its data)``; the chosen item stays chosen."""
    for index in range(combo.count()):
        combo.setItemText(index, label(str(combo.itemData(index))))


def retitle_column(table: QTableWidget, column: int, texts: Iterable[str]) -> None:
    """The cells of one column set again in place: the selection and the rest stay."""
    for row, text in enumerate(texts):
        item = table.item(row, column)
        if item is not None:
            item.setText(text)


class StatusLine:
    """What a screen's status line says, kept so that a language switch can say it again: a
    message built from source texts is kept as a callable; an error from the core, already
    in words, stays as it was shown."""

    def __init__(self) -> None:
        self._said: Callable[[], str] | None = None

    def say(self, label: QLabel, text: Callable[[], str] | None, shown: str = "") -> None:
        self._said = text
        label.setText(text() if text is not None else shown)

    def again(self, label: QLabel) -> None:
        if self._said is not None:
            label.setText(self._said())

    def forget(self) -> None:
        self._said = None
