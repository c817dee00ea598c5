"""The documents the API answers with, built from stored results when they are read.

A student's view passes through :mod:`grader.server.visibility`; an instructor's is the whole
entry, late penalty applied. The assignment's results document has the shape of
``grader grade --json`` (DESIGN.md's results contract) with every graded submission, each
marked ``counts`` (true for the one submission per student that counts).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

import grader
from grader import load_assignment
from grader.reports import gradebook_csv
from grader.results import SCHEMA_VERSION, GradingRun
from grader.server.course import Course, CourseAssignment
from grader.server.models import User
from grader.server.records import Record, counting_ids, records
from grader.server.submit import deadline_for
from grader.server.visibility import student_view, with_penalty

__all__ = [
    "assignment_info",
    "gradebook_text",
    "results_document",
    "submission_view",
    "viewed_result",
]


@functools.lru_cache(maxsize=64)
def _info(
    path: Path, mtime: float
) -> tuple[str, str, float, tuple[str, ...], tuple[str, ...]]:
    loaded = load_assignment(path)
    # the gradebook's columns, as `grader grade` makes them: the functions that have checks
    columns = tuple(dict.fromkeys(c.spec.function for c in loaded.checks))
    return loaded.id, loaded.title, float(loaded.max_score), tuple(loaded.functions), columns


def assignment_info(entry: CourseAssignment) -> dict[str, Any]:
    """``{"id", "title", "max_score", "functions", "columns"}`` of an assignment (cached).

    ``columns`` are the gradebook's per-function columns: the functions that have checks.
    """
    mtime = (entry.path / "assignment.toml").stat().st_mtime
    _, title, max_score, functions, columns = _info(entry.path, mtime)
    return {
        "id": entry.id,
        "title": title,
        "max_score": max_score,
        "functions": functions,
        "columns": columns,
    }


def viewed_result(
    document: dict[str, Any],
    entry: CourseAssignment,
    viewer: User,
    deadline: dt.datetime | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """A stored result as ``viewer`` may read it: whole for instructors, filtered for students.

    ``deadline`` is the submission's owner's (their extension included).
    """
    if viewer.role == "instructor":
        return with_penalty(document, entry.rules)
    return student_view(document, entry.rules, deadline, now)


def submission_view(
    db: Session, course: Course, record: Record, viewer: User, now: dt.datetime
) -> dict[str, Any]:
    """``{"id", "status", "result", ...}`` for ``viewer`` (a student sees their filtered view)."""
    submission = record.submission
    body: dict[str, Any] = {
        "id": submission.id,
        "status": record.status,
        "assignment": submission.assignment_id,
        "student": submission.user_id,
        "filename": submission.filename,
        "submitted_at": submission.submitted_at.isoformat() + "Z",
        "late_days": submission.late_days,
        "regrading": record.result is not None and record.pending is not None,
        "result": None,
    }
    document = record.document()
    entry = course.assignment(submission.assignment_id)
    if document is None or entry is None:
        return body
    owner = db.get(User, submission.user_id)
    deadline = deadline_for(db, owner, entry) if owner is not None else None
    body["result"] = viewed_result(document, entry, viewer, deadline, now)
    return body


def results_document(db: Session, entry: CourseAssignment) -> dict[str, Any]:
    """The assignment's results document (instructors), every graded submission in it."""
    found = [r for r in records(db, assignment_id=entry.id) if r.result is not None]
    counts = counting_ids(found, entry.rules)
    info = assignment_info(entry)
    isolation: dict[str, bool] = {}
    entries = []
    for record in found:
        assert record.result is not None
        document = with_penalty(record.document() or {}, entry.rules)
        document["counts"] = record.submission.id in counts
        entries.append(document)
        isolation = json.loads(record.result.isolation) or isolation
    return {
        "schema_version": SCHEMA_VERSION,
        "grader_version": grader.__version__,
        "assignment": {k: info[k] for k in ("id", "title", "max_score")},
        "isolation": isolation,
        "isolation_warnings": [],
        "environment_warnings": [],
        "submissions": entries,
    }


def gradebook_text(db: Session, entry: CourseAssignment) -> str:
    """The gradebook CSV of ``grader grade`` over the submissions that count, one per student.

    Scores are after any late penalty; rows are sorted by student id.
    """
    document = results_document(db, entry)
    counting = sorted(
        (s for s in document["submissions"] if s.get("counts")), key=lambda s: str(s["id"])
    )
    run = GradingRun.from_dict({**document, "submissions": counting})
    return gradebook_csv(run, assignment_info(entry)["columns"])
