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
