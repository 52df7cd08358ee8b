"""Run a Qt-free job on a thread pool; results, errors and progress come back as signals.

A job is any callable ``fn(progress, cancel) -> result`` from ``app/``:

- ``progress(done, total, message="")`` records how far it got (cheap, thread-safe; the UI
  polls it every 100 ms, so a job may call it as often as it likes);
- ``cancel`` is a :class:`CancelToken`; the job checks ``cancel.cancelled`` (or ``cancel()``)
  between units of work and stops early, returning what it has.

Usage::

    job = run_job(lambda progress, cancel: intake.import_paths(ws, paths, progress, cancel))
    job.progressed.connect(bar.update)      # (done, total, message), at most every 100 ms
    job.succeeded.connect(show_report)      # the return value
    job.failed.connect(show_error)          # the exception (AccordError: its message is for users)
    cancel_button.clicked.connect(job.cancel)

The job opens its own session (one per thread); it must not touch widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

POLL_MS = 100


class CancelToken:
    """Set by the UI, read by the job. ``bool(token)`` and ``token()`` are True once cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self._event.is_set()


class Progress:
    """The latest (done, total, message) a job reported; written by the job, polled by the UI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: tuple[int, int, str] = (0, 0, "")

    def __call__(self, done: int, total: int, message: str = "") -> None:
        with self._lock:
            self._state = (int(done), int(total), str(message))

    def snapshot(self) -> tuple[int, int, str]:
        with self._lock:
            return self._state


Job = Callable[[Progress, CancelToken], Any]


class _Bridge(QObject):
    """Lives in the GUI thread; the worker thread emits here, Qt queues it across threads."""

    done = Signal(object, object)  # result, exception


class _Runnable(QRunnable):
    def __init__(self, fn: Job, progress: Progress, token: CancelToken, bridge: _Bridge) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._progress, self._token, self._bridge = fn, progress, token, bridge

    def run(self) -> None:
        try:
            result = self._fn(self._progress, self._token)
        except BaseException as exc:  # every failure, even SystemExit, reaches the UI
            self._bridge.done.emit(None, exc)
        else:
            self._bridge.done.emit(result, None)


class JobHandle(QObject):
    """One running job. Signals arrive in the GUI thread; ``finished`` always comes last."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, fn: Job, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self.token = CancelToken()
        self.progress = Progress()
        self.result: Any = None
        self.error: BaseException | None = None
        self.running = False
        self._last: tuple[int, int, str] | None = None
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self, pool: QThreadPool | None = None) -> JobHandle:
        self.running = True
        self._timer.start()
        (pool or QThreadPool.globalInstance()).start(
            _Runnable(self._fn, self.progress, self.token, self._bridge)
        )
        return self

    def cancel(self) -> None:
        """Ask the job to stop; it finishes at its next check of the token."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def _poll(self) -> None:
        state = self.progress.snapshot()
        if state != self._last:
            self._last = state
            self.progressed.emit(*state)

    def _on_done(self, result: Any, error: BaseException | None) -> None:
        self._timer.stop()
        self._poll()
        self.running = False
        self.result, self.error = result, error
        if error is None:
            self.succeeded.emit(result)
        else:
            self.failed.emit(error)
        self.finished.emit()


def run_job(fn: Job, parent: QObject | None = None, pool: QThreadPool | None = None) -> JobHandle:
    """Start ``fn(progress, cancel)`` on the pool (default: the global one) and return its handle.

    Keep a reference to the handle (or give it a ``parent``) until ``finished``.
    """
    return JobHandle(fn, parent).start(pool)
