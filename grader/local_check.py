"""``grader check``: a student's local run of the public tests on their own notebook.

:func:`find_assignment` works out which assignment a notebook belongs to (``--assignment``, or
the notebook's ``{"grader": {"assignment": id}}`` metadata), :func:`check_notebook` grades the
public tests only, and :func:`format_check_report` renders the result per function, with a ✓
or ✗ per test, the message of each failure, the warnings and a total line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.assignment import Assignment, load_assignment
from grader.errors import AssignmentError, GraderError, UsageError
from grader.files import open_regular
from grader.installed import ASSIGNMENT_ID, entry_point_assignment, find_installed
from grader.notebook import SourceFile, read_submission
from grader.results import CheckResult, SubmissionResult

if TYPE_CHECKING:
    from grader.runner import Grader

__all__ = ["LocalCheck", "check_notebook", "find_assignment", "format_check_report"]

_PEEK_BYTES = 4 << 20  # notebooks up to this size are peeked at for their assignment id
_GREEN, _RED, _YELLOW, _DIM, _BOLD = "32", "31", "33", "2", "1"
_LINE_LIMIT = 500  # characters of one line of a message or of printed output


@dataclass(frozen=True)
class LocalCheck:
    """The public tests' results on one notebook, and the assignment they came from."""

    assignment: Assignment
    result: SubmissionResult
    duration_s: float
    notes: tuple[str, ...] = ()  # how the assignment was found, when the user should know

    @property
    def passed(self) -> bool:
        """True when every public test passed."""
        return self.result.passed_all


def find_assignment(source: SourceFile, given: str | Path | None = None) -> Assignment:
    """The assignment to check ``source`` against.

    Args:
        source: the parsed notebook.
        given: the ``--assignment`` argument (a folder or an id), which wins over metadata.

    Returns:
        The loaded assignment.

    Raises:
        UsageError: nothing names an assignment, or the notebook's metadata names one that
            is not an installed assignment's id (the message says to pass ``--assignment``).
        AssignmentError: the assignment folder exists but is broken.
    """
    return _locate(source, given)[0]


def _locate(source: SourceFile, given: str | Path | None) -> tuple[Assignment, tuple[str, ...]]:
    """The assignment and notes about how it was found (see :mod:`grader.installed`)."""
    if given is not None:
        return _load_given(given), ()
    owner = Path(source.path).name
    if source.assignment_id is None:
        raise UsageError(
            f"{owner} does not say which assignment it belongs to (no "
            '"grader": {"assignment": ...} in its metadata); pass --assignment FOLDER'
        )
    # Never load_assignment(metadata): that would take a path, or ./assignments/<id>.
    installed = find_installed(source.assignment_id, owner=owner)
    return load_assignment(installed.root), installed.notes


def _load_given(given: str | Path) -> Assignment:
    """``--assignment``: a folder or an id as for every command, else a student bundle's id.

    Only ``check`` falls back on the assignments installed from a student bundle (public tests
    only): ``grade`` or ``verify`` must never pick such a copy up in place of the real one.
    """
    try:
        return load_assignment(given)
    except AssignmentError:
        if isinstance(given, str) and ASSIGNMENT_ID.fullmatch(given):
            package = entry_point_assignment(given)
            if package is not None:
                return load_assignment(package)
        raise


def check_notebook(path: str | Path, assignment: str | Path | None = None) -> LocalCheck:
    """Run the public (visible) tests of an assignment on one notebook.

    Args:
        path: the student's notebook (or ``.py`` script).
        assignment: an assignment folder or id; default: the one the notebook's metadata names.

    Returns:
        The results of the public tests.

    Raises:
        InvalidSubmission: the notebook cannot be read (the message says why).
        UsageError: no assignment can be determined.
        AssignmentError: the assignment is broken.
        SandboxError: the sandbox cannot start.
    """
    start = time.perf_counter()
    early = _early_assignment(path, assignment)
    if early is None:
        source = read_submission(str(path), follow_symlinks=True)
        found, notes = _locate(source, assignment)
        grader = _grader(found)
    else:
        found, notes = early
        source, grader = _read_while_starting(path, found)
    with grader:
        result = grader.grade_source(source, Path(path).stem, start=start)
        notes = (*notes, *grader.environment_warnings)  # this machine is the student's own
    return LocalCheck(found, result, time.perf_counter() - start, notes)


def _grader(assignment: Assignment) -> Grader:
    from grader.runner import Grader  # numpy and the sandbox: after the cheap checks

    return Grader(assignment, visibility="visible")


