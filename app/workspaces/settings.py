"""Typed user preferences with declared defaults and versioned migrations.

Preferences live in a small JSON file in the user's configuration folder (``ACCORD_SETTINGS``
overrides the path). They are never secrets and never case data: only how the interface
behaves for this person on this machine. A file written by an older Accord is migrated step
by step (``MIGRATIONS``); unknown keys are dropped and a bad value falls back to its default.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from app.errors import UsageError
from app.workspaces import files
from i18n import _

VERSION = 1
"""The current settings format. Bump it and add a step to MIGRATIONS when a key changes."""

Raw = dict[str, Any]

MIGRATIONS: dict[int, Callable[[Raw], Raw]] = {}
"""``MIGRATIONS[n]`` turns a version-``n`` dict into a version-``n + 1`` dict."""

MAX_AUTOLOCK_MINUTES = 24 * 60


@dataclass(frozen=True)
class Settings:
    """One person's interface preferences; every field has a declared default."""

    autolock_minutes: int = 15
    """Lock the workspace after this many idle minutes (0 turns auto-lock off)."""
    language: str = "en"
    """Interface language (a catalog under i18n/locale, or ``en``)."""
    time_zone: str = ""
    """IANA time zone for dates; empty means the acting analyst's own time zone."""
    search_delay_ms: int = 200
    """How long the queue's search box waits after the last key before searching."""

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated like a loaded file."""
        updated = dataclasses.replace(self, **changes)
        validate(updated)
        return updated

    def to_dict(self) -> Raw:
        data: Raw = {"version": VERSION}
        data.update(dataclasses.asdict(self))
        return data


DEFAULTS = Settings()


def validate(settings: Settings) -> None:
    """Raise UsageError naming the field when a value is out of range."""
    if not 0 <= settings.autolock_minutes <= MAX_AUTOLOCK_MINUTES:
        raise UsageError(
            _("autolock_minutes must be between 0 and {max}").format(max=MAX_AUTOLOCK_MINUTES)
        )
    if not 50 <= settings.search_delay_ms <= 5000:
        raise UsageError(_("search_delay_ms must be between 50 and 5000"))
    if not settings.language.replace("_", "").replace("-", "").isalnum():
        raise UsageError(_("language must be a language code such as en or fr"))
    if settings.time_zone:
        try:
            ZoneInfo(settings.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(
                _("time_zone {zone} is not a known time zone").format(zone=settings.time_zone)
            ) from None


def migrate(raw: Raw) -> Raw:
    """Bring a stored dict to the current VERSION, one declared step at a time."""
    data = dict(raw)
    version = data.get("version", 1)
    if not isinstance(version, int) or version < 1:
        version = 1
    while version < VERSION:
        step = MIGRATIONS.get(version)
        if step is not None:
            data = step(data)
        version += 1
    data["version"] = max(version, VERSION)
    return data


def from_dict(raw: Raw) -> Settings:
    """Settings from a stored dict: migrated; unknown keys dropped; bad values defaulted."""
    data = migrate(raw)
    settings = DEFAULTS
    for f in fields(Settings):
        if f.name not in data:
            continue
        value = data[f.name]
        default = getattr(DEFAULTS, f.name)
        if type(value) is not type(default):
            continue
        try:
            settings = settings.replace(**{f.name: value})
        except UsageError:
            continue
    return settings


def default_path() -> Path:
    env = os.environ.get("ACCORD_SETTINGS")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("accord", appauthor=False)) / "settings.json"


def load(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there is no (readable) file."""
    target = path or default_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULTS
    return from_dict(raw) if isinstance(raw, dict) else DEFAULTS


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings (a newer format written by a newer Accord is left as it is)."""
    validate(settings)
    target = path or default_path()
    try:
        existing = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = None
    version = existing.get("version") if isinstance(existing, dict) else None
    if isinstance(version, int) and version > VERSION:
        raise UsageError(
            _("{file} was written by a newer Accord; not overwriting it").format(file=target)
        )
    files.private_dir(target.parent)
    data = json.dumps(settings.to_dict(), indent=2, sort_keys=True).encode("utf-8")
    files.write_private_atomic(target, data)
    return target
