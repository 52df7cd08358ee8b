"""FlowLayout: widgets side by side while they fit, on further lines when they do not, mirrored
right-to-left; never narrower than its widest widget."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QWidget

from views.common.flow import FlowLayout


def _row(qtbot, texts: list[str]) -> tuple[QWidget, list[QPushButton]]:  # type: ignore[no-untyped-def]
    box = QWidget()
    qtbot.addWidget(box)
    layout = FlowLayout(box, spacing=4)
    layout.setContentsMargins(0, 0, 0, 0)
    buttons = [QPushButton(t) for t in texts]
    for button in buttons:
        layout.addWidget(button)
    box.show()
    return box, buttons


def _place(box: QWidget, width: int) -> None:
    box.resize(width, box.heightForWidth(width))
    QApplication.processEvents()


def test_one_line_when_it_fits_more_when_it_does_not(qtbot) -> None:  # type: ignore[no-untyped-def]
    box, buttons = _row(qtbot, ["Not Defined", "Unavailable", "Workaround", "Temporary Fix"])
    wide = sum(b.sizeHint().width() for b in buttons) + 4 * 3
    _place(box, wide)
    assert len({b.y() for b in buttons}) == 1
    one_line = box.heightForWidth(wide)
    _place(box, wide // 2)
    assert len({b.y() for b in buttons}) > 1
    assert box.heightForWidth(wide // 2) > one_line
    for b in buttons:  # nothing overlaps, nothing sticks out
        assert b.geometry().right() < box.width()
        others = [o for o in buttons if o is not b]
        assert not any(b.geometry().intersects(o.geometry()) for o in others)


def test_minimum_width_is_the_widest_widget(qtbot) -> None:  # type: ignore[no-untyped-def]
    box, buttons = _row(qtbot, ["A", "Proof-of-Concept", "B"])
    assert box.minimumSizeHint().width() == max(b.minimumSizeHint().width() for b in buttons)
    _place(box, box.minimumSizeHint().width())
    assert len({b.y() for b in buttons}) == 3


def test_growing_fields_take_the_rest_of_their_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    box = QWidget()
    qtbot.addWidget(box)
    layout = FlowLayout(box, spacing=4)
    layout.setContentsMargins(0, 0, 0, 0)
    field, button = QLineEdit(), QPushButton("Add")
    layout.addWidget(field)
    layout.addWidget(button)
    box.show()
    _place(box, 600)
    assert field.y() == button.y()
    assert button.geometry().right() == 599


def test_right_to_left_lines_start_at_the_right(qtbot) -> None:  # type: ignore[no-untyped-def]
    box, buttons = _row(qtbot, ["One", "Two"])
    box.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    _place(box, 400)
    assert buttons[0].geometry().right() == 399
    assert buttons[1].x() < buttons[0].x()
