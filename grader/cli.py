"""The command line: parse arguments, call the library, map errors to exit codes.

Each subcommand lives in :mod:`grader.commands`; this module only assembles them and turns
exceptions into the documented exit codes, in one place.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from grader import __version__
from grader.commands import COMMANDS
from grader.errors import AssignmentError, GraderError, InvalidSubmission, SandboxError, UsageError
from grader.exitcodes import ExitCode

__all__ = ["ExitCode", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade Jupyter-notebook exercises in a sandbox."
    )
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP))
    return parser


_ERRORS: tuple[tuple[type[GraderError], str, ExitCode], ...] = (
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
