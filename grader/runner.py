"""Grade one submission: read, extract, load in the sandbox, run every check HERE.

Checks, the reference solution and scoring live only in this (trusted) process; student code
runs only in the sandbox, reached through :class:`grader.session.SandboxSubmission`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

from grader.assignment import Assignment, Check
from grader.collect import collect
from grader.environment import missing_requirements, not_students_fault, requirement_warning
from grader.errors import InvalidSubmission
from grader.extract import Program, extract_program, imported_modules
from grader.files import open_regular
from grader.ids import submission_id_for
from grader.internal_error import (
    INTERNAL_ERROR,
    grader_cannot_go_on,
    internal_error_result,
    invalid_result,
)
from grader.judge import Verdict, judge, run_check
from grader.notebook import DEFAULT_MAX_BYTES, SourceFile, read_submission
from grader.redact import student_error_message
from grader.reference import MemoReference, load_reference
from grader.results import CheckResult, SubmissionResult
from grader.sandbox.host import Zygote
from grader.sandbox.limits import Limits
from grader.session import LoadFailure, SandboxSubmission
from grader.standins import StandIns, standin_notes
from grader.stubs import confirm_stubs, release_parameters, release_skeletons
from grader.testing import StudentCodeError

__all__ = [
    "INTERNAL_ERROR",
    "Grader",
    "Verdict",
    "find_submissions",
    "grader_cannot_go_on",
    "internal_error_result",
    "invalid_result",
    "judge",
    "run_check",
    "submission_id_for",
]

_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


class Grader:
    """Grades submissions against one assignment; owns a zygote. Use as a context manager."""

    def __init__(
        self,
        assignment: Assignment,
        *,
        visibility: str = "all",
        strict: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.assignment = assignment
        self.limits = limits or assignment.limits
        self.checks = assignment.select(visibility)
        self.max_score = float(sum(c.spec.points for c in self.checks))
        helper_dirs = [assignment.root, *{h.parent for h in assignment.helpers}]
        # Load the reference only when a selected check asks for it, or may use its functions
        # as stand-ins (grader.standins). A student's bundle has no solution: their local run
        # then grades their functions together (stricter than the grade, never more lenient).
        wants_reference = any(
            "reference" in inspect.signature(c.spec.func).parameters for c in self.checks
        ) or (
            len(assignment.functions) > 1
            and any(c.spec.standins and c.id not in assignment.standins_off for c in self.checks)
        )
        self.reference = (
            load_reference(assignment.solution, helper_dirs)
            if assignment.solution is not None and wants_reference
            else SimpleNamespace()
        )
        # What checks get: every call remembered across submissions (inputs come from fixed
        # seeds, so the questions repeat; grader.memo keeps the answers exact).
        self.reference_fixture = MemoReference(self.reference)
        # Read once (the reference's code, for what each function calls); fresh per check.
        self._standins = (
            StandIns(self.reference, assignment.functions)
            if wants_reference and len(assignment.functions) > 1
            else None
        )
        self.max_bytes = DEFAULT_MAX_BYTES
        # To tell a release's untouched stub from a body written above its marker.
        self.stub_skeletons = release_skeletons(assignment.release)
        # Checks pass arguments in the stub's order: bound to a student's by these names.
        self.stub_parameters = release_parameters(assignment.release)
        private = [assignment.root, assignment.solution, assignment.mutants]
        self.zygote = Zygote(
            assignment.helpers,
            strict=strict,
            prewarm=[*_notebook_imports(assignment), *assignment.requires],
            private=[p for p in private if p is not None],
        )
        # Checked once, where students' imports run; an empty check when nothing is declared.
        try:
            self.missing = missing_requirements(self.zygote, assignment.requires, self.limits)
        except BaseException:
            self.zygote.close()
            raise

    @property
    def environment_warnings(self) -> tuple[str, ...]:
        """Run-level warnings for the instructor: declared modules the sandbox cannot import."""
        return tuple(requirement_warning(m, why) for m, why in self.missing.items())

    @property
    def isolation(self) -> dict[str, bool]:
        """Which confinement layers are active (the results' ``isolation`` field)."""
        return dict(self.zygote.isolation)

    @property
    def isolation_warnings(self) -> list[str]:
        """What a missing layer costs, in plain words (empty when every layer is active)."""
        return list(self.zygote.isolation_warnings)

    def close(self) -> None:
        """Stop the sandbox helper and remove its temporary files."""
        self.zygote.close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def grade_path(self, path: str | Path, submission_id: str) -> SubmissionResult:
        """Grade one file. Never raises for a bad submission: it becomes an invalid result.

        Nor for a bug of the grader's own met while grading it (in reading, extraction, a
        check or a decoder): that becomes an invalid result naming the internal error, so one
        submission never stops a batch. KeyboardInterrupt still stops everything.
        """
        start = time.perf_counter()
        try:
            source = read_submission(str(path), max_bytes=self.max_bytes)
        except InvalidSubmission as exc:
            return invalid_result(
                submission_id, path, _sha256_or_empty(path), str(exc), self.max_score, start
            )
        except Exception as exc:
            if grader_cannot_go_on(exc):
                raise
            return internal_error_result(
                exc, submission_id, str(path), _sha256_or_empty(path), self.max_score, start
            )
        return self.grade_source(source, submission_id, start=start)

    def grade_source(
        self,
        source: SourceFile,
        submission_id: str,
        *,
        start: float | None = None,
        visibility: str | None = None,
    ) -> SubmissionResult:
        """Grade an already-read submission; never raises but for KeyboardInterrupt.

        ``visibility="visible"`` runs only the public checks among this grader's own, in the
        same sandbox, exactly as a grader made with that visibility would (each check's seed
        follows its place in the selection). The default runs this grader's checks.
        """
        start = time.perf_counter() if start is None else start
        checks = self.checks
        if visibility not in (None, "all"):
            checks = tuple(c for c in self.checks if c.visibility == visibility)
        try:
            return self._grade_source(source, submission_id, start, checks)
        except Exception as exc:  # the last-resort net: a bug of ours costs one submission
            if grader_cannot_go_on(exc):
                raise
            max_score = float(sum(c.spec.points for c in checks))
            path, sha256 = getattr(source, "path", ""), getattr(source, "sha256", "")
            if isinstance(exc, InvalidSubmission):
                return invalid_result(submission_id, path, sha256, str(exc), max_score, start)
            return internal_error_result(exc, submission_id, path, sha256, max_score, start)

    def _grade_source(
        self, source: SourceFile, submission_id: str, start: float, checks: Sequence[Check]
    ) -> SubmissionResult:
        program = confirm_stubs(extract_program(source.cells), self.stub_skeletons)
        submission = SandboxSubmission(
            self.zygote,
            program,
            self.limits,
            numpy=self.assignment.numpy,
            stubs=self.stub_parameters,
        )
        warnings = [*source.warnings, *program.warnings]
        try:
            try:
                submission.start()
                load_error = None
            except LoadFailure as exc:
                load_error = f"the notebook's definitions could not be loaded: {exc}"
            # The machine's missing modules are the instructor's (a run-level warning).
            warnings += [w for w in submission.warnings if not not_students_fault(w, self.missing)]
            other = None if load_error else self._other_assignment(source, submission, checks)
            if other is not None:
                warnings.append(other.warning)
            tests, notes = self._run_checks(submission, program, load_error, checks, other)
            warnings += notes  # a function graded with a correct stand-in for a wrong one
            warnings += submission.alias_warnings  # numpy 1 aliases, used at load or call time
            warnings += submission.signature_warnings
        finally:
            submission.close()
        return SubmissionResult(
            id=submission_id,
            path=source.path,
            sha256=source.sha256,
            status="graded",
            error=None,
            score=float(sum(t.score for t in tests)),
            max_score=float(sum(c.spec.points for c in checks)),
            duration_s=time.perf_counter() - start,
            warnings=tuple(dict.fromkeys(warnings)),
            tests=tuple(tests),
        )

    def _other_assignment(
        self, source: SourceFile, submission: SandboxSubmission, checks: Sequence[Check]
    ) -> _OtherAssignment | None:
        """Whether the notebook is another assignment's: its metadata names another id and
        none of the graded functions is in it. Then that is the one thing to say."""
        named = source.assignment_id
        if named is None or named == self.assignment.id or not checks:
            return None
        if any(submission.has(check.spec.function) for check in checks):
            return None  # the metadata is wrong (a copied notebook?), the work is here: grade it
        return _OtherAssignment.of(named, self.assignment.id)

    def _run_checks(
        self,
        submission: SandboxSubmission,
        program: Program,
        load_error: str | None,
        checks: Sequence[Check],
        other: _OtherAssignment | None = None,
    ) -> tuple[list[CheckResult], list[str]]:
        fixtures = {"submission": submission, "reference": self.reference_fixture}
        # Every visible check runs before any hidden one, so no child that answers a visible
        # check has ever seen a hidden input: student code could keep one in a global and
        # print, raise or return it later. (After a crash the fresh child serves the checks
        # that follow, which keeps the rule.) Each check keeps its seed, its declared
        # position, and the results keep the declared order.
        order = sorted(range(len(checks)), key=lambda i: checks[i].visibility == "hidden")
        results: dict[int, CheckResult] = {}
        used: dict[int, set[str]] = {}
        retries: list[_Retry] = []
        for index in order:
            check = checks[index]
            standins = self._standins_for(check)
            submission.begin_check(index, standins)
            try:
                results[index] = self._run_one(
                    check, submission, program, load_error, fixtures, other
                )
                # Graded first with the student's own functions (correct notebooks pay
                # nothing); again with stand-ins only when it did not pass and they apply.
                if standins is not None and _rerun(results[index], submission.wanted):
                    helpers = {
                        name
                        for caller in submission.wanted
                        for name in standins.offer(caller, submission.signatures)
                    }
                    retries.append(_Retry(index, standins, helpers, submission.check_calls))
            finally:
                submission.begin_check(index, None)
            used[index] = set()
        # The second runs, once every check has run once: a check that failed is graded again
        # with the exercise's functions standing in only when one it relies on lost a check of
        # its own (else the failure is its function's, and the retry, hundreds of call-backs,
        # could not move the deduction). Visible checks first, in a fresh child that has seen
        # no hidden input.
        lost = {
            results[i].function
            for i in results
            if results[i].outcome != "passed" and results[i].check_bug is None
        }
        retries = [r for r in retries if r.helpers & lost]
        if any(checks[r.check].visibility != "hidden" for r in retries):
            submission.close()  # the next call starts a fresh child, on the same program
        for retry in retries:
            check, first = checks[retry.check], results[retry.check]
            submission.begin_check(retry.check, retry.standins, first_calls=retry.first_calls)
            try:
                with submission.standing_in():
                    second = self._run_one(
                        check, submission, program, load_error, fixtures, other
                    )
            finally:
                submission.begin_check(retry.check, None)
            # The second run's verdict, pass or fail: with the exercise's helpers, it is
            # about this function alone (a failure names its own mistake).
            results[retry.check] = dataclasses.replace(
                second, duration_s=first.duration_s + second.duration_s
            )
            used[retry.check] = retry.standins.used
        tests = [results[index] for index in range(len(checks))]
        notes = standin_notes(
            [(test.function, used[index]) for index, test in enumerate(tests)],
            {test.function for test in tests if test.outcome != "passed"},
        )
        return tests, notes

    def _standins_for(self, check: Check) -> StandIns | None:
        """The exercise's functions that may stand in for the student's in this check."""
        if not check.spec.standins or check.id in self.assignment.standins_off:
            return None
        if self._standins is None:
            return None
        return self._standins.fresh()

    def _run_one(
        self,
        check: Check,
        submission: SandboxSubmission,
        program: Program,
        load_error: str | None,
        fixtures: dict[str, Any],
        other: _OtherAssignment | None = None,
    ) -> CheckResult:
        t0 = time.perf_counter()
        if load_error is not None:
            verdict = Verdict("error", load_error, load_error)
        elif other is not None:
            verdict = Verdict("missing", other.message, other.message)
        elif not submission.has(check.spec.function):
            missing = StudentCodeError(check.spec.function, "missing", "")
            text = student_error_message(missing, program)
            verdict = Verdict("missing", text, text)
        else:
            verdict = judge(
                check, fixtures, program, root=self.assignment.root, hints=self.assignment.hints
            )
        hidden = check.visibility == "hidden"
        return CheckResult(
            id=check.id,
            function=check.spec.function,
            # A check's own bug is the assignment's fault: the student keeps the points (and
            # the maximum stays the same for everyone in the gradebook).
            score=check.spec.points
            if verdict.outcome == "passed" or verdict.check_bug is not None
            else 0.0,
            max_score=check.spec.points,
            outcome=verdict.outcome,
            message=verdict.message,
            visibility=check.visibility,
            duration_s=time.perf_counter() - t0,
            output=submission.take_output(),
            public_message=verdict.public_message if hidden else None,
            check_bug=verdict.check_bug,
        )


def _rerun(result: CheckResult, wanted: set[str]) -> bool:
    """Whether a check is graded again with stand-ins: it did not pass through the student's
    fault (a missing function, or the check's own bug, are not helped by them), and a function
    it called calls other graded functions that stand-ins replace."""
    return (
        bool(wanted)
        and result.outcome in ("failed", "error", "timeout")
        and result.check_bug is None
    )


class _Retry(NamedTuple):
    """A check to grade again with stand-ins, once every check has run once."""

    check: int  # its position among the checks graded
    standins: StandIns
    helpers: set[str]  # the graded functions that would stand in for the student's
    first_calls: int  # the session's call count when its first run began (its seeds)


class _OtherAssignment(NamedTuple):
    """The one thing to say about a notebook of another assignment: once as a warning, and
    shortly in each check (which all find nothing)."""

    warning: str
    message: str

    @classmethod
    def of(cls, named: str, graded: str) -> _OtherAssignment:
        # The metadata is the student's file: quote a plain id as is, anything else escaped.
        shown = named if _PLAIN_ID.fullmatch(named) else ascii(named[:80])
        return cls(
            f"this notebook belongs to assignment '{shown}' (its metadata says so), not to "
            f"'{graded}', and none of the functions graded here is in it: was the right "
            "notebook submitted?",
            f"not graded: this notebook belongs to assignment '{shown}', not '{graded}'",
        )


def _notebook_imports(assignment: Assignment) -> list[str]:
    """What the assignment's own notebooks import: students' notebooks import the same."""
    modules: list[str] = []
    for path in (assignment.release, assignment.solution):
        if path is None:
            continue
        try:
            source = read_submission(str(path), schema=False)
            modules.extend(imported_modules(extract_program(source.cells)))
        except InvalidSubmission:
            continue  # verify reports a broken release or solution; grading goes on
    return list(dict.fromkeys(modules))


def _sha256_or_empty(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open_regular(path) as handle:  # never a link's target, never a blocking FIFO
            if os.fstat(handle.fileno()).st_size > DEFAULT_MAX_BYTES:
                return ""  # refused unread: hashing a huge (sparse) file would take hours
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def find_submissions(paths: Sequence[str | Path]) -> list[tuple[Path, Path | None]]:
    """Expand files and folders (recursively) into (file, folder given) pairs.

    See :func:`grader.collect.collect`, which this wraps: links inside a folder are never
    followed, and entries that cannot be submissions are listed there, with reasons.
    """
    return [(found.path, found.root) for found in collect(paths).files]
