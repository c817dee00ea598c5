"""Accepting an upload: the course's rules, then bytes, row and job committed together.

:func:`accept` either commits the submission (its bytes content-addressed, its row and its
grading job, in one transaction, before the caller answers) or raises :class:`Refused` with a
status code and a message for the student, having stored nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from grader import InvalidSubmission
from grader.notebook import reads_submission
from grader.server.course import Course, CourseAssignment
from grader.server.models import Blob, Extension, Submission, User, utcnow
from grader.server.queue import enqueue

__all__ = ["MAX_UPLOAD_BYTES", "Refused", "accept", "deadline_for", "safe_filename"]

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_SUFFIXES = (".ipynb", ".py")


class Refused(Exception):
    """An upload the course's rules refuse; nothing was stored."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after  # seconds, for a Retry-After header


@dataclass(frozen=True)
class Accepted:
    """What the uploader is told: the submission's id and whether it came late."""

    id: int
    late_days: int


def safe_filename(name: str) -> str:
    """The file's base name, printable and at most 255 characters (it is shown, never opened)."""
    base = os.path.basename(name.replace("\\", "/")) or "submission"
    cleaned = "".join(ch if ch.isprintable() else "_" for ch in base)
    return cleaned[-255:]


def deadline_for(session: Session, user: User, assignment: CourseAssignment) -> dt.datetime | None:
    """The user's deadline (an extension wins over the course's), UTC without a zone."""
    extension = session.get(Extension, (user.id, assignment.id))
    if extension is not None:
        return extension.deadline
    if assignment.deadline is None:
        return None
    return assignment.deadline.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _check_rules(
    session: Session, user: User, assignment: CourseAssignment, now: dt.datetime
) -> int:
    rules = assignment.rules
    late_days = 0
    deadline = deadline_for(session, user, assignment)
    if deadline is not None and now > deadline:
        if rules.late == "refuse":
            raise Refused(403, f"the deadline for {assignment.id} has passed ({deadline} UTC)")
        late_days = max(1, math.ceil((now - deadline).total_seconds() / 86400))
    mine = (Submission.user_id == user.id, Submission.assignment_id == assignment.id)
    count, last = session.execute(
        select(func.count(Submission.id), func.max(Submission.submitted_at)).where(*mine)
    ).one()
    if rules.max_submissions and count >= rules.max_submissions:
        raise Refused(
            429, f"you have used all {rules.max_submissions} submissions for {assignment.id}"
        )
    if rules.cooldown_s and last is not None:
        wait = rules.cooldown_s - (now - last).total_seconds()
        if wait > 0:
            seconds = math.ceil(wait)
            raise Refused(429, f"please wait {seconds} s before submitting again", seconds)
    return late_days


def _store_blob(session: Session, sha256: str, data: bytes) -> None:
    """Insert the bytes unless a blob with that hash exists, also when two uploads of the same
    file race (a plain check-then-insert fails one of them on PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    make_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        make_insert(Blob)
        .values(sha256=sha256, size=len(data), data=data)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def accept(
    session: Session,
    course: Course,
    user: User,
    assignment_id: str,
    filename: str,
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> Accepted:
    """Check and commit one upload with its grading job. Raises :class:`Refused`.

    ``max_bytes`` is the server's upload cap (its settings may lower or raise the default).
    """
    assignment = course.assignment(assignment_id)
    if assignment is None:
        raise Refused(404, f"no assignment {assignment_id!r} in this course")
    name = safe_filename(filename)
    if not name.lower().endswith(_SUFFIXES):
        raise Refused(415, f"'{name}' is not a notebook: upload a .ipynb file (or a .py script)")
    if len(data) > max_bytes:
        raise Refused(413, f"the file is larger than the upload limit of {max_bytes} bytes")
    try:
        reads_submission(data, name, max_bytes=max_bytes)
    except InvalidSubmission as exc:
        raise Refused(422, f"'{name}' cannot be graded: {exc}") from None
    # Two uploads of one student at once must not both pass the limits: on PostgreSQL the
    # user's row is locked until commit (SQLite's BEGIN IMMEDIATE has one writer already).
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    now = utcnow()
    late_days = _check_rules(session, user, assignment, now)
    sha256 = hashlib.sha256(data).hexdigest()
    _store_blob(session, sha256, data)
    submission = Submission(
        user_id=user.id,
        assignment_id=assignment.id,
        filename=name,
        sha256=sha256,
        size=len(data),
        submitted_at=now,
        late_days=late_days,
    )
    session.add(submission)
    session.flush()
    enqueue(session, submission.id)
    session.commit()
    return Accepted(id=submission.id, late_days=late_days)
