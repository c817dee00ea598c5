"""The JSON API: the contract outside tools rely on (README, "Run a course server").

- ``POST /api/assignments/{id}/submissions`` (multipart ``file``) -> 202 ``{"id", "status"}``
- ``GET /api/submissions/{id}`` -> ``{"id", "status", "result"}``, the result filtered by the
  visibility policy for a student
- ``GET /api/assignments/{id}/results`` (instructors) -> the results document of
  ``grader grade --json`` with every graded submission, the one that counts marked

and what every endpoint shares: who is asking (:func:`require`), rate limits, the CSRF check
of browser requests, ids from the path. The rest of the API is in :mod:`.api_student` and
:mod:`.api_instructor`. Every error is ``{"error": "..."}`` with its 4xx.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from grader.server.app import context
from grader.server.auth import Identity, csrf_ok, identify
from grader.server.course import CourseAssignment
from grader.server.documents import results_document, submission_view
from grader.server.models import utcnow
from grader.server.multipart import read_multipart
from grader.server.ratelimit import Limit
from grader.server.records import records
from grader.server.submit import Refused, accept

__all__ = [
    "assignment_or_404",
    "check_csrf",
    "client_address",
    "limit",
    "path_id",
    "read_upload",
    "require",
    "routes",
]


def client_address(request: Request) -> str:
    """The peer's address (the server is meant to face clients or a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def limit(request: Request, kind: str, key: str, rule: Limit) -> None:
    """Raise 429 (with Retry-After) when ``key`` has used its share of ``kind``."""
    wait = context(request).limiter.hit(kind, key, rule)
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise HTTPException(
            429, f"too many requests; try again in {seconds} s", {"Retry-After": str(seconds)}
        )


def require(request: Request, role: str | None = None) -> Identity:
    """The caller's identity, or 401; 403 when ``role`` is required and not theirs."""
    ctx = context(request)
    with ctx.sessions() as db:
        identity = identify(request, db, ctx.secret)
    if identity is None:
        raise HTTPException(401, "sign in first (or send an API token: Authorization: Bearer ...)")
    if role is not None and identity.user.role != role:
        raise HTTPException(403, f"only {role}s may do this")
    limit(request, "api", identity.user.id, ctx.settings.api_limit)
    return identity


async def read_upload(request: Request, identity: Identity) -> tuple[str, bytes]:
    """The multipart field ``file`` (name, bytes), after the CSRF check for browsers."""
    ctx = context(request)
    content_type = request.headers.get("content-type", "").lower()  # media types: any case
    if not content_type.startswith("multipart/form-data"):
        raise HTTPException(415, "send the file as multipart/form-data in the field 'file'")
    try:
        form = await read_multipart(
            request, max_files=1, max_fields=8, max_part_size=ctx.settings.max_upload_bytes
        )
    except MultiPartException as exc:
        raise HTTPException(400, f"malformed multipart request: {exc.message}") from None
    try:
        submitted = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not csrf_ok(identity, submitted if isinstance(submitted, str) else None):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page and retry")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, "no file in the multipart field 'file'")
        data = await upload.read(ctx.settings.max_upload_bytes + 1)
        if len(data) > ctx.settings.max_upload_bytes:
            limit_bytes = ctx.settings.max_upload_bytes
            raise HTTPException(
                413, f"the file is larger than the upload limit of {limit_bytes} bytes"
            )
        return upload.filename or "submission.ipynb", data
    finally:
        await form.close()


async def submit(request: Request) -> Response:
    """Accept one upload: committed with its job before the 202."""
    ctx = context(request)
    identity = await run_in_threadpool(require, request)
    assignment_or_404(request)  # before the body is read
    limit(request, "upload", identity.user.id, ctx.settings.upload_limit)
    limit(request, "upload-address", client_address(request), ctx.settings.address_upload_limit)
    filename, data = await read_upload(request, identity)
    assignment_id = request.path_params["assignment_id"]

    def store() -> Any:
        with ctx.sessions() as db:
            user = db.merge(identity.user)
            return accept(
                db,
                ctx.course,
                user,
                assignment_id,
                filename,
                data,
                max_bytes=ctx.settings.max_upload_bytes,
            )

    try:
        accepted = await run_in_threadpool(store)
    except Refused as refused:
        wait = refused.retry_after
        headers = None if wait is None else {"Retry-After": str(wait)}
        raise HTTPException(refused.status, refused.message, headers) from None
    body = {"id": accepted.id, "status": "queued", "late_days": accepted.late_days}
    location = {"Location": f"/api/submissions/{accepted.id}"}
    return JSONResponse(body, status_code=202, headers=location)


_MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is an error there, not a miss


def path_id(request: Request, name: str, what: str) -> int:
    """A numeric id from the path, or 404 (``/api/submissions/abc`` names nothing)."""
    raw = str(request.path_params[name])
    # ASCII only: str.isdigit() accepts digits like "²" that int() refuses
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > _MAX_ID:
        raise HTTPException(404, f"no such {what}")
    return int(raw)


def assignment_or_404(request: Request) -> CourseAssignment:
    """The course's assignment named in the path, or 404."""
    assignment_id = request.path_params["assignment_id"]
    entry = context(request).course.assignment(assignment_id)
    if entry is None:
        raise HTTPException(404, f"no assignment {assignment_id[:80]!r} in this course")
    return entry


def check_csrf(request: Request, identity: Identity) -> None:
    """403 unless a browser's state-changing request carries its ``X-CSRF-Token`` header."""
    if not csrf_ok(identity, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and retry")


def submission(request: Request) -> Response:
    """One submission's status and result (404 for another student's: no existence leak)."""
    ctx = context(request)
    identity = require(request)
    wanted = path_id(request, "submission_id", "submission")
    with ctx.sessions() as db:
        found = records(db, submission_id=wanted)
        if not found or (
            identity.user.role != "instructor" and found[0].submission.user_id != identity.user.id
        ):
            raise HTTPException(404, "no such submission")
        view = submission_view(db, ctx.course, found[0], identity.user, utcnow())
    return JSONResponse(view)


def assignment_results(request: Request) -> Response:
    """The results document of an assignment (instructors)."""
    ctx = context(request)
    require(request, "instructor")
    entry = assignment_or_404(request)
    with ctx.sessions() as db:
        document = results_document(db, entry)
    return JSONResponse(document)


def routes() -> list[Route]:
    """The API's routes."""
    return [
        Route("/api/assignments/{assignment_id}/submissions", submit, methods=["POST"]),
        Route("/api/submissions/{submission_id}", submission, methods=["GET"]),
        Route("/api/assignments/{assignment_id}/results", assignment_results, methods=["GET"]),
    ]


