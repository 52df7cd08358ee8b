"""The export wizard's first page: every case, searched in SQL and fetched a page at a time.

The model holds the matching ids (one statement, no cap) and asks for rows only as the view
scrolls (``canFetchMore``/``fetchMore``), so a 200,000-case workspace opens as fast as a small
one. Ticks are kept by case key across searches: a case ticked, then searched away, still goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWizardPage

from app.exchange import export
from app.workspaces.lifecycle import Workspace
from i18n import _, ngettext
from i18n.catalog import current_language
from i18n.formatting import format_number
from views.queue.model import status_label

PAGE = 200  # rows fetched per step as the list scrolls
Index = QModelIndex | QPersistentModelIndex


class _SearchField(QLineEdit):
    """Return searches; it must not also press the wizard's default button (Next)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class CaseChoiceModel(QAbstractListModel):
    """Matching case ids, their rows fetched a page at a time, and the ticked keys."""

    ticked_changed = Signal()

    def __init__(self, workspace: Callable[[], Workspace | None]) -> None:
        super().__init__()
        self._workspace = workspace
        self.ids: list[int] = []
        self.loaded = 0
        self.rows: dict[int, export.CaseChoice] = {}
        self.ticked: dict[str, None] = {}  # insertion-ordered set of case keys
        self.text = ""

    # -- queries ----------------------------------------------------------------------------
    def search(self, text: str) -> None:
        """Re-run the search; the first page of rows is fetched at once."""
        ws = self._workspace()
        self.beginResetModel()
        self.text = text.strip()
        self.loaded = 0
        # Rows of an earlier search are dropped: the cache holds only what can be shown.
        self.rows = {}
        self.ids = []
        if ws is not None:
            with ws.session() as s:
                self.ids = export.case_ids(s, self.text)
        self.endResetModel()
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self.loaded < len(self.ids)

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid():
            return
        ws = self._workspace()
        chunk = self.ids[self.loaded : self.loaded + PAGE]
        if ws is None or not chunk:
            return
        with ws.session() as s:
            found = export.case_rows(s, chunk)
        self.beginInsertRows(QModelIndex(), self.loaded, self.loaded + len(chunk) - 1)
        self.rows.update(found)
        self.loaded += len(chunk)
        self.endInsertRows()

    # -- the model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.loaded

    def choice(self, row: int) -> export.CaseChoice | None:
        if 0 <= row < self.loaded:
            return self.rows.get(self.ids[row])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        c = self.choice(index.row()) if index.isValid() else None
        if c is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            # Status before the title: a long title is elided, the status stays readable.
            return _("{key}  [{status}]  {title}").format(
                key=c.key, title=c.title, status=status_label(c.status)
            )
        if role == Qt.ItemDataRole.ToolTipRole:
            return c.title
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if c.key in self.ticked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.UserRole:
            return c.key
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        c = self.choice(index.row()) if index.isValid() else None
        if c is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        on = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        self.set_ticked(c.key, on)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    # -- ticks ------------------------------------------------------------------------------
    def set_ticked(self, key: str, on: bool) -> None:
        if on:
            self.ticked[key] = None
        else:
            self.ticked.pop(key, None)
        self.ticked_changed.emit()

    def tick_only(self, keys: Sequence[str]) -> None:
        """Replace the ticks (the queue's selection when the wizard opens)."""
        self.ticked = dict.fromkeys(keys)
        if self.loaded:
            top, bottom = self.index(0), self.index(self.loaded - 1)
            self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.CheckStateRole])
        self.ticked_changed.emit()

    def keys(self) -> list[str]:
        return list(self.ticked)

    def retranslate(self) -> None:
        """The rows name each case's status in words: the view asks for them again."""
        if self.loaded:
            top, bottom = self.index(0), self.index(self.loaded - 1)
            self.dataChanged.emit(top, bottom, [Qt.ItemDataRole.DisplayRole])


class CasesPage(QWizardPage):
    """Search box, the lazily filled list, and what is ticked."""

    def __init__(self, workspace: Callable[[], Workspace | None]) -> None:
        super().__init__()
        self.model = CaseChoiceModel(workspace)
        self.search = _SearchField()
        self.search.setObjectName("exportCaseSearch")
        self.search.setClearButtonEnabled(True)
        self.list = QListView()
        self.list.setObjectName("exportCases")
        self.list.setUniformItemSizes(True)  # fixed row height: no measuring 200,000 rows
        self.list.setModel(self.model)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matches = QLabel()
        self.matches.setObjectName("exportCaseMatches")
        self.count = QLabel()
        self.count.setObjectName("exportTicked")
        # Typing re-runs the search once the typist pauses, not per key.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.run_search)
        self.model.ticked_changed.connect(self._ticked_changed)
        layout = QVBoxLayout(self)
        self.hint = QLabel()
        layout.addWidget(self.hint)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        row = QVBoxLayout()
        row.addWidget(self.matches)
        row.addWidget(self.count)
        layout.addLayout(row)
        self.retranslate()
        self.run_search()

    def retranslate(self) -> None:
        """The fixed strings and the counts; the search typed and the ticks stay."""
        self.setTitle(_("Cases"))
        self.search.setPlaceholderText(_("Search cases: words, CVE or other ids, a case key"))
        self.hint.setText(_("Choose the cases to send."))
        self.model.retranslate()
        self._show_matches()
        self._ticked_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def run_search(self) -> None:
        self._debounce.stop()
        self.model.search(self.search.text())
        self._show_matches()
        self._ticked_changed()

    def _show_matches(self) -> None:
        n = len(self.model.ids)
        if n == 0:
            self.matches.setText(
                _("No case matches “{text}”. Clear the search to see every case.").format(
                    text=self.model.text
                )
                if self.model.text
                else _("This workspace has no cases yet.")
            )
        else:
            shown = format_number(n, current_language())
            self.matches.setText(ngettext("{n} case", "{n} cases", n).format(n=shown))

    def _ticked_changed(self) -> None:
        n = len(self.model.ticked)
        shown = format_number(n, current_language())
        text = ngettext("{n} case ticked", "{n} cases ticked", n).format(n=shown)
        keys = self.model.keys()
        if keys:
            more = len(keys) - 5
            listed = ", ".join(keys[:5]) + (
                " " + _("and {n} more").format(n=more) if more > 0 else ""
            )
            text = _("{count}: {keys}").format(count=text, keys=listed)
        self.count.setText(text)
        self.completeChanged.emit()

    def values(self) -> list[str]:
        return self.model.keys()

    def check(self, keys: Sequence[str]) -> None:
        self.model.tick_only(keys)

    def isComplete(self) -> bool:
        return bool(self.model.ticked)
