"""Turn the paths a user gave into documents: files, folders walked, ``.zip`` archives opened.

Archives are read in memory, never extracted to disk. Refused before anything is read:
path traversal and links inside archives, links on disk, too many entries, and zip bombs
(a member's compression ratio or the archive's total uncompressed size over the limits).
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.intake.model import Limits, Rejected
from i18n import _

ARCHIVE_SUFFIXES = (".zip",)
# Files that travel next to documents but are not documents themselves.
SKIP_SUFFIXES = (".asc", ".sha256", ".sha512", ".sig")


@dataclass(frozen=True)
class OnDisk:
    """A regular file as the walk found it: its path, and the device and inode that make it
    that file (``read_file`` reads it only if it still is)."""

    path: Path
    device: int
    inode: int


@dataclass(frozen=True)
class Entry:
    """One document to import: where it came from and how to read it, or why it is refused
    (then ``read``, where set, gives its bytes for the quarantine: safe to read, never to
    extract). ``size``: its size on disk or in the archive's directory."""

    path: str
    read: Callable[[], bytes] | None = None
    error: str | None = None
    size: int = 0
    # A regular file on disk: a parser process may read it itself (``read_file``).
    file: OnDisk | None = None


class _Budget:
    """What the archives of one walk may still expand to, nested ones included."""

    def __init__(self, limits: Limits) -> None:
        self.left = limits.zip_max_total


# Never follow a link in the last part of the path, never wait for a writer to a pipe.
# (POSIX flags: where they are missing, a link is still refused by the device and inode check.)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
for _flag in ("O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC"):
    _OPEN_FLAGS |= getattr(os, _flag, 0)


