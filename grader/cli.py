"""The command line: parse arguments, call the library, render, map errors to exit codes."""

from __future__ import annotations

import argparse
import enum
import sys
from collections.abc import Sequence
from pathlib import Path

from grader import __version__
from grader.errors import AssignmentError, GraderError, InvalidSubmission, SandboxError, UsageError

__all__ = ["ExitCode", "main"]


class ExitCode(enum.IntEnum):
    """Exit statuses of the ``grader`` command (documented in the README)."""

    OK = 0  # the command did its job (for `grade`: whatever the scores)
    CHECKS_FAILED = 1  # a gate failed: `check` with a failing test, `--fail-under`, `verify`
    USAGE = 2  # bad command-line arguments
    INVALID_SUBMISSION = 3  # `check`: the notebook cannot be read at all
    ASSIGNMENT_ERROR = 4  # the assignment folder is broken
    SANDBOX_ERROR = 5  # the sandbox cannot start, or lacks isolation `--strict` requires
    INTERNAL = 70  # a bug in the grader
    INTERRUPTED = 130  # Ctrl-C


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade Jupyter-notebook exercises in a sandbox."
    )
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    grade = sub.add_parser("grade", help="grade one or many submissions (files or folders)")
    grade.add_argument("assignment", help="assignment folder or id")
    grade.add_argument("submissions", nargs="+", help="notebooks, .py files or folders")
    grade.add_argument("--json", metavar="FILE", help="write the results JSON here")
    grade.add_argument(
        "-j", "--jobs", type=int, default=None, help="parallel jobs (default: the CPU count)"
    )
    grade.add_argument(
        "--fail-under", type=float, default=None, metavar="SCORE",
        help="exit 1 if any submission scores below SCORE",
    )
    return parser


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.assignment import load_assignment
    from grader.batch import grade_submissions
    from grader.reports import json_report, summary_text, terminal_table

    assignment = load_assignment(args.assignment)
    missing = [p for p in args.submissions if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    run = grade_submissions(assignment, args.submissions, jobs=args.jobs)
    if not run.submissions:
        raise UsageError("no .ipynb or .py submissions found under the given paths")
    print(terminal_table(run, color=sys.stdout.isatty()))
    print(summary_text(run))
    if args.json:
        Path(args.json).write_text(json_report(run), encoding="utf-8")
    if args.fail_under is not None and any(s.score < args.fail_under for s in run.submissions):
        return ExitCode.CHECKS_FAILED
    return ExitCode.OK


_COMMANDS = {"grade": _cmd_grade}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return int(exc.code or 0) if exc.code in (0, None) else ExitCode.USAGE
    try:
        return _COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except AssignmentError as exc:
        print(f"grader: assignment error: {exc}", file=sys.stderr)
        return ExitCode.ASSIGNMENT_ERROR
    except InvalidSubmission as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return ExitCode.INVALID_SUBMISSION
    except SandboxError as exc:
        print(f"grader: sandbox error: {exc}", file=sys.stderr)
        return ExitCode.SANDBOX_ERROR
    except GraderError as exc:  # pragma: no cover - every subclass is mapped above
        print(f"grader: error: {exc}", file=sys.stderr)
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
