"""Results for submissions that could not be graded: invalid files and the grader's own bugs.

A bug met while grading one submission becomes that submission's *invalid* result, so one
submission never stops a batch; errors that no result can stand for (a broken sandbox or
assignment) still stop it.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from grader.errors import GraderError, InvalidSubmission, bounded_message
from grader.results import SubmissionResult

__all__ = [
    "INTERNAL_ERROR",
    "grader_cannot_go_on",
    "internal_error_result",
    "internal_error_text",
    "invalid_result",
]

_INTERNAL_MESSAGE = 300
INTERNAL_ERROR = "internal error while grading this submission:"


def grader_cannot_go_on(exc: BaseException) -> bool:
    """True for errors that stop grading altogether (the sandbox or the assignment broke),
    which no submission's result can stand for; a bad submission or a bug does not."""
    return isinstance(exc, GraderError) and not isinstance(exc, InvalidSubmission)


def internal_error_result(
    exc: BaseException,
    submission_id: str,
    path: str,
    sha256: str,
    max_score: float,
    start: float,
) -> SubmissionResult:
    """The result of a submission whose grading hit a bug of the grader's own: invalid, 0."""
    return invalid_result(
        submission_id, path, sha256, internal_error_text(exc), max_score, start
    )


def invalid_result(
    submission_id: str,
    path: str | Path,
    sha256: str,
    error: str,
    max_score: float,
    start: float,
) -> SubmissionResult:
    """A submission that could not be graded at all: invalid, 0, with the reason."""
    return SubmissionResult(
        id=submission_id,
        path=str(path),
        sha256=str(sha256),
        status="invalid",
        error=error,
        score=0.0,
        max_score=max_score,
        duration_s=time.perf_counter() - start,
    )


def internal_error_text(exc: BaseException) -> str:
    """What an instructor reads about a grader bug: its type, message and innermost place.

    Only the file name and line of the grader's frame are named, never a path or source.
    """
    message = bounded_message(exc, _INTERNAL_MESSAGE)
    where = ""
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        where = f" (at {Path(frame.f_code.co_filename).name}:{lineno})"
    return (
        f"{INTERNAL_ERROR} {type(exc).__name__}: {message}"
        f"{where}. This is a bug in the grader, not in the submission: please report it "
        "(with the submission) to the course staff; the other submissions are not affected"
    )
