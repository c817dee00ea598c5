"""The instructor's pages: gradebook, per-assignment dashboard, regrades, students, roster.

Every page needs the instructor role (a student gets 403); every form carries the session's
CSRF token. Sorting and filtering the gradebook are query parameters, so they work without
script and can be bookmarked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.server.accounts import import_roster, new_signin_link
from grader.server.app import context
from grader.server.auth import Identity, csrf_ok
from grader.server.charts import failure_rates_svg, histogram_svg
from grader.server.course import CourseAssignment
from grader.server.dashboard import assignment_stats, gradebook, gradebook_csv_text
from grader.server.documents import assignment_info
from grader.server.extensions import clear_extension, set_extension
from grader.server.models import Extension, Regrade, User
from grader.server.pages import page, signed_in
from grader.server.pages_student import history
from grader.server.regrade import progress, start_regrade

__all__ = ["instructor_home", "routes"]

_ROSTER_BYTES = 1024 * 1024


def instructor(request: Request) -> Identity:
    """The signed-in instructor (403 for a student)."""
    identity = signed_in(request)
    if identity.user.role != "instructor":
        raise HTTPException(403, "only instructors may open this page")
    return identity


async def _form(request: Request, identity: Identity, max_files: int = 0) -> Any:
    try:
        form = await request.form(max_files=max_files, max_fields=16, max_part_size=_ROSTER_BYTES)
    except HTTPException:
        raise
    except Exception as exc:  # python-multipart's parse errors: a malformed request
        raise HTTPException(400, f"malformed form: {type(exc).__name__}") from None
    token = form.get("csrf_token")
    if not csrf_ok(identity, token if isinstance(token, str) else None):
        await form.close()
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and retry")
    return form


def _entry(request: Request) -> CourseAssignment:
    assignment_id = request.path_params["assignment_id"]
    entry = context(request).course.assignment(assignment_id)
    if entry is None:
        raise HTTPException(404, f"no assignment {assignment_id!r} in this course")
    return entry


def _student(db: Any, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None or user.role != "student":
        raise HTTPException(404, f"no student {user_id!r}")
    return user  # type: ignore[no-any-return]


def instructor_home(request: Request, identity: Identity) -> Response:
    """The course's assignments with links to their dashboards, and the tools."""
    ctx = context(request)
    with ctx.sessions() as db:
        students = len(db.scalars(select(User.id).where(User.role == "student")).all())
    infos = [(e, assignment_info(e)) for e in ctx.course.assignments.values()]
    return page(
        request,
        "instructor_home.html",
        {"user": identity.user, "csrf": identity.csrf, "assignments": infos, "students": students},
    )


def _book(request: Request) -> Any:
    ctx = context(request)
    params = request.query_params
    with ctx.sessions() as db:
        return gradebook(
            db,
            ctx.course,
            sort=params.get("sort", "id")[:100],
            descending=params.get("order") == "desc",
            query=params.get("q", "")[:100],
        )


def gradebook_page(request: Request) -> Response:
    """Students x assignments, sortable and filterable by query parameters."""
    identity = instructor(request)
    book = _book(request)
    return page(
        request, "gradebook.html", {"user": identity.user, "csrf": identity.csrf, "book": book}
    )


def gradebook_csv(request: Request) -> Response:
    """The gradebook (as filtered and sorted) as a CSV download."""
    instructor(request)
    text = gradebook_csv_text(_book(request))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="gradebook.csv"'},
    )


def assignment_dashboard(request: Request) -> Response:
    """Histogram, failure rates, common failures, late and missing, the regrade button."""
    ctx = context(request)
    identity = instructor(request)
    entry = _entry(request)
    info = assignment_info(entry)
    with ctx.sessions() as db:
        stats = assignment_stats(db, entry, info["max_score"])
        last = db.scalar(
            select(Regrade.id).where(Regrade.assignment_id == entry.id).order_by(Regrade.id.desc())
        )
        regrade = progress(db, last) if last is not None else None
    return page(
        request,
        "dashboard.html",
        {
            "user": identity.user,
            "csrf": identity.csrf,
            "entry": entry,
            "info": info,
            "stats": stats,
            "regrade": regrade,
            "histogram": histogram_svg(stats.bins, f"Scores of {entry.id}"),
            "rates": failure_rates_svg(stats.rates, f"Failure rate per check of {entry.id}"),
        },
    )


async def regrade(request: Request) -> Response:
    """Start a regrade of the assignment; its progress page follows."""
    ctx = context(request)
    identity = instructor(request)
    entry = _entry(request)
    form = await _form(request, identity)
    await form.close()
    with ctx.sessions() as db:
        started = start_regrade(db, entry.id, db.merge(identity.user))
    return RedirectResponse(f"/instructor/regrades/{started.id}", status_code=303)


