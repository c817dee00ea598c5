"""``grader verify``: prove an assignment's tests against its reference solution and mutants.

Six properties, each an item of a :class:`VerifyReport`:

1. ``release_sync``: the committed release notebook equals ``release_bytes(solution)``;
2. ``reference``: the reference solution earns full marks;
3. ``public``: the public tests, run as ``grader check`` runs them, pass on the reference;
4. ``release``: the student release earns 0, every test recorded, nothing crashed or hung;
5. ``mutant:<name>``: each mutant loses points on exactly the tests its ``fails`` names;
6. ``determinism``: the reference and a few mutants graded twice give identical results;
7. ``check_bugs``: no check's own code failed (a NameError in a check, ...) on the reference,
   the release or any mutant: such a failure is the assignment's bug, which a student would
   otherwise meet in a batch (see :mod:`grader.checkbug`).

And ``authoring``, which always holds but carries warnings: a function listed in
``functions`` that no check tests, a solution notebook without the ``{"grader":
{"assignment": id}}`` metadata that ``grader check`` reads from a student's notebook.

Everything is graded by one :class:`~grader.runner.Grader` (one pre-warmed sandbox), mutants as
in-memory submissions, so a whole assignment takes seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.assignment import Assignment, resolve_assignment
from grader.errors import AssignmentError, GraderError, InvalidSubmission, UsageError
from grader.mutants import Mutant, load_mutants, mutant_problems, mutant_source
from grader.notebook import SourceFile, read_submission
from grader.results import CheckResult, SubmissionResult

if TYPE_CHECKING:
    from grader.runner import Grader

__all__ = [
    "VerifyItem",
    "VerifyReport",
    "assignment_argument",
    "format_item",
    "format_summary",
    "format_verify_report",
    "release_up_to_date",
    "verify_assignment",
]

DETERMINISM_MUTANTS = 3  # mutants graded a second time, besides the reference
_LOAD_FAILED = "the notebook's definitions could not be loaded"


@dataclass(frozen=True)
class VerifyItem:
    """One verified property: ``ok``, a one-line summary, and every problem found."""

    name: str
    ok: bool
    summary: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # worth fixing, but the item still holds


@dataclass(frozen=True)
class VerifyReport:
    """What ``grader verify`` found for one assignment."""

    assignment_id: str
    items: tuple[VerifyItem, ...]
    duration_s: float = 0.0
    graded: int = 0  # submissions graded, repeats included

    @property
    def ok(self) -> bool:
        """True when every item holds."""
        return all(item.ok for item in self.items)

    @property
    def failed(self) -> tuple[VerifyItem, ...]:
        """The items that do not hold."""
        return tuple(item for item in self.items if not item.ok)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every item's warnings, in order."""
        return tuple(w for item in self.items for w in item.warnings)

    def item(self, name: str) -> VerifyItem:
        """The item called ``name`` (e.g. ``"reference"`` or ``"mutant:no_scale"``)."""
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(name)


def assignment_argument(assignment: Assignment) -> str:
    """How to name ``assignment`` on a command line: its id when that resolves, else its path."""
    try:
        if resolve_assignment(assignment.id) == assignment.root:
            return assignment.id
    except (AssignmentError, UsageError):  # not found, or the id names two assignments
        pass
    return str(assignment.root)


def release_up_to_date(assignment: Assignment, path: str | Path | None = None) -> bool:
    """True when ``path`` (default: the assignment's release) holds the current release.

    Raises:
        UsageError: the assignment has no ``solution`` notebook, or no ``release`` and no
            ``path`` was given.
        AssignmentError: the solution notebook cannot be turned into a release.
    """
    from grader.release import release_bytes  # nbconvert: only when a release is compared

    target = _release_target(assignment, path)
    expected = release_bytes(_solution(assignment))
    try:
        return target.read_text(encoding="utf-8") == expected
    except (OSError, UnicodeDecodeError):
        return False


def _solution(assignment: Assignment) -> Path:
    if assignment.solution is None:
        raise UsageError(f"assignment {assignment.id} has no 'solution' in its assignment.toml")
    return assignment.solution


