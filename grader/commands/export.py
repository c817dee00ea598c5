"""``grader export gradescope|student``: package an assignment for Gradescope or for students."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from grader.exitcodes import ExitCode

if TYPE_CHECKING:
    from grader.assignment import Assignment

NAME = "export"
HELP = (
    "package an assignment: gradescope (an autograder zip, with hidden tests) or student "
    "(the release and the public tests, for `grader check`)"
)
TARGETS = ("gradescope", "student")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``export``."""
    parser.add_argument("target", choices=TARGETS, help="what to build")
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument(
        "-o",
        "--output",
        metavar="ZIP",
        help="the zip to write (default: ./<id>-gradescope.zip or ./<id>-student.zip)",
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
        help="gradescope: when students see the hidden tests' results (default: after_published)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the zip and list what it holds."""
    from grader.assignment import load_assignment
    from grader.commands._outpaths import check_output_paths

    assignment = load_assignment(args.assignment)
    if args.target == "student":
        return _student(args, assignment)
    from grader.export import export_gradescope

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


def _student(args: argparse.Namespace, assignment: Assignment) -> int:
    from grader.student_bundle import export_student

    output = args.output or f"{assignment.id}-student.zip"
    bundle = export_student(assignment, output, wheel=args.wheel)
    size = bundle.output.stat().st_size
    print(f"wrote {bundle.output} ({len(bundle.files)} files, {size / 1024:.0f} KiB)")
    for name in bundle.files:
        print(f"  {name}")
    print(f"  in {bundle.assignment_wheel}: {', '.join(bundle.packaged)}")
    print("No hidden test, solution or mutant is in it: give it to students. They unpack it and")
    print(f"run, in its folder: {bundle.install}")
    return ExitCode.OK
