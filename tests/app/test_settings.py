"""The typed settings model: defaults, validation, versioned migrations, JSON persistence."""

from __future__ import annotations

import json

import pytest

from app.errors import UsageError
from app.workspaces import settings as settings_mod
from app.workspaces.settings import Settings


def test_defaults_are_declared() -> None:
    s = Settings()
    assert s.autolock_minutes == 15
    assert s.language == "en"
    assert s.time_zone == ""
    assert s.search_delay_ms == 200
    assert s.to_dict()["version"] == settings_mod.VERSION


def test_missing_file_gives_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert settings_mod.load(tmp_path / "none.json") == Settings()
    (tmp_path / "bad.json").write_text("{not json")
    assert settings_mod.load(tmp_path / "bad.json") == Settings()


def test_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sub" / "settings.json"
    saved = Settings(autolock_minutes=5, language="fr", time_zone="Europe/Paris")
    settings_mod.save(saved, path)
    assert settings_mod.load(path) == saved
    assert json.loads(path.read_text())["version"] == settings_mod.VERSION


def test_env_overrides_the_path(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ACCORD_SETTINGS", str(tmp_path / "x.json"))
    settings_mod.save(Settings(autolock_minutes=2))
    assert (tmp_path / "x.json").exists()
    assert settings_mod.load().autolock_minutes == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"autolock_minutes": -1}, "autolock_minutes"),
        ({"autolock_minutes": 100_000}, "autolock_minutes"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"search_delay_ms": 1}, "search_delay_ms"),
        ({"language": "../../etc"}, "language"),
    ],
)
def test_bad_values_are_refused_naming_the_field(change, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=field):
        Settings().replace(**change)


def test_bad_or_unknown_stored_values_fall_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "autolock_minutes": "ten",
                "language": "de",
                "time_zone": "Nowhere/Land",
                "passphrase": "must never load",
            }
        )
    )
    loaded = settings_mod.load(path)
    assert loaded == Settings(language="de")
    assert not hasattr(loaded, "passphrase")
    settings_mod.save(loaded, path)
    assert "passphrase" not in path.read_text()


def test_migrations_run_step_by_step(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def v1_to_v2(raw):  # type: ignore[no-untyped-def]
        raw = dict(raw)
        raw["autolock_minutes"] = raw.pop("idle_minutes", 15)
        return raw

    def v2_to_v3(raw):  # type: ignore[no-untyped-def]
        return {**raw, "language": raw.get("language", "en").lower()}

    monkeypatch.setattr(settings_mod, "VERSION", 3)
    monkeypatch.setattr(settings_mod, "MIGRATIONS", {1: v1_to_v2, 2: v2_to_v3})
    loaded = settings_mod.from_dict({"version": 1, "idle_minutes": 7, "language": "FR"})
    assert loaded.autolock_minutes == 7 and loaded.language == "fr"
    assert settings_mod.migrate({"version": 3, "language": "X"}) == {"version": 3, "language": "X"}


def test_a_newer_file_is_read_but_not_overwritten(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": settings_mod.VERSION + 1, "autolock_minutes": 9}))
    assert settings_mod.load(path).autolock_minutes == 9
    with pytest.raises(UsageError, match="newer Accord"):
        settings_mod.save(Settings(), path)
