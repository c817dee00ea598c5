"""Reading submissions back: their status, their latest result, which one counts.

A submission's status is that of its newest result (``graded`` or ``invalid``) once it has
one, even while a regrade is queued (the earlier result stands until the new one is written);
before that, ``grading`` while a worker holds its job and ``queued`` otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.server.course import Rules
from grader.server.models import Job, Result, Submission
from grader.server.visibility import with_penalty

__all__ = ["Record", "counting_ids", "records", "status_of"]


@dataclass(frozen=True)
class Record:
    """One submission with its newest result (None before the first) and its queue state."""

    submission: Submission
    result: Result | None
    pending: str | None  # "queued" | "grading" | None when no job is waiting

    @property
    def status(self) -> str:
        """queued | grading | graded | invalid (see the module's doc)."""
        return status_of(self.result, self.pending)

    def document(self) -> dict[str, Any] | None:
        """The stored result entry (every check), or None."""
        return None if self.result is None else dict(json.loads(self.result.document))


def status_of(result: Result | None, pending: str | None) -> str:
    """The API's status for a submission."""
    if result is not None:
        return result.status
    return pending or "queued"


def records(
    session: Session,
    *,
    assignment_id: str | None = None,
    user_id: str | None = None,
    submission_id: int | None = None,
) -> list[Record]:
    """Submissions (filtered), oldest first, each with its newest result and queue state."""
    query = select(Submission).order_by(Submission.id)
    if assignment_id is not None:
        query = query.where(Submission.assignment_id == assignment_id)
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    if submission_id is not None:
        query = query.where(Submission.id == submission_id)
    submissions = list(session.scalars(query))
    ids = [s.id for s in submissions]
    if not ids:
        return []
    newest = (
        select(func.max(Result.id))
        .where(Result.submission_id.in_(ids))
        .group_by(Result.submission_id)
    )
    rows = session.scalars(select(Result).where(Result.id.in_(newest)))
    results = {r.submission_id: r for r in rows}
    pending: dict[int, str] = {}
    for sid, status in session.execute(
        select(Job.submission_id, Job.status).where(
            Job.submission_id.in_(ids), Job.status != "done"
        )
    ):
        if pending.get(sid) != "grading":
            pending[sid] = status
    return [Record(s, results.get(s.id), pending.get(s.id)) for s in submissions]


def counting_ids(found: Sequence[Record], rules: Rules) -> set[int]:
    """The submission that counts for each student: the last graded, or the best (latest wins
    a tie), scored after any late penalty. Submissions without a result never count."""
    best: dict[str, tuple[float, int]] = {}
    for record in found:
        document = record.document()
        if document is None:
            continue
        score = float(with_penalty(document, rules)["score"]) if rules.counts == "best" else 0.0
        key = (score, record.submission.id)
        user = record.submission.user_id
        if user not in best or key >= best[user]:
            best[user] = key
    return {sid for _, sid in best.values()}
