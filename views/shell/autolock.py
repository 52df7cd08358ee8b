"""Idle detection for auto-lock: no key, mouse or wheel event for ``interval`` → ``idle``.

An application-wide event filter restarts a single-shot timer on each input event. The
main window connects ``idle`` to its lock; 0 turns auto-lock off.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` once after ``interval_ms`` without user input; ``start`` re-arms it."""

    idle = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)
        self._interval = 0
        self._installed = False
        self.set_interval_ms(interval_ms)

    @staticmethod
    def minutes(minutes: float) -> int:
        return int(minutes * 60_000)

    @property
    def interval_ms(self) -> int:
        return self._interval

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def set_interval_ms(self, interval_ms: int) -> None:
        """Change the idle time (0 = never lock); an armed watcher restarts with it."""
        self._interval = max(0, int(interval_ms))
        if not self._interval:
            self._timer.stop()
        elif self._timer.isActive():
            self._timer.start(self._interval)

    def start(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True
        if self._interval:
            self._timer.start(self._interval)
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self._timer.isActive():
            self._timer.start(self._interval)
        return False

    def _fire(self) -> None:
        self.stop()
        self.idle.emit()
