"""The CSV gradebook: one row per submission, one column per graded function, and its file."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.reports._common import fmt_num, function_score, printable
from grader.results import GradingRun, SubmissionResult

__all__ = ["gradebook_csv", "gradebook_header", "gradebook_row"]

# A cell starting with one of these is run as a formula by spreadsheet programs (some skip
# leading spaces first, and some read the full-width forms too); ids and error texts come
# (indirectly) from students, so such cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _text_cell(value: str) -> str:
    """A student-derived cell: no control or bidi characters, never read as a formula."""
    value = printable(value)
    return "'" + value if value.lstrip(" ").startswith(_FORMULA_START) else value


def gradebook_header(functions: Sequence[str]) -> list[str]:
    """The gradebook's column names (see :func:`gradebook_csv`).

    Raises:
        ValueError: if a function name collides with a fixed column or repeats.
    """
    header = ["id", "status", "score", "max_score", *functions, "error", "path"]
    if len(set(header)) != len(header):
        raise ValueError(f"gradebook columns must be unique, got {header!r}")
    return header


def gradebook_row(sub: SubmissionResult, functions: Sequence[str]) -> list[str]:
    """One submission's gradebook cells, in the order of :func:`gradebook_header`."""
    graded = sub.status == "graded"
    per_function = [fmt_num(function_score(sub, f)[0]) if graded else "" for f in functions]
    return [
        _text_cell(sub.id),
        sub.status,
        fmt_num(sub.score),
        fmt_num(sub.max_score),
        *per_function,
        _text_cell(sub.error or ""),
        _text_cell(sub.path),
    ]


def gradebook_csv(run: GradingRun, functions: Sequence[str]) -> str:
    """Render a run as a CSV gradebook.

    Columns: ``id``, ``status``, ``score``, ``max_score``, one column per name in
    ``functions`` (the sum of that function's test scores; empty for invalid submissions),
    then ``error`` and ``path`` (the file graded: it tells apart the several notebooks of one
    student, ``alice`` and ``alice-2``). Rows follow the order of ``run.submissions``.

    Args:
        run: the results of one grading run.
        functions: the graded functions, in the column order wanted.

    Returns:
        The CSV text (RFC 4180: quoted where needed, ``\\r\\n`` row ends).

    Raises:
        ValueError: if a function name collides with a fixed column or repeats.
    """
    header = gradebook_header(functions)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for sub in run.submissions:
        writer.writerow(gradebook_row(sub, functions))
    return buffer.getvalue()
