"""The command line: parse arguments, call the library, map errors to exit codes.

Each subcommand lives in :mod:`grader.commands`; this module only assembles them and turns
exceptions into the documented exit codes, in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from grader import __version__
from grader.commands import COMMANDS
from grader.commands._outpaths import OutputError
from grader.errors import (
    AssignmentError,
    AssignmentNotFound,
    GraderError,
    InvalidSubmission,
    SandboxError,
    UsageError,
)
from grader.exitcodes import ExitCode

__all__ = ["ExitCode", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line and where to get help (not the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grader", description="Grade Jupyter-notebook exercises in a sandbox.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP))
    return parser


DEBUG_ENV = "GRADER_DEBUG"  # set to 1 to see the traceback of an internal error

_ERRORS: tuple[tuple[type[GraderError], str, ExitCode], ...] = (
    (AssignmentNotFound, "error", ExitCode.USAGE),  # before AssignmentError: it is both
    (OutputError, "error", ExitCode.OUTPUT_ERROR),
    (UsageError, "error", ExitCode.USAGE),
    (AssignmentError, "assignment error", ExitCode.ASSIGNMENT_ERROR),
    (InvalidSubmission, "invalid submission", ExitCode.INVALID_SUBMISSION),
    (SandboxError, "sandbox error", ExitCode.SANDBOX_ERROR),
    (GraderError, "error", ExitCode.INTERNAL),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return ExitCode.OK if exc.code in (0, None) else ExitCode.USAGE
    handler = {c.NAME: c.run for c in COMMANDS}[args.command]
    try:
        return int(handler(args))
    except GraderError as exc:
        for cls, label, code in _ERRORS:
            if isinstance(exc, cls):
                print(f"grader: {label}: {exc}", file=sys.stderr)
                return code
        raise  # pragma: no cover - GraderError is the last row
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `grader grade ... | head`: the reader left, nothing is wrong
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except Exception as exc:  # a bug: one line and how to report it, never a bare traceback
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    """Report a bug in the grader: one line, the hint to report it, the traceback on demand."""
    from grader.reports._common import one_line

    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    hint = "" if debug else f"; {DEBUG_ENV}=1 shows the traceback"
    print(
        f"grader: internal error (a bug in the grader: please report it{hint}): "
        f"{type(exc).__name__}: {one_line(str(exc), 300)}",
        file=sys.stderr,
    )
    return ExitCode.INTERNAL


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
