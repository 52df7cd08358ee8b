"""A layout that puts its widgets side by side and, when the next no longer fits, on the next
line, as words wrap in a paragraph: a row of buttons or fields whose translated texts are
longer than the room beside the queue wraps instead of pushing the case pane sideways.

Its minimum width is that of its widest widget; its height follows its width
(``heightForWidth``). Widgets that grow sideways (line edits, or any widget whose size policy
expands horizontally) share the room left on their line. Right-to-left, lines run from the
right.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QStyle, QWidget


class FlowLayout(QLayout):
    """``spacing`` (or the style's layout spacing when negative) between widgets and lines."""

    def __init__(self, parent: QWidget | None = None, spacing: int = -1) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing

    # -- QLayout ------------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        if not 0 <= index < len(self._items):
            return None
        item = self._items.pop(index)
        self.invalidate()
        return item

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        shown = self._shown()
        gap = self._spacing(Qt.Orientation.Horizontal)
        width = sum(i.sizeHint().width() for i in shown) + gap * max(len(shown) - 1, 0)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    def minimumSize(self) -> QSize:
        shown = self._shown()
        width = max((i.minimumSize().width() for i in shown), default=0)
        height = max((i.minimumSize().height() for i in shown), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    # -- placing ------------------------------------------------------------------------------
    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _spacing(self, orientation: Qt.Orientation) -> int:
        if self._gap >= 0:
            return self._gap
        parent = self.parentWidget()
        if parent is None:
            return 6
        metric = (
            QStyle.PixelMetric.PM_LayoutHorizontalSpacing
            if orientation == Qt.Orientation.Horizontal
            else QStyle.PixelMetric.PM_LayoutVerticalSpacing
        )
        value = parent.style().pixelMetric(metric, None, parent)
        return value if value >= 0 else 6

    def _lines(self, width: int) -> list[list[QLayoutItem]]:
        """Items in lines: an item joins a line while the line's minimum widths fit, as a box
        layout would squeeze them; one that does not fit starts a line (a line always holds
        at least one item)."""
        gap = self._spacing(Qt.Orientation.Horizontal)
        lines: list[list[QLayoutItem]] = []
        used = 0
        for item in self._shown():
            least = item.minimumSize().width()
            if lines and used + gap + least <= width:
                lines[-1].append(item)
                used += gap + least
            else:
                lines.append([item])
                used = least
        return lines

    def _widths(self, line: list[QLayoutItem], width: int) -> list[int]:
        """Each item's width on its line: its minimum, grown towards its preferred width as
        far as the line allows (all in proportion), then what is left to the items that grow
        sideways."""
        gap = self._spacing(Qt.Orientation.Horizontal)
        least = [i.minimumSize().width() for i in line]
        want = [max(i.sizeHint().width(), m) for i, m in zip(line, least, strict=True)]
        spare = max(width - sum(least) - gap * (len(line) - 1), 0)
        short = sum(want) - sum(least)
        if spare < short:
            return [m + (w - m) * spare // short for m, w in zip(least, want, strict=True)]
        widths, spare = want, spare - short
        growing = [
            n for n, i in enumerate(line) if i.expandingDirections() & Qt.Orientation.Horizontal
        ]
        for rank, n in enumerate(growing):
            widths[n] += spare // len(growing) + (1 if rank < spare % len(growing) else 0)
        return widths

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        """Place the items in ``rect`` (when ``apply``); the height they take either way."""
        margins: QMargins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        gap = self._spacing(Qt.Orientation.Horizontal)
        line_gap = self._spacing(Qt.Orientation.Vertical)
        parent = self.parentWidget()
        ltr = Qt.LayoutDirection.LeftToRight
        direction = parent.layoutDirection() if parent is not None else ltr
        y = area.top()
        for number, line in enumerate(self._lines(area.width())):
            if number:
                y += line_gap
            widths = self._widths(line, area.width())
            height = max(i.sizeHint().height() for i in line)
            if apply:
                x = area.left()
                for item, width in zip(line, widths, strict=True):
                    own = min(item.sizeHint().height(), height)
                    if item.expandingDirections() & Qt.Orientation.Vertical:
                        own = height
                    place = QRect(QPoint(x, y + (height - own) // 2), QSize(width, own))
                    item.setGeometry(QStyle.visualRect(direction, area, place))
                    x += width + gap
            y += height
        return y - area.top() + margins.top() + margins.bottom()
