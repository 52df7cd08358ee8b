"""The worker processes that parse documents ahead of an import.

They are not forked from the importing process: a forked child carries a copy of the
parent's initial environment block (``/proc/PID/environ``), passphrase variables included,
even after ``os.environ`` dropped them. They come from a fork server started (``exec``) with
the environment as it is then, with any passphrase variable removed first
(``multiprocessing`` takes no explicit environment). And they exit as soon as the importing
process dies, ``kill -9`` included, instead of living on with documents in memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from app.workspaces.lifecycle import take_env_secrets

_PR_SET_PDEATHSIG = 1
PRELOAD = ["app.intake.importer"]  # imported once by the fork server, not by every worker


def pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers hold no secret and die with this process."""
    take_env_secrets()  # the CLI and the GUI removed them already; a library caller may not
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_die_with, initargs=(os.getpid(),)
    )


def _die_with(parent: int) -> None:
    """Runs first in each worker: exit when ``parent`` (the importing process) is gone."""
    if sys.platform.startswith("linux"):
        # The kernel kills us when our direct parent dies: the fork server, which itself
        # exits when the importing process does.
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # And directly, the importing process itself (any platform).
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    try:
        fd = os.pidfd_open(parent)  # readable once the process has exited
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):
        while _alive(parent):
            time.sleep(0.5)
    else:
        select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
