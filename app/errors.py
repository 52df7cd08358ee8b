"""Errors the use cases raise; the CLI maps each to its documented exit code."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("accord")


class AccordError(Exception):
    """A refused request or failed job, with a message fit for the user (exit code 1)."""

    exit_code = 1


class UsageError(AccordError):
    """The request itself is malformed (exit code 2)."""

    exit_code = 2


class LockedError(AccordError):
    """The workspace is locked or the passphrase is wrong (exit code 3)."""

    exit_code = 3


class VerificationError(AccordError):
    """An integrity check failed: audit chain, signature, hash (exit code 4)."""

    exit_code = 4


class PermissionDenied(AccordError):
    """The acting analyst's role does not allow this action (exit code 1)."""


class NotFound(AccordError):
    """A named case, analyst or partner does not exist (exit code 1)."""


class ConflictError(AccordError):
    """Someone else changed the record since it was read: reload and try again (exit code 1)."""


class BusyError(AccordError):
    """Another writer held the workspace for longer than we wait (exit code 1)."""


def describe_unexpected(exc: BaseException, where: str | None) -> str:
    """The one line shown and logged for an unexpected failure: its class and a reference.

    Never ``str(exc)``: the text of a database error carries SQL and its parameters (titles,
    descriptions, report text), which must not reach a screen or a log."""
    from i18n import _

    ref = os.urandom(4).hex()  # not uuid: it loads the platform module, at every start-up
    log.error("unexpected %s in %s (ref %s)", type(exc).__name__, where, ref)
    return _(
        "unexpected error ({kind}, ref {ref}); its details are withheld because they may "
        "contain case data"
    ).format(kind=type(exc).__name__, ref=ref)
