"""``grader list``: the assignments the grader can find, and where."""

from __future__ import annotations

import argparse

from grader.exitcodes import ExitCode

NAME = "list"
HELP = "list the assignments found in ./assignments, GRADER_ASSIGNMENTS and the bundled ones"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``list`` takes no arguments."""
    del parser


def run(args: argparse.Namespace) -> int:
    """Print one line per assignment folder found (none of their code is run)."""
    from grader.listing import find_assignments, format_listing

    del args
    print(format_listing(find_assignments()), end="")
    return ExitCode.OK
