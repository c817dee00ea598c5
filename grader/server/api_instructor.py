"""The instructors' API: grades out, regrades, the roster, sign-in links and extensions.

- ``GET /api/assignments/{id}/gradebook.csv``: ``grader grade``'s CSV over the submissions
  that count
- ``POST /api/assignments/{id}/regrade`` -> 202 ``{"id", ...}``; ``GET /api/regrades/{id}``
- ``POST /api/roster``: a CSV (multipart ``file``, or a ``text/csv`` body) of id, name, email
- ``POST /api/users/{id}/signin-link`` -> ``{"path": "/signin/TOKEN", ...}``
- ``PUT`` / ``DELETE /api/assignments/{id}/extensions/{student}`` (``{"deadline": ISO}``)
- ``GET /api/students``: the roster with each student's submission counts

Every endpoint answers 403 to a student. A state-changing request from a browser session
needs its CSRF token (the ``X-CSRF-Token`` header, or the form's field for uploads).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from grader.server.accounts import find_user, import_roster, new_signin_link
from grader.server.api import assignment_or_404, check_csrf, path_id, read_upload, require
from grader.server.api_student import attachment
from grader.server.app import context
from grader.server.documents import gradebook_text
from grader.server.extensions import clear_extension, set_extension
from grader.server.history import iso
from grader.server.models import Submission, User
from grader.server.regrade import RegradeProgress, progress, start_regrade
from grader.server.submit import deadline_for

__all__ = ["SIGNIN_LINK_HOURS", "routes"]

SIGNIN_LINK_HOURS = 72.0


def gradebook(request: Request) -> Response:
    """The assignment's gradebook CSV (the submission that counts for each student)."""
    ctx = context(request)
    require(request, "instructor")
    entry = assignment_or_404(request)
    with ctx.sessions() as db:
        text = gradebook_text(db, entry)
    headers = {"Content-Disposition": attachment(f"{entry.id}-gradebook.csv")}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def _progress_body(found: RegradeProgress) -> dict[str, Any]:
    return {
        "id": found.id,
        "assignment": found.assignment_id,
        "done": found.done,
        "total": found.total,
        "finished": found.finished,
    }


def regrade(request: Request) -> Response:
    """Queue a regrade of every submission of the assignment (earlier results kept)."""
    ctx = context(request)
    identity = require(request, "instructor")
    check_csrf(request, identity)
    entry = assignment_or_404(request)
    with ctx.sessions() as db:
        started = start_regrade(db, entry.id, db.merge(identity.user))
    location = {"Location": f"/api/regrades/{started.id}"}
    return JSONResponse(_progress_body(started), status_code=202, headers=location)


def regrade_progress(request: Request) -> Response:
    """How far a regrade is."""
    ctx = context(request)
    require(request, "instructor")
    wanted = path_id(request, "regrade_id", "regrade")
    with ctx.sessions() as db:
        found = progress(db, wanted)
    if found is None:
        raise HTTPException(404, "no such regrade")
    return JSONResponse(_progress_body(found))


async def _roster_text(request: Request) -> str:
    identity = await run_in_threadpool(require, request, "instructor")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        _, data = await read_upload(request, identity)
    elif kind in ("text/csv", "text/plain"):
        check_csrf(request, identity)
        data = await request.body()
    else:
        raise HTTPException(
            415, "send the roster as multipart/form-data in the field 'file', or as text/csv"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "the roster is not UTF-8 text") from None


async def roster(request: Request) -> Response:
    """Add or update students from a CSV roster (id, name, email)."""
    ctx = context(request)
    text = await _roster_text(request)

    def store() -> dict[str, list[str]]:
        with ctx.sessions() as db:
            try:
                report = import_roster(db, text)
            except csv.Error as exc:
                raise HTTPException(422, f"the roster is not readable CSV: {exc}") from None
            db.commit()
        return {
            "added": list(report.added),
            "updated": list(report.updated),
            "refused": list(report.refused),
        }

    return JSONResponse(await run_in_threadpool(store))


