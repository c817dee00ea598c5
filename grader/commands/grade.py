"""``grader grade``: grade one or many submissions against an assignment."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.exitcodes import ExitCode

NAME = "grade"
HELP = "grade one or many submissions (files or folders)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``grade``."""
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument("submissions", nargs="+", help="notebooks, .py files or folders")
    parser.add_argument("--json", metavar="FILE", help="write the results JSON here")
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, help="parallel jobs (default: the CPU count)"
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="SCORE",
        help="exit 1 if any submission scores below SCORE",
    )


def run(args: argparse.Namespace) -> int:
    """Grade, print a table and a summary, write the requested reports."""
    from grader.assignment import load_assignment
    from grader.batch import grade_submissions
    from grader.errors import UsageError
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
