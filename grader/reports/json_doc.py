"""The results contract as a JSON document (DESIGN.md, schema_version 1)."""

from __future__ import annotations

import json

from grader.results import GradingRun

__all__ = ["json_report"]


def json_report(run: GradingRun) -> str:
    """Render a run as the pretty-printed JSON of the results contract.

    Keys keep the order of :meth:`GradingRun.to_dict` (the order DESIGN.md documents), so
    the same run always gives byte-identical text. Non-ASCII characters are written as
    ``\\uXXXX`` escapes, which keeps the file valid UTF-8 even when a student's output held
    unpaired surrogates.

    Args:
        run: the results of one grading run.

    Returns:
        The JSON document, ending in a newline.

    Raises:
        ValueError: if a score or duration is NaN or infinite (JSON cannot carry those).
    """
    return json.dumps(run.to_dict(), indent=2, allow_nan=False) + "\n"