def _release_target(assignment: Assignment, path: str | Path | None) -> Path:
    if path is not None:
        return Path(path)
    if assignment.release is None:
        raise UsageError(f"assignment {assignment.id} has no 'release' in its assignment.toml")
    return assignment.release


def _check_release_sync(assignment: Assignment) -> VerifyItem:
    name = "release_sync"
    if assignment.release is None and assignment.release_target is not None:
        hint = f"run `grader release {assignment_argument(assignment)}` to create it"
        return VerifyItem(name, False, f"{assignment.release_target.name} is missing: {hint}")
    if assignment.release is None or assignment.solution is None:
        missing = "release" if assignment.release is None else "solution"
        return VerifyItem(name, False, f"no '{missing}' in assignment.toml: nothing to compare")
    if assignment.solution.suffix != ".ipynb":
        return VerifyItem(name, True, "solution is a script: no release notebook to compare")
    try:
        fresh = release_up_to_date(assignment)
    except GraderError as exc:
        return VerifyItem(name, False, "the release cannot be generated", (str(exc),))
    rel = assignment.release.name
    if fresh:
        return VerifyItem(name, True, f"{rel} is up to date with the solution")
    hint = f"run `grader release {assignment_argument(assignment)}` to regenerate it"
    return VerifyItem(name, False, f"{rel} is out of date with the solution: {hint}")


def _check_authoring(assignment: Assignment) -> VerifyItem:
    warnings = [
        f"function `{name}` is listed in assignment.toml's 'functions' but no check tests it: "
        "add checks for it, or take it out of the list"
        for name in assignment.functions
        if not any(c.spec.function == name for c in assignment.checks)
    ]
    metadata = _solution_metadata_warning(assignment)
    if metadata:
        warnings.append(metadata)
    n = len(warnings)
    summary = (
        f"{n} authoring warning{'s' * (n != 1)}"
        if warnings
        else "every listed function has checks; the solution names its assignment"
    )
    return VerifyItem("authoring", True, summary, warnings=tuple(warnings))


