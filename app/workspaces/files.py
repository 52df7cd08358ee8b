"""Private files: created 0600 (folders 0700) from the first byte, written atomically.

Everything Accord writes outside the encrypted store (backups, manifests, exports) goes
through here, so no file is ever world-readable, not even for the moment between its
creation and a later ``chmod``, and a killed writer never leaves a half file at the final
name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) 0700; an existing folder is left as it is."""
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (the folder entry is data too)."""
    with contextlib.suppress(OSError):  # some file systems cannot open a folder for fsync
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def temp_name(target: Path) -> Path:
    """A fresh, hidden name next to ``target`` (same folder, so the final rename is atomic)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


def commit_temp(temp: Path, target: Path, *, replace: bool = True) -> None:
    """fsync ``temp``, rename it to ``target`` atomically and fsync the folder.

    With ``replace=False`` an existing ``target`` is never overwritten (a hard link makes the
    new name appear atomically or not at all)."""
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if replace:
        os.replace(temp, target)
    else:
        os.link(temp, target)  # FileExistsError when target appeared meanwhile
        os.unlink(temp)
    fsync_dir(target.parent)


@contextlib.contextmanager
def open_private(path: Path, mode: str = "wb", *, exclusive: bool = False) -> Iterator[IO[Any]]:
    """Open ``path`` for writing, created 0600 (an existing file is truncated and made 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode otherwise
    encoding = None if "b" in mode else "utf-8"
    with os.fdopen(fd, mode, encoding=encoding) as fh:
        yield fh


@contextlib.contextmanager
def atomic_private(target: Path, mode: str = "wb", *, replace: bool = True) -> Iterator[IO[Any]]:
    """Write ``target`` 0600 through a temporary name: it appears complete or not at all."""
    temp = temp_name(target)
    try:
        with open_private(temp, mode, exclusive=True) as fh:
            yield fh
            fh.flush()
        commit_temp(temp, target, replace=replace)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, created 0600."""
    with open_private(path) as fh:
        fh.write(data)


def write_private_atomic(path: Path, data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` 0600, atomically (temporary name, fsync, rename)."""
    with atomic_private(path, replace=replace) as fh:
        fh.write(data)
