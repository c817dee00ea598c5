"""A student's submissions to an assignment and the one that counts, as a viewer may see them.

Which submission counts is decided on the scores the viewer can read. For an instructor that
is the course's rule on the whole result (the same as the results document's ``counts``). For
a student whose hidden checks are still withheld, "best" is judged on the visible checks and
marked ``provisional``: judging it on the whole score would tell the student which of their
submissions does better on the hidden checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from grader.server.course import Course, CourseAssignment
from grader.server.documents import assignment_info, viewed_result
from grader.server.models import User
from grader.server.records import Record, records
from grader.server.submit import deadline_for
from grader.server.visibility import hidden_shown

__all__ = ["assignment_summaries", "history", "iso"]


def iso(moment: dt.datetime | None) -> str | None:
    """A stored time (UTC without a zone) as ISO 8601 with a ``Z``; None stays None."""
    return None if moment is None else moment.isoformat() + "Z"


def _counting(
    found: Sequence[Record], views: Mapping[int, dict[str, Any]], counts: str
) -> int | None:
    """The id of the submission that counts among those with a result, or None."""
    best: tuple[float, int] | None = None
    for record in found:
        view = views.get(record.submission.id)
        if view is None:
            continue
        score = float(view.get("score", 0.0)) if counts == "best" else 0.0
        key = (score, record.submission.id)  # the latest wins a tie
        if best is None or key >= best:
            best = key
    return None if best is None else best[1]


def _item(record: Record, view: dict[str, Any] | None, counts: bool) -> dict[str, Any]:
    submission = record.submission
    return {
        "id": submission.id,
        "filename": submission.filename,
        "submitted_at": iso(submission.submitted_at),
        "late_days": submission.late_days,
        "status": record.status,
        "regrading": record.result is not None and record.pending is not None,
        "score": None if view is None else view.get("score"),
        "max_score": None if view is None else view.get("max_score"),
        "error": None if view is None else view.get("error"),
        "hidden": None if view is None else view.get("hidden"),
        "counts": counts,
    }


def history(
    db: Session, entry: CourseAssignment, owner: User, viewer: User, now: dt.datetime
) -> dict[str, Any]:
    """``owner``'s submissions to ``entry``, oldest first, as ``viewer`` may see them.

    Returns ``{"assignment", "student", "deadline", "provisional", "submissions": [...]}``;
    each submission has its status, score, ``max_score`` and ``counts``.
    """
    found = records(db, assignment_id=entry.id, user_id=owner.id)
    deadline = deadline_for(db, owner, entry)
    views: dict[int, dict[str, Any]] = {}
    for record in found:
        document = record.document()
        if document is not None:
            views[record.submission.id] = viewed_result(document, entry, viewer, deadline, now)
    counting = _counting(found, views, entry.rules.counts)
    provisional = (
        viewer.role != "instructor"
        and entry.rules.counts == "best"
        and not hidden_shown(entry.rules, deadline, now)
    )
    return {
        "assignment": entry.id,
        "student": owner.id,
        "deadline": iso(deadline),
        "provisional": provisional,
        "submissions": [
            _item(r, views.get(r.submission.id), r.submission.id == counting) for r in found
        ],
    }


def _summary(db: Session, entry: CourseAssignment, user: User, now: dt.datetime) -> dict[str, Any]:
    rules = entry.rules
    mine = history(db, entry, user, user, now)
    items: list[dict[str, Any]] = mine["submissions"]
    counting = next((i for i in items if i["counts"]), None)
    deadline = deadline_for(db, user, entry)
    course_deadline = (
        None
        if entry.deadline is None
        else entry.deadline.astimezone(dt.timezone.utc).replace(tzinfo=None)
    )
    used = len(items)
    passed = deadline is not None and now > deadline
    full = bool(rules.max_submissions) and used >= rules.max_submissions
    return {
        "id": entry.id,
        "title": assignment_info(entry)["title"],
        "deadline": iso(deadline),
        "course_deadline": iso(course_deadline),
        "extended": deadline != course_deadline,
        "late": rules.late,
        "penalty_per_day": rules.penalty_per_day,
        "counts": rules.counts,
        "hidden": rules.hidden,
        "cooldown_s": rules.cooldown_s,
        "submissions": {"used": used, "max": rules.max_submissions or None},
        "open": not full and not (passed and rules.late == "refuse"),
        "counting": None
        if counting is None
        else {
            "id": counting["id"],
            "status": counting["status"],
            "score": counting["score"],
            "max_score": counting["max_score"],
            "provisional": mine["provisional"],
        },
        "latest": None if not items else {"id": items[-1]["id"], "status": items[-1]["status"]},
    }


def assignment_summaries(
    db: Session, course: Course, user: User, now: dt.datetime
) -> list[dict[str, Any]]:
    """Every assignment of the course with ``user``'s own deadline, limits and standing."""
    return [_summary(db, entry, user, now) for entry in course.assignments.values()]
