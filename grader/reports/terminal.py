"""One line per submission for the terminal: id, score, a mark per function, status."""

from __future__ import annotations

from collections.abc import Sequence

from grader.reports._common import fmt_num, one_line, run_functions, tests_of
from grader.results import GradingRun, SubmissionResult

__all__ = ["MARKS", "legend", "terminal_row", "terminal_table"]

# Per function: every test passed / some passed / none passed / function not found.
MARKS = {"all": "✓", "some": "~", "none": "✗", "missing": "·"}
_COLOURS = {"all": "32", "some": "33", "none": "31", "missing": "2", "invalid": "31;1"}
_RESET = "\x1b[0m"
_MEANINGS = {
    "all": "all tests passed",
    "some": "some passed",
    "none": "none passed",
    "missing": "not found",
}


def _paint(text: str, kind: str, color: bool) -> str:
    return f"\x1b[{_COLOURS[kind]}m{text}{_RESET}" if color else text


def _mark_kind(sub: SubmissionResult, function: str) -> str:
    tests = tests_of(sub, function)
    if not tests or all(t.outcome == "missing" for t in tests):
        return "missing"
    passed = sum(t.outcome == "passed" for t in tests)
    if passed == len(tests):
        return "all"
    return "some" if passed else "none"


def _score_kind(sub: SubmissionResult) -> str:
    if sub.status != "graded":
        return "invalid"
    if sub.max_score > 0 and sub.score >= sub.max_score:
        return "all"
    return "some" if sub.score > 0 else "none"


def terminal_table(run: GradingRun, *, color: bool) -> str:
    """Render one line per submission: id, score/max, function marks, status.

    Marks, one per graded function in order: ``✓`` every test passed, ``~`` some passed,
    ``✗`` none passed, ``·`` the function was not found. Ids and reasons are stripped of
    control and bidi-override characters, so a crafted file name cannot drive the terminal
    nor show in an order it does not have.

    Args:
        run: the results of one grading run.
        color: add ANSI colours (only when writing to a terminal).

    Returns:
        The table text, one line per submission, ending in a newline (empty run: "").
    """
    functions = run_functions(run)
    id_width = max((len(one_line(s.id, 40)) for s in run.submissions), default=0)
    score_width = max((len(_score(s)) for s in run.submissions), default=0)
    return "".join(
        terminal_row(sub, functions, id_width=id_width, score_width=score_width, color=color)
        for sub in run.submissions
    )


def legend(functions: Sequence[str], *, color: bool) -> str:
    """The line under the table that says what each mark means.

    Args:
        functions: the graded functions, in the order of the marks.
        color: colour the marks as in the table.

    Returns:
        One or two lines ending in a newline: every mark, what no marks means, and which
        function each column is (when there are few enough to list).
    """
    marks = "  ".join(f"{_paint(MARKS[k], k, color)} {m}" for k, m in _MEANINGS.items())
    text = f"\n{marks}  (no marks: invalid)\n"
    order = ", ".join(one_line(f, 40) for f in functions)
    if functions and len(order) <= 300:
        text += f"one mark per function: {order}\n"
    return text


def _score(sub: SubmissionResult) -> str:
    """``65/100``, ``65.33/100``: two decimals at most, as in the summary under the table."""
    return f"{fmt_num(round(sub.score, 2))}/{fmt_num(round(sub.max_score, 2))}"


def terminal_row(
    sub: SubmissionResult,
    functions: Sequence[str],
    *,
    id_width: int,
    score_width: int,
    color: bool,
) -> str:
    """One line of :func:`terminal_table`, for callers that print rows as they arrive.

    Args:
        sub: one submission's results.
        functions: the graded functions, one mark each, in this order.
        id_width: the id column's width (ids are cut at 40 characters).
        score_width: the score column's width.
        color: add ANSI colours.

    Returns:
        The line, ending in a newline.
    """
    sub_id = one_line(sub.id, 40)
    if sub.status == "graded":
        marks = "".join(
            _paint(MARKS[kind], kind, color) for kind in (_mark_kind(sub, f) for f in functions)
        )
        status = "graded"
    else:
        marks = " " * len(functions)
        status = "invalid: " + one_line(sub.error or "no reason recorded", 80)
    painted_score = _paint(_score(sub).rjust(score_width), _score_kind(sub), color)
    status = _paint(status, "invalid", color) if sub.status != "graded" else status
    return f"{sub_id:<{id_width}}  {painted_score}  {marks}  {status}".rstrip() + "\n"
