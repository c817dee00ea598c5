"""``grader release``: regenerate the student notebook from the reference solution."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.exitcodes import ExitCode

NAME = "release"
HELP = "regenerate the student release notebook from the solution (or --check it)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``release``."""
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only compare: exit 1 if the release is out of date, writing nothing",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write (or --check) FILE instead of the assignment's release notebook",
    )


def run(args: argparse.Namespace) -> int:
    """Write the release (atomically) or compare it; print what was done."""
    from grader.assignment import load_assignment
    from grader.errors import UsageError
    from grader.release import release_bytes
    from grader.verify import assignment_argument

    assignment = load_assignment(args.assignment)
    if assignment.solution is None:
        raise UsageError(f"assignment {assignment.id} has no 'solution' in its assignment.toml")
    target = Path(args.output) if args.output else assignment.release_target
    if target is None:
        raise UsageError(
            f"assignment {assignment.id} has no 'release' in its assignment.toml; pass -o FILE"
        )
    text = release_bytes(assignment.solution)
    current = _read(target)
    shown, solution = _shown(target), _shown(assignment.solution)
    if args.check:
        if current == text:
            print(f"{shown} is up to date with {solution}")
            return ExitCode.OK
        state = "missing" if current is None else "out of date"
        where = f" -o {args.output}" if args.output else ""
        print(
            f"{shown} is {state}: run `grader release {assignment_argument(assignment)}"
            f"{where}` to regenerate it from {solution}"
        )
        return ExitCode.CHECKS_FAILED
    if current == text:
        print(f"{shown} is already up to date with {solution}")
        return ExitCode.OK
    verb = "wrote" if target.exists() or target.is_symlink() else "created"
    _write_atomically(target, text)
    print(f"{verb} {shown} (from {solution})")
    return ExitCode.OK


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file that never outlives a failure, with the user's umask."""
    from grader.errors import UsageError
    from grader.reports._io import atomic_write

    try:
        atomic_write(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
