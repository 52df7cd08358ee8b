"""Texts of a workspace that modules keep in memory across calls to save work (the compared
texts of near-duplicate checks, search text made plain): forgotten when a workspace locks.

Memory is not disk, but a locked workstation should hold no report text it does not need: an
analyst who locks before leaving the room expects the workspace's content to be out of reach
until the passphrase is given again. A module registers how to forget what it keeps.
"""

from __future__ import annotations

from collections.abc import Callable

_FORGETTERS: list[Callable[[], None]] = []


def register(forget: Callable[[], None]) -> None:
    _FORGETTERS.append(forget)


def forget_all() -> None:
    for forget in _FORGETTERS:
        forget()
