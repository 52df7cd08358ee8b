"""Errors the use cases raise; the CLI maps each to its documented exit code."""

from __future__ import annotations


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