def read_file(file: OnDisk, limits: Limits) -> bytes:
    """The bytes of a file the walk found, refused (``Rejected``) if it is no longer that
    regular file, or past the size limit (it may have grown).

    Between the walk and this read (minutes in a big import, and in a parser process) a
    folder others can write to may have had the file replaced: by a link to one of the
    analyst's files (whose content would be imported, and could leave in a bundle), by a
    pipe (the read would wait for ever), or its folder by a link. It is opened without
    following a link or waiting, and read only if it is the very file walked (same device
    and inode): nothing of a replacement is read."""
    try:
        fd = os.open(file.path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link
            raise Rejected(_("symbolic links are not followed")) from None
        raise
    with open(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Rejected(_("not a regular file"))
        if (st.st_dev, st.st_ino) != (file.device, file.inode):
            raise Rejected(_("replaced after the import listed it"))
        data = fh.read(limits.max_file_size + 1)
    if len(data) > limits.max_file_size:
        raise Rejected(too_big(limits))
    return data


def _read_file(file: OnDisk, limits: Limits) -> Callable[[], bytes]:
    return lambda: read_file(file, limits)


def cannot_read(exc: OSError) -> str:
    """Why a file or folder is refused when the system will not give it."""
    return _("cannot read: {error}").format(error=exc.strerror or exc)


def too_big(limits: Limits) -> str:
    if limits.max_file_size < 2**20:
        return _("file larger than the limit of {kb} KB").format(kb=limits.max_file_size // 2**10)
    return _("file larger than the limit of {mb} MB").format(mb=limits.max_file_size // 2**20)


def is_archive(name: str, head: bytes = b"") -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def walk(paths: list[Path], limits: Limits) -> list[Entry]:
    """Every document under ``paths`` in a stable order; problems become entries with errors."""
    out: list[Entry] = []
    budget = _Budget(limits)
    for p in paths:
        out.extend(_walk_path(p, limits, budget))
    return out


def _walk_path(path: Path, limits: Limits, budget: _Budget) -> Iterator[Entry]:
    shown = str(path)
    # One lstat per file: is_symlink, exists and is_dir cost three more system calls.
    try:
        st = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        yield Entry(shown, error=_("no such file or folder"))
        return
    except OSError as exc:  # e.g. a folder it may not look into: refused, the walk goes on
        yield Entry(shown, error=cannot_read(exc))
        return
    if stat.S_ISLNK(st.st_mode):
        yield Entry(shown, error=_("symbolic links are not followed"))
        return
    if stat.S_ISDIR(st.st_mode):
        # A folder that cannot be listed is said, never skipped in silence (os.walk's way).
        unlisted: list[OSError] = []
        for root, dirs, files in os.walk(path, onerror=unlisted.append, followlinks=False):
            yield from _unlisted(unlisted)
            dirs.sort()
            for name in sorted(files):
                child = Path(root) / name
                if name.startswith(".") or name.lower().endswith(SKIP_SUFFIXES):
                    continue
                yield from _walk_path(child, limits, budget)
            for d in list(dirs):
                if (Path(root) / d).is_symlink():
                    yield Entry(str(Path(root) / d), error=_("symbolic links are not followed"))
        yield from _unlisted(unlisted)
        return
    if not stat.S_ISREG(st.st_mode):
        yield Entry(shown, error=_("not a regular file"))
        return
    if st.st_size > limits.max_file_size:
        yield Entry(shown, error=too_big(limits), size=st.st_size)
        return
    file = OnDisk(path, st.st_dev, st.st_ino)
    if is_archive(path.name):
        try:
            data = read_file(file, limits)
        except (Rejected, OSError) as exc:
            yield Entry(shown, error=str(exc))
            return
        yield from walk_zip(shown, data, limits, depth=1, budget=budget)
        return
    yield Entry(shown, read=_read_file(file, limits), size=st.st_size, file=file)


def _unlisted(errors: list[OSError]) -> Iterator[Entry]:
    for exc in errors:
        yield Entry(str(exc.filename), error=cannot_read(exc))
    errors.clear()


def _member_error(info: zipfile.ZipInfo, limits: Limits) -> tuple[str, bool] | None:
    """Why a member is refused, and whether its bytes are safe to keep for the quarantine
    (refused for its name or kind, not for its size)."""
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":"):
        return _("path traversal in archive member name"), True
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _("link inside archive"), True
    if info.file_size > limits.max_file_size:
        return too_big(limits), False
    if info.compress_size and info.file_size / info.compress_size > limits.zip_max_ratio:
        return _("compression ratio {ratio}:1 over the limit of {limit}:1 (zip bomb)").format(
            ratio=info.file_size // info.compress_size, limit=limits.zip_max_ratio
        ), False
    return None


def walk_zip(
    shown: str, data: bytes, limits: Limits, depth: int, budget: _Budget | None = None
) -> Iterator[Entry]:
    """The members of an in-memory archive, each checked before it is read. The expanded
    size of every archive of the walk, nested ones included, counts against one limit."""
    budget = budget or _Budget(limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield Entry(shown, error=_("not a readable zip archive: {error}").format(error=exc))
        return
    if len(infos) > limits.zip_max_entries:
        yield Entry(
            shown, error=_("archive has more than {n} entries").format(n=limits.zip_max_entries)
        )
        return
    total = sum(i.file_size for i in infos)
    if total > budget.left:
        yield Entry(
            shown,
            error=_("archive expands to {mb} MB, over the limit of {limit} MB (zip bomb)").format(
                mb=total // 2**20, limit=limits.zip_max_total // 2**20
            ),
            size=len(data),
        )
        return
    budget.left -= total
    for info in infos:
        if info.is_dir():
            continue
        member = f"{shown}!{info.filename}"
        refused = _member_error(info, limits)  # before any skip: a hostile name is refused
        if refused:
            error, keep = refused
            reader = _member_reader(zf, info, limits) if keep else None
            yield Entry(member, read=reader, error=error, size=info.file_size)
            continue
        base = PurePosixPath(info.filename).name
        if base.startswith(".") or base.lower().endswith(SKIP_SUFFIXES):
            continue
        if is_archive(info.filename):
            if depth >= limits.zip_max_nesting:
                yield Entry(member, error=_("archives nested too deeply"))
                continue
            try:
                inner = _read_member(zf, info, limits)
            except Rejected as exc:
                yield Entry(member, error=str(exc))
                continue
            yield from walk_zip(member, inner, limits, depth + 1, budget)
            continue
        yield Entry(member, read=_member_reader(zf, info, limits), size=info.file_size)


def _member_reader(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits
) -> Callable[[], bytes]:
    return lambda: _read_member(zf, info, limits)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    # The header's sizes may lie: read at most one byte past the limit, whatever it says.
    cap = min(limits.max_file_size, max(info.file_size, 0))
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise Rejected(_("unreadable archive member: {error}").format(error=exc)) from exc
    if len(data) > cap:
        raise Rejected(_("archive member larger than its header says (zip bomb)"))
    return data
