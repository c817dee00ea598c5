"""The student's pages: the course's assignments, an assignment's upload and history, a result.

Everything works as plain forms and links; ``static/upload.js`` adds drag and drop with a
progress bar, ``static/live.js`` reloads a result page when its status changes (a
``<noscript>`` refresh does it without script). A student only ever reaches their own
submissions: another's gives the same 404 as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.server.api import client_address, limit, read_upload
from grader.server.app import context
from grader.server.auth import Identity
from grader.server.course import Course, CourseAssignment
from grader.server.documents import assignment_info, submission_view
from grader.server.feedback_view import CACHE
from grader.server.models import Blob, User, utcnow
from grader.server.pages import page, signed_in
from grader.server.records import Record, counting_ids, records
from grader.server.submit import Refused, accept, deadline_for

__all__ = ["function_marks", "routes"]

MARKS = {"full": "✓", "partial": "~", "none": "✗"}


@dataclass(frozen=True)
class Row:
    """One submission in a history: its record, what the viewer sees of it, whether it counts."""

    record: Record
    view: dict[str, Any]
    counts: bool


def _assignment(course: Course, assignment_id: str) -> CourseAssignment:
    entry = course.assignment(assignment_id)
    if entry is None:
        raise HTTPException(404, f"no assignment {assignment_id!r} in this course")
    return entry


def history(
    db: Session, course: Course, entry: CourseAssignment, owner: User, viewer: User
) -> list[Row]:
    """``owner``'s submissions to ``entry``, newest first, as ``viewer`` may see them."""
    found = records(db, assignment_id=entry.id, user_id=owner.id)
    counts = counting_ids(found, entry.rules)
    now = utcnow()
    rows = [
        Row(r, submission_view(db, course, r, viewer, now), r.submission.id in counts)
        for r in found
    ]
    return rows[::-1]


def _overview(db: Session, course: Course, user: User) -> list[dict[str, Any]]:
    out = []
    for entry in course.assignments.values():
        rows = history(db, course, entry, user, user)
        counting = next((r for r in rows if r.counts), None)
        out.append(
            {
                "entry": entry,
                "info": assignment_info(entry),
                "deadline": deadline_for(db, user, entry),
                "latest": rows[0] if rows else None,
                "counting": counting,
                "used": len(rows),
            }
        )
    return out


def student_home(request: Request, identity: Identity) -> Response:
    """The course's assignments with deadlines, status and the score that counts."""
    ctx = context(request)
    with ctx.sessions() as db:
        overview = _overview(db, ctx.course, identity.user)
    return page(
        request,
        "student_home.html",
        {"user": identity.user, "csrf": identity.csrf, "overview": overview, "now": utcnow()},
    )


def assignment_page(request: Request) -> Response:
    """Upload form and the student's history for one assignment."""
    ctx = context(request)
    identity = signed_in(request)
    if identity.user.role == "instructor":
        target = f"/instructor/assignments/{request.path_params['assignment_id']}"
        return RedirectResponse(target, status_code=303)
    entry = _assignment(ctx.course, request.path_params["assignment_id"])
    with ctx.sessions() as db:
        rows = history(db, ctx.course, entry, identity.user, identity.user)
        deadline = deadline_for(db, identity.user, entry)
    return page(
        request,
        "assignment.html",
        {
            "user": identity.user,
            "csrf": identity.csrf,
            "entry": entry,
            "info": assignment_info(entry),
            "deadline": deadline,
            "rows": rows,
            "now": utcnow(),
            "max_upload_mb": ctx.settings.max_upload_bytes // (1024 * 1024),
        },
    )


async def upload(request: Request) -> Response:
    """The upload form's POST: the same checks as the API, then the result page."""
    ctx = context(request)
    identity = await run_in_threadpool(signed_in, request)
    limit(request, "upload", identity.user.id, ctx.settings.upload_limit)
    limit(request, "upload-address", client_address(request), ctx.settings.address_upload_limit)
    assignment_id = request.path_params["assignment_id"]
    _assignment(ctx.course, assignment_id)
    filename, data = await read_upload(request, identity)

    def store() -> int:
        with ctx.sessions() as db:
            user = db.merge(identity.user)
            return accept(db, ctx.course, user, assignment_id, filename, data).id

    try:
        submission_id = await run_in_threadpool(store)
    except Refused as refused:
        raise HTTPException(refused.status, refused.message) from None
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


def function_marks(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per graded function: its points and a text mark (✓ all, ~ some, ✗ none)."""
    functions: dict[str, dict[str, Any]] = {}
    for test in tests:
        one = functions.setdefault(
            str(test.get("function", "")), {"score": 0.0, "max_score": 0.0, "tests": []}
        )
        one["score"] += float(test.get("score", 0.0))
        one["max_score"] += float(test.get("max_score", 0.0))
        one["tests"].append(test)
    out = []
    for name, one in functions.items():
        passed = all(t.get("outcome") == "passed" for t in one["tests"])
        if passed:
            kind = "full"
        elif one["score"] > 0 or any(t.get("outcome") == "passed" for t in one["tests"]):
            kind = "partial"
        else:
            kind = "none"
        out.append({"name": name, "mark": MARKS[kind], "kind": kind, **one})
    return out


def _submission_id(request: Request) -> int:
    raw = request.path_params["submission_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(404, "no such submission")
    return int(raw)


def _result_values(request: Request, identity: Identity) -> dict[str, Any]:
    ctx = context(request)
    wanted = _submission_id(request)
    with ctx.sessions() as db:
        found = records(db, submission_id=wanted)
        viewer = identity.user
        if not found or (viewer.role != "instructor" and found[0].submission.user_id != viewer.id):
            raise HTTPException(404, "no such submission")
        record = found[0]
        view = submission_view(db, ctx.course, record, viewer, utcnow())
        entry = ctx.course.assignment(record.submission.assignment_id)
        owner = db.get(User, record.submission.user_id)
        rows = (
            history(db, ctx.course, entry, owner, viewer)
            if entry is not None and owner is not None
            else []
        )
    result = view["result"]
    notebook = None
    if result is not None:
        submission = record.submission

        def load() -> bytes:
            with ctx.sessions() as db:
                blob = db.get(Blob, submission.sha256)
                return b"" if blob is None else bytes(blob.data)

        notebook = CACHE.body(submission.sha256, submission.filename, result, load)
    return {
        "view": view,
        "result": result,
        "functions": function_marks(list(result.get("tests", ()))) if result else [],
        "notebook": notebook,
        "rows": rows,
        "counts": any(r.counts and r.record.submission.id == wanted for r in rows),
        "live": view["status"] in ("queued", "grading"),
    }


def result_page(request: Request) -> Response:
    """One submission: status (live until graded), marks, messages, the annotated notebook."""
    identity = signed_in(request)
    values = _result_values(request, identity)
    return page(request, "result.html", {"user": identity.user, "csrf": identity.csrf, **values})


def format_deadline(value: dt.datetime | None) -> str:
    """A stored (naive UTC) deadline as text."""
    return "no deadline" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def routes() -> list[Route]:
    """The student's routes."""
    return [
        Route("/assignments/{assignment_id}", assignment_page, methods=["GET"]),
        Route("/assignments/{assignment_id}/submit", upload, methods=["POST"]),
        Route("/submissions/{submission_id}", result_page, methods=["GET"]),
    ]
