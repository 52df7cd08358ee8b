"""Undoable case edits: each ``redo``/``undo`` calls an ``app.casework.cases`` service in one
session.

A command is executed once by :func:`execute` (so a refused action raises before anything is
pushed), then pushed on the stack with its first ``redo`` skipped. If an undo or redo is
refused later (the case moved on meanwhile), ``on_error`` gets the message and the command
is made obsolete so the stack drops it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from app.casework import cases
from app.errors import AccordError
from app.workspaces.lifecycle import Workspace
from i18n import _
from views.queue.model import status_label

WorkspaceGetter = Callable[[], Workspace | None]
Callback = Callable[[str], None]


def _noop(_message: str) -> None:
    return None


class CaseCommand(QUndoCommand):
    """Common plumbing: the workspace is looked up at run time (it changes after a re-unlock)."""

    def __init__(
        self,
        workspace: WorkspaceGetter,
        key: str,
        *,
        on_change: Callable[[], None] | None = None,
        on_error: Callback = _noop,
        expected_version: int | None = None,
    ) -> None:
        super().__init__()
        # The version of the case the user saw: the first run is made against it (a stale
        # view is refused with ConflictError); undo and redo act on the case as it is then.
        self.expected_version = expected_version
        self._workspace = workspace
        self.key = key
        self._on_change = on_change or (lambda: None)
        self._on_error = on_error
        self._skip_redo = False

    def execute(self) -> None:
        """Do the action now; raises AccordError if the service refuses it."""
        try:
            self._apply(forward=True)
        finally:
            self.expected_version = None
        self._skip_redo = True
        self._on_change()

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._guarded(forward=True)

    def undo(self) -> None:
        self._guarded(forward=False)

    def _guarded(self, *, forward: bool) -> None:
        try:
            self._apply(forward=forward)
        except AccordError as exc:
            self.setObsolete(True)
            self._on_error(str(exc))
        self._on_change()

    def _ws(self) -> Workspace:
        ws = self._workspace()
        if ws is None or ws.actor is None:
            raise AccordError(_("the workspace is locked"))
        return ws

    def _apply(self, *, forward: bool) -> None:
        """Each command type does its change here (forward) or reverts it; the base class only
        wraps the call with error reporting and the refresh."""
        raise NotImplementedError


class TransitionCommand(CaseCommand):
    """Move a case to ``target``; undo moves it back to the state it came from."""

    def __init__(self, workspace: WorkspaceGetter, key: str, target: str, reason: str, **kw):  # type: ignore[no-untyped-def]
        super().__init__(workspace, key, **kw)
        self.target = target
        self.reason = reason
        self.previous: str | None = None
        self.setText(_("move {key} to {state}").format(key=key, state=status_label(target)))

    def _apply(self, *, forward: bool) -> None:
        ws = self._ws()
        with ws.session() as s:
            if forward:
                old, _new = cases.transition(
                    s,
                    ws.require_actor(),
                    self.key,
                    self.target,
                    self.reason,
                    expected_version=self.expected_version,
                )
                self.previous = old
            else:
                assert self.previous is not None
                cases.transition(
                    s,
                    ws.require_actor(),
                    self.key,
                    self.previous,
                    _("undo: {reason}").format(reason=self.reason),
                    undo=True,
                )


class AssignCommand(CaseCommand):
    """Assign a case (``None`` unassigns); undo gives it back to the previous analyst."""

    def __init__(self, workspace: WorkspaceGetter, key: str, analyst: str | None, **kw):  # type: ignore[no-untyped-def]
        super().__init__(workspace, key, **kw)
        self.analyst = analyst
        self.previous: str | None = None
        if analyst:
            self.setText(_("assign {key} to {analyst}").format(key=key, analyst=analyst))
        else:
            self.setText(_("unassign {key}").format(key=key))

    def _apply(self, *, forward: bool) -> None:
        ws = self._ws()
        with ws.session() as s:
            if forward:
                self.previous = cases.assign(
                    s,
                    ws.require_actor(),
                    self.key,
                    self.analyst,
                    expected_version=self.expected_version,
                )
            else:
                cases.assign(s, ws.require_actor(), self.key, self.previous)


def execute(stack: QUndoStack, command: CaseCommand) -> None:
    """Run the command once and, if the service accepted it, push it for Undo."""
    command.execute()
    stack.push(command)
