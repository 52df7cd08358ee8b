"""Date-time entry fields that mean the same instant in every language.

Qt lays a ``QDateTimeEdit``'s sections out right to left under a right-to-left interface,
so in Arabic ``2026-12-09 00:18 UTC`` read as ``UTC18:00 09-12-2026`` and digits typed in
order landed in the wrong sections. A date and time written with Latin digits and an ISO
pattern reads left to right in every script, so the field is kept left to right (the form
around it still mirrors) and always names its zone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import QDateTimeEdit, QWidget

from i18n.formatting import zone_label

DISPLAY_FORMAT = "yyyy-MM-dd HH:mm"


def instant_edit(zone: str = "UTC", parent: QWidget | None = None) -> QDateTimeEdit:
    """A date-time field in ``zone`` (an IANA name), showing the zone after the time."""
    edit = QDateTimeEdit(parent)
    edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    edit.setCalendarPopup(True)
    label = zone_label(zone).replace("'", "")
    edit.setDisplayFormat(f"{DISPLAY_FORMAT} '{label}'")
    edit.setTimeZone(QTimeZone(zone.encode() if label != "UTC" else b"UTC"))
    edit.setDateTime(QDateTime.currentDateTimeUtc())
    return edit


def instant_of(edit: QDateTimeEdit) -> datetime:
    """The instant a field holds, as an aware UTC datetime (to the minute)."""
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), UTC).replace(second=0)
