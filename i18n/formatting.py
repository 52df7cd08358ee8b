"""Dates, times and numbers in the reader's language and time zone, through Babel.

An instant (embargo end, publication) is shown twice: in UTC, which every partner shares,
and in the reader's own zone, so nobody converts by hand.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as bdates
from babel import numbers as bnumbers
from babel.lists import format_list as _format_list

from i18n.catalog import SOURCE_LANGUAGE, gettext_in, is_rtl


@cache
def locale_for(language: str) -> Locale:
    """Babel locale of a catalog code (``zh_CN`` → zh_Hans_CN); unknown codes fall back to en."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


NAMED = ("short", "medium", "long", "full")
_YEAR = re.compile(r"(?<!y)yy(?!y)")


def _full_year(pattern: str) -> str:
    """``pattern`` with a two-digit year (``yy``) widened to the full year (``y``); quoted
    literals (``'de'``) are left alone."""
    parts = pattern.split("'")
    parts[::2] = [_YEAR.sub("y", part) for part in parts[::2]]
    return "'".join(parts)


@cache
def date_pattern(language: str, fmt: str = "short") -> str:
    """The locale's ``fmt`` date pattern with a four-digit year: CLDR's short patterns cut
    it to two in several languages (en ``M/d/yy``, de ``dd.MM.yy``), and a CERT reads dates
    across years. Each language keeps its own order and separators."""
    return _full_year(str(locale_for(language).date_formats[fmt].pattern))


@cache
def datetime_pattern(language: str, fmt: str = "short") -> str:
    """Date and time as the locale joins them for ``fmt``, with a four-digit year."""
    locale = locale_for(language)
    time = str(locale.time_formats[fmt].pattern)
    return (
        str(locale.datetime_formats[fmt])
        .replace("{0}", time)
        .replace("{1}", date_pattern(language, fmt))
    )


def format_datetime(
    value: datetime, language: str, tz: str | None = "UTC", fmt: str = "medium"
) -> str:
    """``value`` as date and time in ``language``, converted to the zone ``tz``."""
    pattern = datetime_pattern(language, fmt) if fmt in NAMED else fmt
    return bdates.format_datetime(
        _aware(value), pattern, tzinfo=zone(tz), locale=locale_for(language)
    )


def format_date(value: date | datetime, language: str, fmt: str = "long") -> str:
    if isinstance(value, datetime):
        value = _aware(value).astimezone(UTC).date()
    pattern = date_pattern(language, fmt) if fmt in NAMED else fmt
    return bdates.format_date(value, pattern, locale=locale_for(language))


def format_time(value: datetime, language: str, tz: str | None = "UTC") -> str:
    return bdates.format_time(_aware(value), "short", tzinfo=zone(tz), locale=locale_for(language))


def format_instant(value: datetime, language: str, reader_tz: str | None = None) -> str:
    """An instant in UTC and, when the reader's zone differs, in that zone too.

    ``27 nov. 2026, 17:00:00 UTC (27 nov. 2026, 18:00:00 Europe/Paris)`` in French.
    """
    utc_text = gettext_in(language, "{time} UTC").format(
        time=format_datetime(value, language, "UTC")
    )
    local = zone(reader_tz)
    if reader_tz is None or local.key == "UTC":
        return utc_text
    return gettext_in(language, "{utc} ({local} {zone})").format(
        utc=utc_text, local=format_datetime(value, language, local.key), zone=local.key
    )


def format_number(value: float | int, language: str) -> str:
    return bnumbers.format_decimal(value, locale=locale_for(language))


def format_score(value: float, language: str) -> str:
    """A CVSS score with exactly one decimal (``9,8`` in French, ``9.8`` in English)."""
    return bnumbers.format_decimal(value, format="0.0", locale=locale_for(language))


def format_percent(value: float, language: str) -> str:
    return bnumbers.format_percent(value, locale=locale_for(language))


def format_list(items: list[str], language: str) -> str:
    """``a, b and c`` in the language's own conjunction and punctuation (``a، b و c``)."""
    return _format_list(items, locale=locale_for(language)) if items else ""


def zone_label(tz: str | None) -> str:
    """The name shown beside a time: ``UTC`` or the IANA zone (``Europe/Paris``)."""
    z = zone(tz)
    return "UTC" if z.key in ("UTC", "Etc/UTC", "Z") else z.key


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return _aware(value)


def format_cli_time(value: datetime | str | None, tz: str | None = None) -> str:
    """Human CLI output: an instant to the minute with its zone, ``2026-12-09 00:07 UTC``.

    The same digits in every language (people paste it into tickets and e-mails); ``tz`` is
    the reader's zone, UTC when not given. ISO strings (as in ``--json``) are accepted too;
    anything that is not an instant comes back as it is, ``-`` for nothing.
    """
    when = _instant(value)
    if when is None:
        return "-" if value in (None, "") else str(value)
    local = when.astimezone(zone(tz))
    return f"{local:%Y-%m-%d %H:%M} {zone_label(tz)}"


def format_moment(
    value: datetime | str | None, language: str, tz: str | None = None, fmt: str = "short"
) -> str:
    """The one way a screen shows a time: date and time in ``language`` with its zone always
    named, in the reader's zone ``tz`` (UTC when not given): ``11/27/2026, 6:00 PM Europe/Paris``.

    In a right-to-left language the line starts with a right-to-left mark (so Qt lays it out
    right to left and aligns it to the right) and the time and the zone are each isolated
    (FSI … PDI): the zone stays after the time in reading order and an ISO-like date keeps
    its digits in order (the "UTC18:00" defect). Isolating the whole line instead made Qt
    left-align it and read the zone first."""
    when = _instant(value)
    if when is None:
        return "—"
    text = format_datetime(when, language, tz, fmt)
    if is_rtl(language):
        return f"\u200f\u2068{text}\u2069 \u2068{zone_label(tz)}\u2069"
    return f"{text} {zone_label(tz)}"


def isolate_ltr(text: str) -> str:
    """A left-to-right token (``2026-12-09 00:07 UTC``, a case key) kept whole in any line."""
    return f"\u2066{text}\u2069" if text else text
