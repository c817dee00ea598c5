"""``grader verify``: the reference earns full marks, the release 0, every mutant is caught."""

from __future__ import annotations

import argparse
import sys

from grader.commands._color import use_color
from grader.exitcodes import ExitCode

NAME = "verify"
HELP = "prove an assignment's tests: reference full marks, release 0, every mutant caught"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``verify``."""
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument("--mutant", metavar="NAME", help="verify only this mutant")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour the report"
    )


def run(args: argparse.Namespace) -> int:
    """Verify, printing each item as it is known; exit 1 when any item fails."""
    from grader.assignment import load_assignment
    from grader.verify import VerifyItem, format_item, format_summary, verify_assignment

    assignment = load_assignment(args.assignment)
    color = use_color(args.color, sys.stdout)
    print(f"verifying {assignment.id} ({assignment.root})", flush=True)

    def show(item: VerifyItem) -> None:
        print(format_item(item, color=color), end="", flush=True)

    report = verify_assignment(assignment, mutant=args.mutant, on_item=show)
    print(format_summary(report, color=color), end="")
    return ExitCode.OK if report.ok else ExitCode.CHECKS_FAILED
