"""Regrading an assignment after its tests were fixed: new jobs, earlier results kept.

Every submission of the assignment gets a job of the regrade (queued behind first gradings,
so students waiting on feedback go first); each job adds a result, so the earlier ones stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.server.models import Job, Regrade, Submission, User
from grader.server.queue import enqueue

__all__ = ["RegradeProgress", "progress", "start_regrade"]


@dataclass(frozen=True)
class RegradeProgress:
    """How far a regrade is: jobs done out of its jobs."""

    id: int
    assignment_id: str
    done: int
    total: int

    @property
    def finished(self) -> bool:
        """True when every job of the regrade is done."""
        return self.done >= self.total


def start_regrade(db: Session, assignment_id: str, instructor: User) -> RegradeProgress:
    """Queue a regrade of every submission of ``assignment_id`` (committed)."""
    regrade = Regrade(assignment_id=assignment_id, requested_by=instructor.id)
    db.add(regrade)
    db.flush()
    mine = Submission.assignment_id == assignment_id
    ids = db.scalars(select(Submission.id).where(mine).order_by(Submission.id)).all()
    for submission_id in ids:
        enqueue(db, submission_id, regrade_id=regrade.id)
    db.commit()
    return RegradeProgress(regrade.id, assignment_id, 0, len(ids))


def progress(db: Session, regrade_id: int) -> RegradeProgress | None:
    """A regrade's progress, or None when there is no such regrade."""
    regrade = db.get(Regrade, regrade_id)
    if regrade is None:
        return None
    done, total = db.execute(
        select(
            func.count(Job.id).filter(Job.status == "done"),
            func.count(Job.id),
        ).where(Job.regrade_id == regrade_id)
    ).one()
    return RegradeProgress(regrade.id, regrade.assignment_id, int(done), int(total))
