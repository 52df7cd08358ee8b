"""Dates, times and numbers through Babel; instants in UTC and in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from i18n.formatting import (
    format_date,
    format_datetime,
    format_instant,
    format_moment,
    format_number,
    format_score,
    locale_for,
)

EMBARGO = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def test_scores_and_numbers_follow_the_language() -> None:
    assert format_score(9.8, "en") == "9.8"
    assert format_score(9.8, "fr") == "9,8"
    assert format_score(7, "de") == "7,0"
    assert format_number(1234567, "de") == "1.234.567"
    assert format_number(1234567, "en") == "1,234,567"


def test_instants_in_utc_and_the_readers_zone() -> None:
    assert format_instant(EMBARGO, "en") == "Nov 27, 2026, 5:00:00\u202fPM UTC"
    fr = format_instant(EMBARGO, "fr", "Europe/Paris")
    assert "17:00:00 UTC" in fr and "18:00:00 Europe/Paris" in fr
    ja = format_instant(EMBARGO, "ja", "Asia/Tokyo")
    assert "2026/11/27 17:00:00 UTC" in ja and "2026/11/28 2:00:00 Asia/Tokyo" in ja
    assert format_instant(EMBARGO, "de", "Nowhere/Unknown").endswith("UTC")


def test_dates_and_locales() -> None:
    assert format_date(EMBARGO, "de") == "27. November 2026"
    assert format_date(EMBARGO, "zh_CN") == "2026年11月27日"
    assert str(locale_for("zh_CN")) == "zh_Hans_CN"
    assert str(locale_for("xx")) == "en"
    assert format_datetime(EMBARGO, "pt_BR", "America/Sao_Paulo").startswith("27 de nov. de 2026")


def test_lists_use_the_languages_conjunction() -> None:
    from i18n.formatting import format_list

    assert format_list(["Title", "Summary", "Impact"], "en") == "Title, Summary, and Impact"
    assert format_list(["Titre", "Résumé"], "fr") == "Titre et Résumé"
    assert "و" in format_list(["أ", "ب"], "ar")
    assert format_list([], "de") == ""


LANGUAGES = ("en", "fr", "de", "es", "pt_BR", "ja", "zh_CN", "ar")


def test_short_dates_keep_the_full_year_in_every_language() -> None:
    """CLDR's short patterns cut the year to two digits (en ``12/6/26``, de ``06.12.26``);
    a CERT reads dates across years, so every language shows four, in its own order.
    Babel writes Arabic with Latin digits (its default numbering system for ``ar``)."""
    day = datetime(2026, 12, 6, 17, 5, tzinfo=UTC)
    for lang in LANGUAGES:
        for text in (
            format_date(day, lang, "short"),
            format_datetime(day, lang, "Europe/Paris", "short"),
            format_moment(day, lang, "Asia/Tokyo"),
        ):
            assert "2026" in text, (lang, text)
    assert format_date(day, "en", "short") == "12/6/2026"
    assert format_date(day, "de", "short") == "06.12.2026"
    assert format_date(day, "es", "short") == "6/12/2026"
    assert format_date(day, "ja", "short") == "2026/12/06"
    assert format_date(day, "ar", "short") == "6\u200f/12\u200f/2026"


def test_only_the_year_changes() -> None:
    """Order, separators, quoted words and the date-time glue stay the locale's own."""
    from babel import dates as bdates

    from i18n.formatting import NAMED, date_pattern, zone

    assert date_pattern("es", "long") == "d 'de' MMMM 'de' y"
    day = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    for lang in LANGUAGES:
        for fmt in NAMED:
            babel = bdates.format_datetime(
                day, fmt, tzinfo=zone("America/New_York"), locale=locale_for(lang)
            )
            ours = format_datetime(day, lang, "America/New_York", fmt)
            assert ours == babel.replace("/31", "/2031").replace(".31", ".2031"), (lang, fmt)
