"""Issue 15 item 7: every time people read names its zone; the CLI prints to the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.cli.context import _plain
from i18n.formatting import format_cli_time, format_moment, zone_label
from i18n.labels import deadline_state_label, fact_label, role_label, status_label

AT = datetime(2026, 12, 9, 0, 7, 20, 130062, tzinfo=UTC)


def test_cli_time_to_the_minute_with_zone() -> None:
    assert format_cli_time(AT) == "2026-12-09 00:07 UTC"
    assert format_cli_time(AT.isoformat()) == "2026-12-09 00:07 UTC"
    assert format_cli_time(AT, "Europe/Paris") == "2026-12-09 01:07 Europe/Paris"
    assert format_cli_time(AT.astimezone(UTC) - timedelta(hours=1), "Asia/Tokyo").endswith(
        "08:07 Asia/Tokyo"
    )
    assert format_cli_time(None) == "-" and format_cli_time("not a time") == "not a time"
    assert zone_label("") == "UTC" and zone_label("Nowhere/Else") == "UTC"


def test_plain_cli_output_formats_instants() -> None:
    line = _plain({"case": "ACC-2026-0001", "at": AT, "due": AT.isoformat(), "note": "x"})
    assert line == (
        "case: ACC-2026-0001  at: 2026-12-09 00:07 UTC  due: 2026-12-09 00:07 UTC  note: x"
    )
    assert "T00:07:20" not in _plain(AT.isoformat())


def test_screen_times_name_their_zone_in_every_language() -> None:
    for lang in ("en", "ar", "ja"):
        text = format_moment(AT, lang, "Europe/Paris")
        assert "Europe/Paris" in text, (lang, text)
        assert "UTC" in format_moment(AT, lang)


def test_labels_fall_back_to_the_code() -> None:
    assert status_label("needs-info") == "needs info"
    assert role_label("shift-lead") == "shift lead"
    assert deadline_state_label("not-applicable") == "not applicable"
    assert deadline_state_label("some-new-state") == "some-new-state"
    assert fact_label("exploited-aware") == "aware of active exploitation"
    assert fact_label(None) == "—"


def test_one_way_to_show_a_moment_right_to_left_included() -> None:
    """``format_moment`` is the single function: the views' ``with_zone`` and
    ``Formatter.moment`` give the same text. In Arabic the line starts right to left and
    the time and the zone are each isolated, time first in reading order."""
    from views.common.times import with_zone
    from views.queue.model import Formatter

    for lang in ("en", "ar", "ja"):
        for tz in ("UTC", "Europe/Berlin"):
            text = format_moment(AT, lang, tz)
            assert with_zone(Formatter(lang, tz), AT) == text == Formatter(lang, tz).moment(AT)
    arabic = format_moment(AT, "ar", "Europe/Berlin")
    assert arabic.startswith("\u200f\u2068") and arabic.endswith("\u2068Europe/Berlin\u2069")
    assert arabic.count("\u2068") == arabic.count("\u2069") == 2
    assert format_moment(AT, "en", "UTC") == "12/9/2026, 12:07\u202fAM UTC"
    assert format_moment(None, "ar") == "—"


def test_views_format_no_time_by_hand() -> None:
    """No strftime-style formatting of moments in views/: they go through format_moment."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "views"
    by_hand = re.compile(r"strftime\(|isoformat\(\)|\{[a-z_.]+:%[YmdHM]")
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if by_hand.search(line)
    ]
    assert offenders == []