def _early_assignment(
    path: str | Path, given: str | Path | None
) -> tuple[Assignment, tuple[str, ...]] | None:
    """The assignment, known before the notebook is fully read (None: read it first).

    From ``--assignment``, or from a quick look at the notebook's metadata, by the same rule
    as :func:`find_assignment` (an installed id only); anything unusual (a large or broken
    file, no metadata, an id that is not installed) is left to the full reader, which
    explains it properly.
    """
    if given is not None:
        return _load_given(given), ()
    try:
        with open_regular(path, follow_symlinks=True) as handle:
            if os.fstat(handle.fileno()).st_size > _PEEK_BYTES:
                return None
            metadata = json.loads(handle.read(_PEEK_BYTES + 1)).get("metadata", {})
        name = metadata["grader"]["assignment"]
        if not isinstance(name, str):
            return None
        installed = find_installed(name, owner=Path(path).name)
        return load_assignment(installed.root), installed.notes
    except (OSError, ValueError, AttributeError, KeyError, TypeError, GraderError):
        return None
    except RecursionError:  # JSON nested too deeply: the full reader says so
        return None


def _read_while_starting(path: str | Path, assignment: Assignment) -> tuple[SourceFile, Grader]:
    """Read and validate the notebook while the sandbox starts (it mostly waits on a child)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(_grader, assignment)
        try:
            # No schema warning in a quick local run: it would cost ~0.4 s of start-up.
            source = read_submission(str(path), schema=False, follow_symlinks=True)
        except BaseException:
            starting.add_done_callback(_close_started)
            raise
        return source, starting.result()


def _close_started(starting: Future[Grader]) -> None:
    if starting.exception() is None:
        starting.result().close()


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _clean(text: str) -> str:
    """Drop control characters (keeping newlines) so a message cannot drive the terminal.

    ``str.isprintable`` is False for every control, format (bidi marks, overrides and
    isolates) and separator character but the space, so none of them reaches the terminal.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if ch in "\t\n" or (ch.isprintable() and ch != "\x7f"))


def _clean_line(text: str, limit: int = _LINE_LIMIT) -> str:
    """One cleaned line (newlines become spaces), cut to ``limit`` characters."""
    line = " ".join(_clean(text[: limit * 4]).split("\n"))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _indented(text: str, indent: str, max_lines: int = 100) -> list[str]:
    """Cleaned text as at most ``max_lines`` lines under ``indent``, each cut to a length."""
    lines = _clean(text[: max_lines * _LINE_LIMIT]).strip().splitlines()
    shown = [indent + _clean_line(line) for line in lines[:max_lines]]
    return [*shown, indent + "…"] if len(lines) > max_lines else shown


def _num(value: float) -> str:
    rounded = round(value, 4)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def _test_lines(test: CheckResult, color: bool) -> list[str]:
    name = _clean_line(test.id.split(".", 1)[-1])
    points = f"{_num(test.score)}/{_num(test.max_score)}"
    if test.outcome == "passed":
        return [f"  {_paint('✓', _GREEN, color)} {name} {_paint(points, _DIM, color)}"]
    label = "" if test.outcome == "failed" else f" ({test.outcome})"
    head = f"  {_paint('✗', _RED, color)} {name}{label} {_paint(points, _DIM, color)}"
    lines = [head, *(_indented(test.student_message, "      ") or [f"      {test.outcome}"])]
    shown = _indented(test.output, "        ", max_lines=10)
    if shown:
        lines.append("      " + _paint("your code printed:", _DIM, color))
        lines += shown
    return lines


def _function_lines(tests: Sequence[CheckResult], color: bool) -> list[str]:
    function = tests[0].function
    passed = sum(t.outcome == "passed" for t in tests)
    mark = _paint("✓", _GREEN, color) if passed == len(tests) else _paint("✗", _RED, color)
    header = f"{mark} {_paint(_clean_line(function), _BOLD, color)}  {passed}/{len(tests)} passed"
    return [header, *(line for t in tests for line in _test_lines(t, color))]


def format_check_report(check: LocalCheck, *, color: bool = False) -> str:
    """Render a local check: tests grouped by function, warnings, then a total line.

    Args:
        check: what :func:`check_notebook` returned.
        color: add ANSI colours (only when writing to a terminal).

    Returns:
        The text, ending in a newline.
    """
    result = check.result
    name = _clean_line(Path(result.path).name)
    lines = [f"{_clean_line(check.assignment.title)}: public tests on {name}", ""]
    groups: dict[str, list[CheckResult]] = {}
    for test in result.tests:
        groups.setdefault(test.function, []).append(test)
    for tests in groups.values():
        lines += _function_lines(tests, color)
    if result.warnings or check.notes:
        lines.append("")
        lines += [_paint(f"note: {_clean(n)}", _YELLOW, color) for n in check.notes]
        for warning in result.warnings:
            first, *rest = _indented(warning, "") or [""]
            lines += [_paint(f"warning: {first}", _YELLOW, color), *(f"    {r}" for r in rest)]
    lines += ["", _total_line(check, color)]
    return "\n".join(lines) + "\n"


def _total_line(check: LocalCheck, color: bool) -> str:
    tests = check.result.tests
    passed = sum(t.outcome == "passed" for t in tests)
    score = f"{_num(check.result.score)}/{_num(check.result.max_score)} points"
    text = f"{passed}/{len(tests)} public tests passed ({score}) in {check.duration_s:.2f} s"
    if check.passed:
        return _paint(text, _GREEN, color) + "; hidden tests run when you submit"
    return _paint(text, _RED, color) + "; fix the ✗ tests above and run `grader check` again"
