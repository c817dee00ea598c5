"""``grader new``: write the skeleton of a new assignment, ready for ``grader verify``."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands.release import _shown
from grader.exitcodes import ExitCode

NAME = "new"
HELP = "start a new assignment: a skeleton with one example function that passes verify"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``new``."""
    parser.add_argument("id", help="the new assignment's id, e.g. mean_of")
    parser.add_argument("--title", help="the assignment's title (default: made from the id)")
    parser.add_argument(
        "-C",
        "--course",
        metavar="DIR",
        default=".",
        help="the course folder to write assignments/<id>/ and solutions/<id>.ipynb in "
        "(default: the current folder)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the skeleton (never overwriting), list the files and the next commands."""
    from grader.scaffold import EXAMPLE_FUNCTION, write_skeleton

    skeleton = write_skeleton(args.id, args.course, title=args.title)
    name = skeleton.assignment_id
    print(f"created assignment {name}:")
    for path in skeleton.files:
        print(f"  {_shown(path)}")
    here = Path(args.course).resolve() == Path.cwd().resolve()
    target = name if here else _shown(skeleton.folder)
    print(
        f"\nIt grades one example function, {EXAMPLE_FUNCTION}(x), and passes verify as it is."
        "\nNext (docs/authoring.md walks through each step):"
        f"\n  1. write your function in {_shown(skeleton.solution)} between the"
        " YOUR CODE markers, and list it in assignment.toml's 'functions'"
        f"\n  2. write its checks in {_shown(skeleton.folder / 'tests')}/public.py and hidden.py,"
        " and wrong variants in mutants.toml"
        f"\n  3. grader release {target}    # the student notebook, from the solution"
        f"\n  4. grader verify {target}     # reference full marks, release 0, mutants caught"
    )
    return ExitCode.OK