def signin_link(request: Request) -> Response:
    """A one-time sign-in link for a user, to send them (shown once)."""
    ctx = context(request)
    identity = require(request, "instructor")
    check_csrf(request, identity)
    user_id = str(request.path_params["user_id"])[:80]
    with ctx.sessions() as db:
        user = find_user(db, user_id)
        if user is None:
            raise HTTPException(404, f"no user {user_id!r}")
        token = new_signin_link(db, user, hours=SIGNIN_LINK_HOURS)
        db.commit()
    return JSONResponse(
        {"user": user_id, "path": f"/signin/{token}", "valid_hours": SIGNIN_LINK_HOURS}
    )


def _student_id(request: Request) -> str:
    return str(request.path_params["student"])[:80]


def _parse_deadline(body: bytes) -> dt.datetime:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, 'send JSON: {"deadline": "2026-12-08T23:59:00Z"}') from None
    if not isinstance(data, dict) or not isinstance(data.get("deadline"), str):
        raise HTTPException(400, 'the JSON needs "deadline", an ISO 8601 date and time')
    try:
        deadline = dt.datetime.fromisoformat(data["deadline"])
    except ValueError:
        shown = data["deadline"][:60]
        raise HTTPException(422, f"not an ISO 8601 date and time: {shown!r}") from None
    if deadline.tzinfo is None:
        # course.toml reads such a time in the course's zone, a script may mean UTC: ask
        raise HTTPException(
            422, "give the deadline's offset, e.g. 2026-12-08T23:59:00+01:00 or ...T22:59:00Z"
        )
    return deadline.astimezone(dt.timezone.utc).replace(tzinfo=None)


async def extension(request: Request) -> Response:
    """PUT: give a student their own deadline. DELETE: the course's applies again."""
    ctx = context(request)
    identity = await run_in_threadpool(require, request, "instructor")
    check_csrf(request, identity)
    entry = assignment_or_404(request)
    student_id = _student_id(request)
    deadline = _parse_deadline(await request.body()) if request.method == "PUT" else None

    def store() -> dict[str, Any]:
        with ctx.sessions() as db:
            student = find_user(db, student_id)
            if student is None or student.role != "student":
                raise HTTPException(404, f"no student {student_id!r}")
            if deadline is None:
                clear_extension(db, student_id, entry.id)
            else:
                set_extension(db, student_id, entry.id, deadline)
            now = deadline_for(db, student, entry)
        return {"student": student_id, "assignment": entry.id, "deadline": iso(now)}

    return JSONResponse(await run_in_threadpool(store))


def students(request: Request) -> Response:
    """The roster: every student with their submission count per assignment."""
    ctx = context(request)
    require(request, "instructor")
    with ctx.sessions() as db:
        people = list(db.scalars(select(User).where(User.role == "student").order_by(User.id)))
        counted = db.execute(
            select(
                Submission.user_id, Submission.assignment_id, func.count(Submission.id)
            ).group_by(Submission.user_id, Submission.assignment_id)
        ).all()
    per_user: dict[str, dict[str, int]] = {}
    for user_id, assignment_id, count in counted:
        per_user.setdefault(user_id, {})[assignment_id] = int(count)
    body = [
        {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "submissions": per_user.get(person.id, {}),
            "total": sum(per_user.get(person.id, {}).values()),
        }
        for person in people
    ]
    return JSONResponse({"students": body})


def routes() -> list[Route]:
    """The instructors' API routes."""
    extensions = "/api/assignments/{assignment_id}/extensions/{student}"
    return [
        Route("/api/assignments/{assignment_id}/gradebook.csv", gradebook, methods=["GET"]),
        Route("/api/assignments/{assignment_id}/regrade", regrade, methods=["POST"]),
        Route("/api/regrades/{regrade_id}", regrade_progress, methods=["GET"]),
        Route("/api/roster", roster, methods=["POST"]),
        Route("/api/users/{user_id}/signin-link", signin_link, methods=["POST"]),
        Route(extensions, extension, methods=["PUT", "DELETE"]),
        Route("/api/students", students, methods=["GET"]),
    ]
