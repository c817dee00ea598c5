"""Exceptions raised when the grader itself cannot proceed.

A student's code failing is a *result* (see :mod:`grader.results`), never one of these.
These mean "this input or this assignment cannot be graded at all"::

    GraderError
    ├── UsageError            the command line or API was called wrongly
    ├── AssignmentError       an assignment folder is broken (bad TOML, missing file, bad test)
    │   └── AssignmentNotFound    no assignment by that name (also a UsageError: exit 2)
    ├── InvalidSubmission     a submission file is not a gradable notebook or script
    └── SandboxError          the sandbox could not be started or was refused (--strict)
"""

from __future__ import annotations

__all__ = [
    "AssignmentError",
    "AssignmentNotFound",
    "GraderError",
    "InvalidSubmission",
    "SandboxError",
    "UsageError",
    "bounded_message",
]


class GraderError(Exception):
    """Root of every exception the grader raises on purpose."""


class UsageError(GraderError):
    """The command line or the library API was called with arguments that cannot work."""


class AssignmentError(GraderError):
    """An assignment folder cannot be loaded: the instructor has to fix it."""


class AssignmentNotFound(UsageError, AssignmentError):
    """No assignment folder by the name given: a typo on the command line, not a broken folder.

    It is both a :class:`UsageError` (the command line exits 2) and an
    :class:`AssignmentError` (code that caught "cannot load this assignment" still does).
    """


class InvalidSubmission(GraderError):
    """A submission file cannot be graded at all (not a notebook, too large, bad encoding...).

    The message is written for the student: it says what is wrong in plain words.
    """


class SandboxError(GraderError):
    """The sandbox could not be started, or lacks isolation that ``--strict`` requires."""


def bounded_message(exc: BaseException, limit: int) -> str:
    """``str(exc)`` cut to ``limit`` characters; a message that cannot be formatted says so."""
    try:
        message = str(exc)
    except Exception:
        message = "(the error's message could not be formatted)"
    return message[:limit] + "..." if len(message) > limit else message
