"""Small helpers shared by the report renderers: number formatting, text cleaning, grouping.

Everything here is pure; none of it knows about any one output format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from grader.results import CheckResult, GradingRun, SubmissionResult

# Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters a terminal, a spreadsheet or a Markdown viewer could act on: C0 and C1 controls
# (ESC sequences, BEL, ...; tab and newline stay), lone surrogates, the line and paragraph
# separators, and the bidirectional marks, embeddings, overrides and isolates that can make
# text display in an order other than the one it has ("Trojan Source").
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def fmt_num(value: float) -> str:
    """Format a score compactly: ``5.0`` -> ``"5"``, ``2.5`` -> ``"2.5"``, at most 4 decimals."""
    if not math.isfinite(value):  # results refuse them, but a renderer must not raise
        return str(value)
    rounded = round(value, 4)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.4f}".rstrip("0").rstrip(".")


def xml_safe(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry, even escaped."""
    return _XML_ILLEGAL.sub("", text)


def printable(text: str) -> str:
    """Remove control and bidi-override characters (keeping tab and newline).

    Text cleaned this way cannot drive a terminal nor show in an order it does not have.
    """
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str, limit: int = 120) -> str:
    """Collapse whitespace and control characters into one line of at most ``limit`` chars."""
    flat = " ".join(printable(text).split())
    return truncate(flat, limit)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def ordered_functions(tests: Iterable[CheckResult]) -> list[str]:
    """The graded functions in order of first appearance."""
    return list(dict.fromkeys(t.function for t in tests))


def run_functions(run: GradingRun) -> list[str]:
    """Every function any submission of ``run`` was tested on, in order of first appearance."""
    return ordered_functions(t for s in run.submissions for t in s.tests)


def tests_of(sub: SubmissionResult, function: str) -> list[CheckResult]:
    """The tests of one function, in the order the runner reported them."""
    return [t for t in sub.tests if t.function == function]


def function_score(sub: SubmissionResult, function: str) -> tuple[float, float]:
    """``(score, max_score)`` summed over the tests of one function."""
    tests = tests_of(sub, function)
    return sum(t.score for t in tests), sum(t.max_score for t in tests)


def failure_label(test: CheckResult) -> str:
    """A short description of why a test did not pass (its message, else its outcome)."""
    return one_line(test.message, 200) if test.message.strip() else test.outcome
