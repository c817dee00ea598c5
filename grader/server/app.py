"""The web application: the JSON API and the pages, on Starlette.

:func:`create_app` builds it for one course and one database. Every response carries a strict
Content-Security-Policy (no inline script or style, nothing from another origin) and the other
usual headers; every error is a short JSON object under ``/api/`` and a plain page elsewhere,
never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from grader.server.bodylimit import BodyLimit, BodyTooLarge
from grader.server.course import Course
from grader.server.db import sessions
from grader.server.ratelimit import Limit, RateLimiter
from grader.server.submit import MAX_UPLOAD_BYTES

__all__ = ["CSP", "Context", "Settings", "context", "create_app"]

log = logging.getLogger("grader.server")

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
# the multipart envelope around an upload: boundaries, headers, the CSRF field
_ENVELOPE = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """The web server's knobs; the defaults suit a course of a few hundred students."""

    max_upload_bytes: int = MAX_UPLOAD_BYTES
    session_hours: float = 12.0
    secure_cookies: bool = False  # set behind HTTPS
    # per account and per address; sign-in attempts per address
    upload_limit: Limit = field(default_factory=lambda: Limit(per_minute=30, burst=10))
    # a whole class behind one NAT address may upload at once before a deadline
    address_upload_limit: Limit = field(
        default_factory=lambda: Limit(per_minute=3000, burst=1000)
    )
    api_limit: Limit = field(default_factory=lambda: Limit(per_minute=600, burst=120))
    signin_limit: Limit = field(default_factory=lambda: Limit(per_minute=10, burst=10))


@dataclass(frozen=True)
class Context:
    """What every endpoint needs; on ``app.state.ctx``."""

    engine: Engine
    sessions: sessionmaker[Session]
    course: Course
    secret: bytes
    settings: Settings
    templates: Jinja2Templates
    limiter: RateLimiter


def context(request: Request) -> Context:
    """The application's context from a request."""
    found: Context = request.app.state.ctx
    return found


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages answer HTML."""
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    """A JSON error for the API, a plain page for browsers."""
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    ctx = context(request)
    return ctx.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 401 and not wants_json(request):
        from starlette.responses import RedirectResponse

        target = urlencode({"next": request.url.path})  # a path with & or # stays whole
        return RedirectResponse(f"/signin?{target}", status_code=303)
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _too_large(request: Request, exc: Exception) -> Response:
    return error_response(request, 413, str(exc))


async def _bad_data(request: Request, exc: Exception) -> Response:
    # The database refused a value that came from the request (PostgreSQL: a NUL byte in
    # text, an integer out of range): the request is at fault, not the server.
    log.warning(
        "the database refused a value on %s %s: %s",
        request.method,
        request.url.path,
        str(exc).splitlines()[0][:200],
    )
    return error_response(request, 400, "the request holds a value the database cannot store")


async def _internal(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    response = error_response(
        request, 500, "the server met an internal error; it was logged, please try again"
    )
    # Starlette answers this one outside every middleware: the headers are added here
    for name, value in _HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


class _SecurityHeaders:
    """Adds the CSP and the other protective headers to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _HEADERS
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _routes() -> list[Route | Mount]:
    from grader.server import api, api_instructor, api_student, pages

    return [
        *api.routes(),
        *api_student.routes(),
        *api_instructor.routes(),
        *pages.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(
    engine: Engine, course: Course, *, secret: bytes, settings: Settings | None = None
) -> Starlette:
    """The ASGI application for ``course`` on ``engine`` (whose schema is up to date)."""
    settings = settings or Settings()
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
    )
    templates = Jinja2Templates(env=environment)
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: _http_error,
        BodyTooLarge: _too_large,
        DataError: _bad_data,
        Exception: _internal,
    }
    app = Starlette(
        routes=_routes(),
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(BodyLimit, limit=settings.max_upload_bytes + _ENVELOPE),
        ],
        exception_handlers=handlers,
    )
    app.state.ctx = Context(
        engine=engine,
        sessions=sessions(engine),
        course=course,
        secret=secret,
        settings=settings,
        templates=templates,
        limiter=RateLimiter(),
    )
    return app
