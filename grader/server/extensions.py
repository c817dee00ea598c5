"""Per-student deadline extensions, set by an instructor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from grader.server.models import Extension

__all__ = ["clear_extension", "set_extension"]


def set_extension(db: Session, user_id: str, assignment_id: str, deadline: dt.datetime) -> None:
    """Give ``user_id`` their own deadline (aware, or naive UTC) for an assignment (committed)."""
    if deadline.tzinfo is not None:
        deadline = deadline.astimezone(dt.timezone.utc).replace(tzinfo=None)
    found = db.get(Extension, (user_id, assignment_id))
    if found is None:
        db.add(Extension(user_id=user_id, assignment_id=assignment_id, deadline=deadline))
    else:
        found.deadline = deadline
    db.commit()


def clear_extension(db: Session, user_id: str, assignment_id: str) -> None:
    """Remove a student's own deadline (committed); the course's applies again."""
    found = db.get(Extension, (user_id, assignment_id))
    if found is not None:
        db.delete(found)
        db.commit()
