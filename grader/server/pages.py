"""The pages people see: sign-in, sign-out and the course's home, and the helpers the
student's (:mod:`grader.server.pages_student`) and the instructor's
(:mod:`grader.server.pages_instructor`) pages share; :func:`routes` gathers all of them.

Sign-in links are redeemed by a POST from the page the link opens, not by the GET itself, so a
mail scanner that fetches links cannot use up a student's one-time link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.server.accounts import check_password, redeem_signin_link
from grader.server.api import client_address, limit
from grader.server.app import Context, context
from grader.server.auth import (
    Identity,
    anonymous_csrf,
    anonymous_csrf_ok,
    csrf_ok,
    end_session,
    identify,
    set_anonymous_csrf,
    start_session,
)
from grader.server.models import User

__all__ = ["page", "routes", "signed_in"]


def _safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _when(value: object) -> str:
    """A stored time (naive UTC) as text; None is no deadline."""
    if value is None:
        return "no deadline"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _points(value: object) -> str:
    """A score without a useless ``.0``."""
    return f"{float(value):.4g}" if isinstance(value, int | float) else "-"


def page(
    request: Request, name: str, values: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """Render a template with the course's title and the viewer."""
    ctx = context(request)
    filters = ctx.templates.env.filters
    if "when" not in filters:
        filters["when"] = _when
        filters["points"] = _points
    data = {"course_title": ctx.course.title, **(values or {})}
    return ctx.templates.TemplateResponse(request, name, data, status_code=status)


def signed_in(request: Request) -> Identity:
    """The browser's identity, or a redirect to the sign-in page (401 is turned into one)."""
    ctx = context(request)
    with ctx.sessions() as db:
        identity = identify(request, db, ctx.secret)
    if identity is None:
        raise HTTPException(401, "sign in first")
    return identity


def _signin_form(request: Request, error: str = "", status: int = 200) -> Response:
    token = anonymous_csrf(request)
    target = _safe_next(request.query_params.get("next"))
    response = page(request, "signin.html", {"error": error, "csrf": token, "next": target}, status)
    set_anonymous_csrf(response, token, context(request).settings.secure_cookies)
    return response


def _finish_signin(ctx: Context, user: User, target: str) -> Response:
    response = RedirectResponse(_safe_next(target), status_code=303)
    with ctx.sessions() as db:
        start_session(
            response,
            db,
            user,
            ctx.secret,
            hours=ctx.settings.session_hours,
            secure=ctx.settings.secure_cookies,
        )
    return response


async def signin(request: Request) -> Response:
    """GET: the form. POST: check the password (rate-limited per address)."""
    ctx = context(request)
    if request.method == "GET":
        return _signin_form(request)
    limit(request, "signin", client_address(request), ctx.settings.signin_limit)
    form = await request.form(max_files=0, max_fields=8)
    if not anonymous_csrf_ok(request, _text(form.get("csrf_token"))):
        return _signin_form(request, "Your form expired; please sign in again.", 403)
    user_id = _text(form.get("user"))[:80]
    password = _text(form.get("password"))[:1000]
    with ctx.sessions() as db:
        user = db.get(User, user_id) if user_id else None
        ok = check_password(user, password)
    if not ok or user is None:
        return _signin_form(request, "Unknown user or wrong password.", 401)
    return _finish_signin(ctx, user, _text(form.get("next")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def signin_link(request: Request) -> Response:
    """GET: a button to sign in with a one-time link. POST: use the link."""
    ctx = context(request)
    token = request.path_params["token"]
    if request.method == "GET":
        response = page(request, "signin_link.html", {"token": token})
        return response
    limit(request, "signin", client_address(request), ctx.settings.signin_limit)
    with ctx.sessions() as db:
        user = redeem_signin_link(db, token)
        db.commit()
    if user is None:
        return page(
            request,
            "error.html",
            {
                "status": 410,
                "message": "This sign-in link was used already or has expired; "
                "ask your instructor for a new one.",
            },
            410,
        )
    return _finish_signin(ctx, user, "/")


async def signout(request: Request) -> Response:
    """Sign out (POST with the session's CSRF token)."""
    ctx = context(request)
    identity = signed_in(request)
    form = await request.form(max_files=0, max_fields=8)
    if not csrf_ok(identity, _text(form.get("csrf_token"))):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and retry")
    response = RedirectResponse("/signin", status_code=303)
    with ctx.sessions() as db:
        end_session(request, response, db, ctx.secret)
    return response


def home(request: Request) -> Response:
    """The course's assignments: a student's own status, or an instructor's dashboards."""
    from grader.server.pages_instructor import instructor_home
    from grader.server.pages_student import student_home

    identity = signed_in(request)
    if identity.user.role == "instructor":
        return instructor_home(request, identity)
    return student_home(request, identity)


def routes() -> list[Route]:
    """The pages' routes (the student's and the instructor's included)."""
    from grader.server import pages_instructor, pages_student

    return [
        *pages_student.routes(),
        *pages_instructor.routes(),
        Route("/", home, methods=["GET"]),
        Route("/signin", signin, methods=["GET", "POST"]),
        Route("/signin/{token}", signin_link, methods=["GET", "POST"]),
        Route("/signout", signout, methods=["POST"]),
    ]
