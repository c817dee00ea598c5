"""Per-student feedback as Markdown: the total, a table per function, warnings, output.

Hidden tests show their message (messages are written to be safe to show) but never any
test code: the results hold none. By default the output a student's code printed during a
hidden test is left out, since a function that prints its arguments would reveal the hidden
inputs.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from grader.reports._common import (
    fmt_num,
    function_score,
    ordered_functions,
    printable,
    tests_of,
    truncate,
)
from grader.results import CheckResult, SubmissionResult

__all__ = [
    "MARKS",
    "OUTPUT_LIMIT",
    "feedback_markdown",
    "function_feedback",
    "md_escape",
    "score_line",
    "submission_line",
]

OUTPUT_LIMIT = 400  # characters of printed output shown per test

# $ ( ) too: a message must not become a formula on the HTML page ($…$, \\(…\\) are math).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~#!$()])")
# Text marks, not emoji: ✓ (U+2713) and ✗ (U+2717) are ordinary symbols every common text
# font has, and the word after them carries the meaning without any font or colour.
MARKS = {
    "passed": "✓ passed",
    "failed": "✗ failed",
    "error": "✗ error",
    "timeout": "✗ timeout",
    "missing": "✗ missing",
}


def md_escape(text: str) -> str:
    """Escape ``text`` for a Markdown table cell: specials backslashed, newlines as ``<br>``."""
    escaped = _MD_SPECIAL.sub(r"\\\1", printable(text).strip())
    return "<br>".join(escaped.splitlines())


def _fence(text: str) -> str:
    """A fenced code block whose fence is longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def score_line(sub: SubmissionResult) -> str:
    """The one-line total, e.g. ``**Score: 85 / 100**``."""
    if sub.status != "graded":
        return f"**Score: 0 / {fmt_num(sub.max_score)}** (the submission could not be graded)"
    return f"**Score: {fmt_num(sub.score)} / {fmt_num(sub.max_score)}**"


def submission_line(sub: SubmissionResult) -> str:
    """Whose feedback this is and on which file: ``Submission: alice-2 (nb2.ipynb)``.

    Only the file's name is shown, not the folders on the grading machine: it is what tells
    a student's notebooks apart, and the rest of the path is the course's, not theirs.
    """
    name = PurePath(sub.path).name if sub.path else ""
    return f"Submission: {md_escape(sub.id)}" + (f" ({md_escape(name)})" if name else "")


def _row(test: CheckResult) -> str:
    check = test.id.split(".", 1)[-1]
    hidden = " (hidden)" if test.visibility == "hidden" else ""
    points = f"{fmt_num(test.score)} / {fmt_num(test.max_score)}"
    message = md_escape(test.student_message)
    cells = [MARKS[test.outcome], md_escape(check) + hidden, points, message]
    return "| " + " | ".join(cells) + " |"


def _outputs(tests: list[CheckResult], show_hidden_output: bool) -> list[str]:
    blocks = []
    for test in tests:
        if not test.output.strip() or (test.visibility == "hidden" and not show_hidden_output):
            continue
        printed = truncate(printable(test.output), OUTPUT_LIMIT)
        blocks.append(f"Output printed during `{test.id}`:\n\n{_fence(printed)}")
    return blocks


def function_feedback(
    sub: SubmissionResult, function: str, *, heading: str = "###", show_hidden_output: bool = False
) -> str:
    """The feedback section for one function: a heading with its points, then a table.

    Args:
        sub: one submission's results.
        function: the graded function to describe.
        heading: the Markdown heading marker to use.
        show_hidden_output: also show what the code printed during hidden tests.

    Returns:
        Markdown text (no trailing newline).
    """
    tests = tests_of(sub, function)
    score, max_score = function_score(sub, function)
    parts = [
        f"{heading} `{function}`: {fmt_num(score)} / {fmt_num(max_score)}",
        "| Result | Check | Points | Message |\n|---|---|---|---|\n"
        + "\n".join(_row(t) for t in tests),
        *_outputs(tests, show_hidden_output),
    ]
    return "\n\n".join(parts)


def _warnings(sub: SubmissionResult) -> str:
    if not sub.warnings:
        return ""
    items = "\n".join(f"- {md_escape(w)}" for w in sub.warnings)
    return f"**Warnings**\n\n{items}"


def feedback_markdown(
    sub: SubmissionResult, *, title: str, show_hidden_output: bool = False
) -> str:
    """Render one student's feedback as a Markdown document.

    Args:
        sub: one submission's results.
        title: the document's heading (e.g. the assignment title).
        show_hidden_output: also show what the code printed during hidden tests (off by
            default: printing the arguments would reveal hidden inputs).

    Returns:
        Markdown text ending in a newline.
    """
    parts = [f"# {md_escape(title)}", submission_line(sub), score_line(sub)]
    if sub.status != "graded":
        reason = md_escape(sub.error or "no reason was recorded")
        parts.append(f"Your submission could not be graded: {reason}")
    parts.append(_warnings(sub))
    for function in ordered_functions(sub.tests) if sub.status == "graded" else []:
        parts.append(
            function_feedback(sub, function, heading="##", show_hidden_output=show_hidden_output)
        )
    return "\n\n".join(p for p in parts if p) + "\n"
