"""``grader check``: run the public tests on a student's notebook, locally and fast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.commands._color import use_color
from grader.exitcodes import ExitCode

NAME = "check"
HELP = "run the public tests on your notebook (exit 0 only when all pass)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``check``."""
    parser.add_argument("notebook", help="your notebook (.ipynb) or script (.py)")
    parser.add_argument(
        "-a",
        "--assignment",
        metavar="A",
        help="assignment folder or id (default: the one named in the notebook's metadata)",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the report (auto: on a terminal, unless NO_COLOR is set)",
    )


def run(args: argparse.Namespace) -> int:
    """Check the notebook and print the report; 0 when every public test passes, else 1.

    A path that does not exist is a usage error (2); a file that exists but cannot be read as
    a notebook is an invalid submission (3).
    """
    from grader.errors import UsageError
    from grader.local_check import check_notebook, format_check_report

    if not Path(args.notebook).exists():  # a mistyped path is a usage error (2), not a bad file
        raise UsageError(f"no such file: {args.notebook}")
    check = check_notebook(args.notebook, args.assignment)
    sys.stdout.write(format_check_report(check, color=use_color(args.color, sys.stdout)))
    return ExitCode.OK if check.passed else ExitCode.CHECKS_FAILED
