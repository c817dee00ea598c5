"""Exit statuses of the ``grader`` command (documented in the README)."""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """What a ``grader`` process tells its caller."""

    OK = 0  # the command did its job (for `grade`: whatever the scores)
    CHECKS_FAILED = 1  # a gate failed: `check` with a failing test, `--fail-under`, `verify`
    USAGE = 2  # bad command-line arguments
    INVALID_SUBMISSION = 3  # `check`: the notebook cannot be read at all
    ASSIGNMENT_ERROR = 4  # the assignment folder is broken
    SANDBOX_ERROR = 5  # the sandbox cannot start, or lacks isolation `--strict` requires
    INTERNAL = 70  # a bug in the grader
    OUTPUT_ERROR = 74  # `grade`: a report could not be written (disk full, folder removed...)
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # stdout was closed by its reader (`| head`), as if killed by SIGPIPE
