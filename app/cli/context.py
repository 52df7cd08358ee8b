"""What a CLI handler gets: output helpers and a lazily unlocked workspace."""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.env_secrets import take_env_secrets
from app.errors import LockedError, UsageError
from i18n import _

# app.workspaces.lifecycle brings the whole database stack (SQLAlchemy, Alembic, the models):
# imported where a workspace is needed, never by commands that open none (score, ssvc, --help).
if TYPE_CHECKING:
    from app.workspaces.lifecycle import Workspace

__all__ = ["CliContext", "dumps", "take_env_secrets"]


def _default(obj: object) -> object:
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def dumps(data: object) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=None)


@dataclass
class CliContext:
    args: argparse.Namespace
    out: Any = field(default_factory=lambda: sys.stdout)
    secrets: dict[str, str] = field(default_factory=dict)
    # The process ends with the command (the console script): see open_workspace.
    then_exit: bool = False
    _ws: Workspace | None = None
    _passphrase: str | None = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def directory(self) -> Path:
        from app.workspaces import lifecycle as ws_mod

        return ws_mod.resolve_dir(getattr(self.args, "workspace", None))

    @property
    def db_url(self) -> str | None:
        return getattr(self.args, "db", None) or os.environ.get("ACCORD_DB") or None

    def emit(self, data: object, text: str | None = None) -> None:
        """JSON with --json, otherwise the given text (or a plain rendering of the data)."""
        if self.json:
            print(dumps(data), file=self.out)
        elif text is not None:
            print(text, file=self.out)
        elif isinstance(data, list):
            for item in data:
                print(_plain(item), file=self.out)
        else:
            print(_plain(data), file=self.out)

    def passphrase(self, *, confirm: bool = False, prompt: str | None = None) -> str:
        from app.workspaces import lifecycle as ws_mod

        if self._passphrase is not None:
            return self._passphrase
        env = self.secrets.get("ACCORD_PASSPHRASE")
        if env is not None:
            self._passphrase = ws_mod.normalise_passphrase(env)
            return self._passphrase
        if not sys.stdin or not sys.stdin.isatty():
            raise LockedError(
                _("workspace {dir} is locked: set ACCORD_PASSPHRASE or run in a terminal").format(
                    dir=self.directory
                )
            )
        first = getpass.getpass(prompt or _("Passphrase: "))
        if confirm and getpass.getpass(_("Passphrase again: ")) != first:
            raise UsageError(_("the two passphrases differ"))
        self._passphrase = ws_mod.normalise_passphrase(first)
        return self._passphrase

    def new_passphrase(self) -> str | None:
        """The acting analyst's own new passphrase: ACCORD_NEW_PASSPHRASE or asked twice;
        None when there is neither."""
        from app.workspaces import lifecycle as ws_mod

        env = self.secrets.get("ACCORD_NEW_PASSPHRASE")
        if env is not None:
            return ws_mod.normalise_passphrase(env)
        if not sys.stdin or not sys.stdin.isatty():
            return None
        first = ws_mod.normalise_passphrase(getpass.getpass(_("Choose your own passphrase: ")))
        if ws_mod.normalise_passphrase(getpass.getpass(_("New passphrase again: "))) != first:
            raise UsageError(_("the two passphrases differ"))
        return first

    @property
    def selector(self) -> str | None:
        """--as / ACCORD_ANALYST: which slot to try (a workspace file never lets it choose)."""
        return getattr(self.args, "as_analyst", None) or os.environ.get("ACCORD_ANALYST") or None

    def open_workspace(self, *, act: bool = True) -> Workspace:
        """Unlock the workspace; a workspace file's passphrase says who is acting."""
        from app.workspaces import lifecycle as ws_mod

        if self._ws is None:
            url = self.db_url
            # On a team database ACCORD_PASSPHRASE, when set, is the login's password.
            phrase = self.secrets.get("ACCORD_PASSPHRASE") if url else self.passphrase()
            if self.then_exit:
                # As for the command's modules (app.cli.main._run): what opening loads (the
                # driver, the dialect, the key slot code) lives until exit, so no collection
                # while it loads, then frozen out of the collector's sight; the one at exit
                # would walk all of it again (a twentieth of `accord cases list`).
                gc.disable()
            try:
                self._ws = ws_mod.open_workspace(
                    None if url else self.directory,
                    phrase,
                    db_url=url,
                    analyst=self.selector,
                    new_passphrase=self.new_passphrase,
                )
            finally:
                if self.then_exit:
                    gc.freeze()
                    gc.enable()
            self._announce_issued(self._ws)
            if act and self._ws.actor is None:
                self._ws.act_as(self.selector)
        return self._ws

    def _announce_issued(self, ws: Workspace) -> None:
        """One-time passphrases made while giving a legacy workspace key slots: shown once."""
        if not ws.issued:
            return
        print(
            _("Every analyst now unlocks with their own passphrase. One-time passphrases:"),
            file=sys.stderr,
        )
        for name, phrase in sorted(ws.issued.items()):
            print(f"  {name}: {phrase}", file=sys.stderr)
        ws.issued = {}

    def close(self) -> None:
        if self._ws is not None:
            self._ws.engine.dispose()
            self._ws = None


_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$"
)


def _plain_value(value: object) -> object:
    """Instants read by people: to the minute with their zone (``2026-12-09 00:07 UTC``)."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_INSTANT.match(value)):
        from i18n.formatting import format_cli_time  # here: it loads Babel's locale data

        return format_cli_time(value)
    return value


def _plain(item: object) -> str:
    if isinstance(item, dict):
        return "  ".join(
            f"{k}: {_plain_value(v)}" for k, v in item.items() if v not in (None, "", [], {})
        )
    return str(_plain_value(item))
