"""Gradescope's autograder ``results.json`` for one submission.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ ("Output format").
A test's ``status`` is only "passed" or "failed" there, so error, timeout and missing all
map to "failed", with the outcome spelled out in the test's ``output``.
"""

from __future__ import annotations

from typing import Any

from grader.errors import UsageError
from grader.reports._common import fmt_num, printable, truncate
from grader.results import CheckResult, SubmissionResult

__all__ = ["GRADESCOPE_VISIBILITIES", "gradescope_results"]

GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
_OUTPUT_LIMIT = 500  # characters of the student's printed output kept per test

_OUTCOME_TEXT = {
    "passed": "Passed.",
    "failed": "Failed.",
    "error": "Your code raised an error.",
    "timeout": "Your code ran out of time.",
    "missing": "The function was not found in your submission.",
}


def _test_output(test: CheckResult, show_output: bool) -> str:
    parts = [_OUTCOME_TEXT[test.outcome]]
    if test.student_message.strip():
        parts.append(printable(test.student_message))
    if show_output and test.output.strip():
        printed = truncate(printable(test.output), _OUTPUT_LIMIT)
        parts.append("Output printed by your code:\n" + printed)
    return "\n\n".join(parts)


def _test_entry(
    test: CheckResult, number: str, visibility: str, show_hidden_output: bool
) -> dict[str, Any]:
    show_output = test.visibility == "visible" or show_hidden_output
    return {
        "score": test.score,
        "max_score": test.max_score,
        "name": test.id,
        "name_format": "text",
        "number": number,
        "status": "passed" if test.outcome == "passed" else "failed",
        "output": _test_output(test, show_output),
        "output_format": "text",
        "visibility": visibility,
        "tags": [test.function, test.outcome],
        "extra_data": {"outcome": test.outcome, "duration_s": round(test.duration_s, 6)},
    }


def _numbers(sub: SubmissionResult) -> list[str]:
    """Gradescope's "1.2"-style numbers: function index, then test index within it."""
    function_index: dict[str, int] = {}
    within: dict[str, int] = {}
    numbers = []
    for test in sub.tests:
        function_index.setdefault(test.function, len(function_index) + 1)
        within[test.function] = within.get(test.function, 0) + 1
        numbers.append(f"{function_index[test.function]}.{within[test.function]}")
    return numbers


def _submission_output(sub: SubmissionResult) -> str:
    if sub.status != "graded":
        reason = printable(sub.error or "no reason was recorded")
        return f"Your submission could not be graded: {reason}\nScore: 0"
    lines = [f"Score: {fmt_num(sub.score)} / {fmt_num(sub.max_score)}"]
    lines += [f"Warning: {printable(w)}" for w in sub.warnings]
    return "\n".join(lines)


def gradescope_results(
    sub: SubmissionResult,
    *,
    hidden_visibility: str = "after_published",
    show_hidden_output: bool = False,
) -> dict[str, Any]:
    """Build Gradescope's ``results.json`` content for one submission.

    Visible tests get ``"visibility": "visible"``; hidden tests get ``hidden_visibility``.
    A test's ``output`` holds its outcome, its message and the (truncated) output the
    student's code printed; the grader never has hidden test code or expected values to
    leak. What the code printed during a hidden test is left out unless asked for, since a
    function that prints its arguments would reveal the hidden inputs. An invalid submission
    gets score 0, no tests, and an ``output`` saying why it could not be graded.

    Args:
        sub: one submission's results.
        hidden_visibility: Gradescope visibility for hidden tests: "hidden",
            "after_due_date", "after_published" or "visible".
        show_hidden_output: include what the code printed during hidden tests.

    Returns:
        A JSON-ready dict (dump it with :func:`json.dumps`).

    Raises:
        UsageError: if ``hidden_visibility`` is not one of Gradescope's values.
    """
    if hidden_visibility not in GRADESCOPE_VISIBILITIES:
        raise UsageError(
            f"hidden_visibility must be one of {', '.join(GRADESCOPE_VISIBILITIES)}; "
            f"got {hidden_visibility!r}"
        )
    graded = sub.status == "graded"
    tests = [
        _test_entry(
            t,
            n,
            "visible" if t.visibility == "visible" else hidden_visibility,
            show_hidden_output,
        )
        for t, n in zip(sub.tests, _numbers(sub), strict=True)
    ]
    return {
        "score": sub.score if graded else 0.0,
        "execution_time": round(sub.duration_s, 3),
        "output": _submission_output(sub),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests if graded else [],
    }