def regrade_page(request: Request) -> Response:
    """A regrade's progress (refreshes itself until done)."""
    ctx = context(request)
    identity = instructor(request)
    raw = request.path_params["regrade_id"]
    found = None
    if raw.isdigit() and len(raw) <= 18:
        with ctx.sessions() as db:
            found = progress(db, int(raw))
    if found is None:
        raise HTTPException(404, "no such regrade")
    return page(request, "regrade.html", {"user": identity.user, "regrade": found})


def student_page(request: Request) -> Response:
    """One student's submissions per assignment, their extensions, a sign-in link."""
    ctx = context(request)
    identity = instructor(request)
    with ctx.sessions() as db:
        student = _student(db, request.path_params["user_id"])
        sections = []
        for entry in ctx.course.assignments.values():
            extension = db.get(Extension, (student.id, entry.id))
            sections.append(
                {
                    "entry": entry,
                    "rows": history(db, ctx.course, entry, student, identity.user),
                    "extension": extension.deadline if extension else None,
                }
            )
    return page(
        request,
        "student.html",
        {"user": identity.user, "csrf": identity.csrf, "student": student, "sections": sections},
    )


def _parse_deadline(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(
            400, f"not a date and time: {text[:40]!r} (use e.g. 2026-12-01T23:59)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


async def extension(request: Request) -> Response:
    """Set (or clear, with an empty date) a student's own deadline for one assignment."""
    ctx = context(request)
    identity = instructor(request)
    form = await _form(request, identity)
    assignment_id = str(form.get("assignment") or "")
    deadline = str(form.get("deadline") or "")
    await form.close()
    if ctx.course.assignment(assignment_id) is None:
        raise HTTPException(404, f"no assignment {assignment_id[:80]!r} in this course")
    with ctx.sessions() as db:
        student = _student(db, request.path_params["user_id"])
        if deadline.strip():
            set_extension(db, student.id, assignment_id, _parse_deadline(deadline))
        else:
            clear_extension(db, student.id, assignment_id)
    return RedirectResponse(f"/instructor/students/{student.id}", status_code=303)


async def signin_link(request: Request) -> Response:
    """Make a one-time sign-in link for a student and show it once."""
    ctx = context(request)
    identity = instructor(request)
    form = await _form(request, identity)
    await form.close()
    with ctx.sessions() as db:
        student = _student(db, request.path_params["user_id"])
        token = new_signin_link(db, student)
        db.commit()
    link = str(request.base_url).rstrip("/") + f"/signin/{token}"
    return page(
        request,
        "signin_link_made.html",
        {"user": identity.user, "csrf": identity.csrf, "student": student, "link": link},
    )


async def roster(request: Request) -> Response:
    """GET: the roster upload form and the students. POST: import a roster CSV."""
    ctx = context(request)
    identity = instructor(request)
    report = None
    if request.method == "POST":
        form = await _form(request, identity, max_files=1)
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(400, "choose a roster CSV file (columns id, name, email)")
            data = await upload.read(_ROSTER_BYTES + 1)
        finally:
            await form.close()
        if len(data) > _ROSTER_BYTES:
            raise HTTPException(413, "the roster is larger than 1 MB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise HTTPException(422, "the roster is not UTF-8 text") from None
        with ctx.sessions() as db:
            report = import_roster(db, text)
            db.commit()
    with ctx.sessions() as db:
        students = list(db.scalars(select(User).where(User.role == "student").order_by(User.id)))
    return page(
        request,
        "roster.html",
        {"user": identity.user, "csrf": identity.csrf, "students": students, "report": report},
    )


def routes() -> list[Route]:
    """The instructor's routes."""
    return [
        Route("/instructor/gradebook", gradebook_page, methods=["GET"]),
        Route("/instructor/gradebook.csv", gradebook_csv, methods=["GET"]),
        Route("/instructor/assignments/{assignment_id}", assignment_dashboard, methods=["GET"]),
        Route("/instructor/assignments/{assignment_id}/regrade", regrade, methods=["POST"]),
        Route("/instructor/regrades/{regrade_id}", regrade_page, methods=["GET"]),
        Route("/instructor/students/{user_id}", student_page, methods=["GET"]),
        Route("/instructor/students/{user_id}/extension", extension, methods=["POST"]),
        Route("/instructor/students/{user_id}/signin-link", signin_link, methods=["POST"]),
        Route("/instructor/roster", roster, methods=["GET", "POST"]),
    ]
