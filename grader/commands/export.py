"""``grader export gradescope``: build a Gradescope autograder zip for an assignment."""

from __future__ import annotations

import argparse

from grader.exitcodes import ExitCode

NAME = "export"
HELP = "build an autograder package (gradescope: a zip with setup.sh and run_autograder)"
TARGETS = ("gradescope",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``export``."""
    parser.add_argument("target", choices=TARGETS, help="the platform to export for")
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument(
        "-o", "--output", metavar="ZIP", help="the zip to write (default: ./<id>-gradescope.zip)"
    )
    parser.add_argument(
        "--wheel",
        metavar="FILE",
        help="bundle this grader wheel instead of building one from the source checkout",
    )
    parser.add_argument(
        "--hidden-visibility",
        choices=("hidden", "after_due_date", "after_published", "visible"),
        default="after_published",
        help="when students see the hidden tests' results (default: after_published)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the zip and list what it holds."""
    from grader.assignment import load_assignment
    from grader.commands._outpaths import check_output_paths
    from grader.export import export_gradescope

    assignment = load_assignment(args.assignment)
    output = args.output or f"{assignment.id}-gradescope.zip"
    check_output_paths({"-o": output}, {})  # a folder or unwritable place: exit 2, not 70
    summary = export_gradescope(
        assignment, output, wheel=args.wheel, hidden_visibility=args.hidden_visibility
    )
    size = summary.output.stat().st_size
    print(f"wrote {summary.output} ({len(summary.files)} files, {size / 1024:.0f} KiB)")
    print(f"  setup.sh, run_autograder, wheels/{summary.wheel}")
    print(f"  {summary.assignment}/ (hidden tests and reference solution included)")
    print("Upload it as the autograder of a Gradescope programming assignment (never give it")
    print(f"to students); hidden tests' results are shown {args.hidden_visibility}.")
    return ExitCode.OK
