"""The API a student uses (an instructor too): the course's assignments, a history, a download.

- ``GET /api/assignments``: every assignment with the caller's own deadline (extensions
  included), its rules, the submissions used and the one that counts
- ``GET /api/assignments/{id}/submissions``: the caller's submissions, each with its status,
  score as the caller may see it and ``counts``; instructors may ask ``?student=ID``
- ``GET /api/submissions/{id}/file``: the uploaded file (its owner or an instructor)

Another student's submission answers 404, as one that does not exist: no existence leak.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from grader.server.accounts import find_user
from grader.server.api import assignment_or_404, path_id, require
from grader.server.app import context
from grader.server.history import assignment_summaries, history
from grader.server.models import Blob, Submission, utcnow

__all__ = ["attachment", "routes"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that downloads ``filename`` and cannot inject a header.

    The plain ``filename`` is ASCII letters, digits and ``._-`` only (never a leading dot);
    ``filename*`` carries the real name percent-encoded (RFC 6266).
    """
    real = filename[:200] or "submission"
    plain = _UNSAFE.sub("_", real).lstrip(".") or "submission"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(real, safe='')}"


def assignments(request: Request) -> Response:
    """The course's assignments, as they stand for the caller."""
    ctx = context(request)
    identity = require(request)
    with ctx.sessions() as db:
        user = db.merge(identity.user)
        body = assignment_summaries(db, ctx.course, user, utcnow())
    return JSONResponse({"assignments": body})


def submissions(request: Request) -> Response:
    """The caller's submissions to one assignment (an instructor's: anyone's, ``?student=``)."""
    ctx = context(request)
    identity = require(request)
    entry = assignment_or_404(request)
    wanted = request.query_params.get("student")
    with ctx.sessions() as db:
        viewer = db.merge(identity.user)
        owner = viewer
        if wanted is not None and wanted != viewer.id:
            if viewer.role != "instructor":
                raise HTTPException(403, "only instructors may read another student's history")
            found = find_user(db, wanted[:80])
            if found is None:
                raise HTTPException(404, f"no user {wanted[:80]!r}")
            owner = found
        body = history(db, entry, owner, viewer, utcnow())
    return JSONResponse(body)


def download(request: Request) -> Response:
    """The file of one submission, as uploaded (its owner or an instructor; else 404)."""
    ctx = context(request)
    identity = require(request)
    wanted = path_id(request, "submission_id", "submission")
    with ctx.sessions() as db:
        found = db.get(Submission, wanted)
        if found is None or (
            identity.user.role != "instructor" and found.user_id != identity.user.id
        ):
            raise HTTPException(404, "no such submission")
        blob = db.get(Blob, found.sha256)
        if blob is None:  # pragma: no cover - a foreign key makes this impossible
            raise HTTPException(404, "no such submission")
        data = bytes(blob.data)
        filename = found.filename
    headers = {"Content-Disposition": attachment(filename)}
    return Response(data, media_type="application/octet-stream", headers=headers)


def routes() -> list[Route]:
    """The student API's routes."""
    return [
        Route("/api/assignments", assignments, methods=["GET"]),
        Route("/api/assignments/{assignment_id}/submissions", submissions, methods=["GET"]),
        Route("/api/submissions/{submission_id}/file", download, methods=["GET"]),
    ]