def _solution_metadata_warning(assignment: Assignment) -> str:
    """Why ``grader check`` cannot find the assignment of a notebook made from the solution."""
    solution = assignment.solution
    if solution is None or solution.suffix != ".ipynb":
        return ""
    wanted = f'{{"grader": {{"assignment": "{assignment.id}"}}}}'
    try:
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        named = notebook["metadata"]["grader"]["assignment"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        named = None
    if named == assignment.id:
        return ""
    found = f"lacks {wanted} in its notebook metadata"
    if isinstance(named, str):
        found = f"names assignment {named!r} in its notebook metadata, where {wanted} belongs"
    return (
        f"{solution.name} {found}: `grader check` reads it "
        "from a student's notebook (the release is made from the solution and keeps its "
        "metadata), so without it students must pass --assignment"
    )


def _check_bugs(graded: Sequence[tuple[str, SubmissionResult]]) -> VerifyItem:
    problems = list(
        dict.fromkeys(
            f"{t.id} on {label}: {t.check_bug}"
            for label, result in graded
            for t in result.tests
            if t.check_bug is not None
        )
    )
    if problems:
        summary = "checks have bugs in their own code (the assignment's fault, not a student's)"
    else:
        summary = f"no check's own code failed ({len(graded)} variants graded)"
    return VerifyItem("check_bugs", not problems, summary, tuple(problems))


def _full_marks(result: SubmissionResult, name: str, what: str) -> VerifyItem:
    score = f"{_num(result.score)}/{_num(result.max_score)}"
    problems = tuple(
        f"{t.id} {t.outcome}: {_one_line(t.message) or t.outcome}"
        for t in result.tests
        if t.outcome != "passed"
    )
    if result.status != "graded":
        problems = (f"not graded: {result.error}",)
    ok = not problems and result.score == result.max_score
    return VerifyItem(name, ok, f"{what} ({score}, {len(result.tests)} tests)", problems)


def _check_release(result: SubmissionResult, check_ids: Sequence[str]) -> VerifyItem:
    name, what = "release", "student release earns 0 without crashing"
    if result.status != "graded":
        return VerifyItem(name, False, what, (f"not graded: {result.error}",))
    # A check's own bug keeps the stub its points too; the check_bugs item reports that.
    problems = [
        f"{t.id} passed on the stub"
        for t in result.tests
        if t.score > 0 and t.check_bug is None
    ]
    recorded = [t.id for t in result.tests]
    if recorded != list(check_ids):
        problems.append(f"tests recorded {recorded}, expected {list(check_ids)}")
    problems += [
        f"{t.id} timed out on the stub (stubs must fail fast)"
        for t in result.tests
        if t.outcome == "timeout"
    ]
    if any(t.message.startswith(_LOAD_FAILED) for t in result.tests):
        problems.append("the release's definitions could not be loaded in the sandbox")
    score = f"{_num(result.score)}/{_num(result.max_score)}"
    summary = f"{what} ({score}, {len(result.tests)} tests recorded)"
    return VerifyItem(name, not problems, summary, tuple(problems))


def _check_mutant(mutant: Mutant, result: SubmissionResult, known: Sequence[str]) -> VerifyItem:
    problems = mutant_problems(mutant, result, known)
    n = len(mutant.fails)
    summary = f"mutant {mutant.name} caught by exactly its {n} expected test{'s' * (n != 1)}"
    if problems and all(t.outcome == "passed" for t in result.tests):
        summary = f"mutant {mutant.name} survives: every test passes on it"
    elif problems:
        summary = f"mutant {mutant.name} is not caught as its `fails` list says"
    return VerifyItem(f"mutant:{mutant.name}", not problems, summary, tuple(problems))


def _fingerprint(result: SubmissionResult) -> tuple[object, ...]:
    tests = tuple((t.id, t.outcome, t.score, t.message, t.output) for t in result.tests)
    return (result.status, result.error, result.score, result.warnings, tests)


def _check_determinism(
    pairs: Sequence[tuple[str, SubmissionResult, SubmissionResult]],
) -> VerifyItem:
    problems: list[str] = []
    for label, first, second in pairs:
        if _fingerprint(first) == _fingerprint(second):
            continue
        by_id = {t.id: t for t in second.tests}
        diffs = [
            f"{t.id} ({t.outcome} vs {by_id[t.id].outcome})"
            for t in first.tests
            if t.id in by_id and _fingerprint_test(t) != _fingerprint_test(by_id[t.id])
        ]
        problems.append(
            f"{label}: results differ between two runs: {', '.join(diffs) or 'warnings'}"
        )
    names = ", ".join(label for label, _, _ in pairs)
    return VerifyItem(
        "determinism",
        not problems,
        f"grading is deterministic ({names} graded twice)",
        tuple(problems),
    )


def _fingerprint_test(test: CheckResult) -> tuple[object, ...]:
    return (test.outcome, test.score, test.message, test.output)


def _pick_repeats(mutants: Sequence[Mutant]) -> list[Mutant]:
    """A few mutants spread over the file (first, middle, last) to grade twice."""
    if len(mutants) <= DETERMINISM_MUTANTS:
        return list(mutants)
    step = (len(mutants) - 1) / (DETERMINISM_MUTANTS - 1)
    return [mutants[round(i * step)] for i in range(DETERMINISM_MUTANTS)]


def _select_mutants(assignment: Assignment, only: str | None) -> tuple[Mutant, ...]:
    mutants = load_mutants(assignment.mutants) if assignment.mutants is not None else ()
    if only is None:
        return mutants
    chosen = tuple(m for m in mutants if m.name == only)
    if not chosen:
        names = ", ".join(m.name for m in mutants) or "none"
        raise UsageError(f"no mutant named {only!r} in assignment {assignment.id} (have: {names})")
    return chosen


def _read_reference(assignment: Assignment) -> SourceFile:
    solution = _solution(assignment)
    try:
        return read_submission(str(solution))
    except InvalidSubmission as exc:
        raise AssignmentError(f"the reference solution {solution} cannot be read: {exc}") from exc


def verify_assignment(
    assignment: Assignment,
    *,
    mutant: str | None = None,
    on_item: Callable[[VerifyItem], None] | None = None,
) -> VerifyReport:
    """Check that an assignment's tests tell the reference solution from wrong code.

    Args:
        assignment: the loaded assignment.
        mutant: verify only the mutant with this name (the other items still run).
        on_item: called with each item as soon as it is known (for progress output).

    Returns:
        The report; ``report.ok`` is True when every property holds.

    Raises:
        UsageError: the assignment has no solution, or ``mutant`` names no mutant.
        AssignmentError: the solution or ``mutants.toml`` cannot be read.
        SandboxError: the sandbox cannot start.
    """
    from grader.runner import Grader  # numpy and the sandbox: only when grading

    start = time.perf_counter()
    mutants = _select_mutants(assignment, mutant)
    reference = _read_reference(assignment)
    items: list[VerifyItem] = []

    def add(item: VerifyItem) -> None:
        items.append(item)
        if on_item is not None:
            on_item(item)

    add(_check_release_sync(assignment))
    add(_check_authoring(assignment))
    with Grader(assignment) as grader:
        graded = _grade_all(grader, assignment, reference, mutants, add)
    return VerifyReport(assignment.id, tuple(items), time.perf_counter() - start, graded)


def _grade_all(
    grader: Grader,
    assignment: Assignment,
    reference: SourceFile,
    mutants: Sequence[Mutant],
    add: Callable[[VerifyItem], None],
) -> int:
    ids = [c.id for c in assignment.checks]
    ref = grader.grade_source(reference, "reference")
    add(_full_marks(ref, "reference", "reference solution earns full marks"))
    public = grader.grade_source(reference, "reference", visibility="visible")
    add(_full_marks(public, "public", "public tests pass on the reference"))
    seen: list[tuple[str, SubmissionResult]] = [("the reference", ref)]
    graded = 2
    if assignment.release is not None:
        release = grader.grade_path(assignment.release, "release")
        add(_check_release(release, ids))
        seen.append(("the release", release))
        graded += 1
    if not mutants:
        add(VerifyItem("mutants", False, "no mutants: add known-wrong variants to mutants.toml"))
    first: dict[str, SubmissionResult] = {}
    for m in mutants:
        first[m.name] = grader.grade_source(mutant_source(reference, m), m.name)
        add(_check_mutant(m, first[m.name], ids))
        seen.append((f"mutant {m.name}", first[m.name]))
    add(_check_bugs(seen))
    pairs = [("reference", ref, grader.grade_source(reference, "reference"))]
    pairs += [
        (m.name, first[m.name], grader.grade_source(mutant_source(reference, m), m.name))
        for m in _pick_repeats(mutants)
    ]
    add(_check_determinism(pairs))
    return graded + len(mutants) + len(pairs)


def format_verify_report(report: VerifyReport, *, color: bool = False) -> str:
    """Render a report: one ✓/✗ line per item, its problems indented, then a summary line.

    Args:
        report: what :func:`verify_assignment` returned.
        color: add ANSI colours (only when writing to a terminal).

    Returns:
        The text, ending in a newline.
    """
    items = "".join(format_item(item, color=color) for item in report.items)
    return items + format_summary(report, color=color)


def format_summary(report: VerifyReport, *, color: bool = False) -> str:
    """The last line of the report: OK or FAILED, which items failed, and the time taken."""
    failed = report.failed
    total = len(report.items)
    if failed:
        names = ", ".join(item.name for item in failed)
        tail = f"FAILED: {len(failed)} of {total} items do not hold ({names})"
    else:
        tail = f"OK: all {total} items hold"
    n = len(report.warnings)
    if n:
        tail += f" ({n} warning{'s' * (n != 1)})"
    tail += f"; {report.graded} submissions graded in {report.duration_s:.1f} s"
    return _paint(tail, "31;1" if failed else "32;1", color) + "\n"


def format_item(item: VerifyItem, *, color: bool = False) -> str:
    """One item: ``✓ summary`` or ``✗ summary`` with one indented line per problem.

    An item that holds with warnings is marked ``!``, one indented ``warning:`` line each.
    """
    mark = _paint("✓", "32", color) if item.ok else _paint("✗", "31", color)
    if item.ok and item.warnings:
        mark = _paint("!", "33", color)
    lines = [f"{mark} {item.summary}"]
    lines += [f"    {problem}" for problem in item.problems]
    lines += [f"    warning: {warning}" for warning in item.warnings]
    return "\n".join(lines) + "\n"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _num(value: float) -> str:
    rounded = round(value, 4)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
