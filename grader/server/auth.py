"""Who is asking: a signed session cookie (browsers) or a bearer API token (scripts).

Sessions are rows: the cookie carries a random id, signed with the server's secret (HMAC) so a
forged or altered cookie is refused before any lookup, and the database keeps only the id's
sha256. Cookies are HttpOnly and SameSite=Lax (Secure when the server says it runs behind
HTTPS). Every form posted with a session carries the session's CSRF token (a hidden field
``csrf_token`` or the ``X-CSRF-Token`` header); the sign-in form, before any session, uses a
double-submit cookie. Requests with a bearer token carry no ambient credential and need no
CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, Signer
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from grader.server.accounts import digest, user_for_token
from grader.server.models import SessionRow, User, utcnow

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Identity",
    "anonymous_csrf",
    "anonymous_csrf_ok",
    "csrf_ok",
    "end_session",
    "identify",
    "set_anonymous_csrf",
    "start_session",
]

SESSION_COOKIE = "grader_session"
CSRF_COOKIE = "grader_csrf"


@dataclass(frozen=True)
class Identity:
    """A signed-in user and how: ``session`` (a browser, with its CSRF token) or ``token``."""

    user: User
    via: Literal["session", "token"]
    csrf: str = ""


def _signer(secret: bytes, salt: str) -> Signer:
    return Signer(secret, salt=salt)


def identify(request: Request, db: Session, secret: bytes) -> Identity | None:
    """The identity of a request, or None (no credentials, or bad/expired/revoked ones)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(db, header[7:].strip())
        return None if user is None else Identity(user, "token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        raw = _signer(secret, "session").unsign(cookie).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None
    row = db.get(SessionRow, digest(raw))
    if row is None or row.expires_at < utcnow():
        return None
    user = db.get(User, row.user_id)
    return None if user is None else Identity(user, "session", row.csrf)


def _cookie(response: Response, name: str, value: str, max_age: int, secure: bool) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )


def start_session(
    response: Response,
    db: Session,
    user: User,
    secret: bytes,
    *,
    hours: float = 12.0,
    secure: bool = False,
) -> None:
    """Sign ``user`` in (committed) and set the cookie on ``response``."""
    raw = secrets.token_urlsafe(32)
    db.add(
        SessionRow(
            id_sha256=digest(raw),
            user_id=user.id,
            csrf=secrets.token_urlsafe(32),
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    db.commit()
    signed = _signer(secret, "session").sign(raw.encode("ascii")).decode("ascii")
    _cookie(response, SESSION_COOKIE, signed, int(hours * 3600), secure)
    response.delete_cookie(CSRF_COOKIE, path="/")


def end_session(request: Request, response: Response, db: Session, secret: bytes) -> None:
    """Sign out: the session row is deleted (committed) and the cookie cleared."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    try:
        raw = _signer(secret, "session").unsign(cookie).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        raw = None
    if raw is not None:
        row = db.get(SessionRow, digest(raw))
        if row is not None:
            db.delete(row)
            db.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_ok(identity: Identity, submitted: str | None) -> bool:
    """True when a state-changing request may proceed (token requests need no CSRF token)."""
    if identity.via == "token":
        return True
    return bool(submitted) and _same(str(submitted), identity.csrf)


def anonymous_csrf(request: Request) -> str:
    """The sign-in form's CSRF token: the cookie's, or a new one (set it with the response)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if len(current) >= 32 else secrets.token_urlsafe(32)


def set_anonymous_csrf(response: Response, token: str, secure: bool = False) -> None:
    """Set (or refresh) the sign-in form's double-submit cookie."""
    _cookie(response, CSRF_COOKIE, token, 3600, secure)


def anonymous_csrf_ok(request: Request, submitted: str | None) -> bool:
    """The sign-in form's double-submit check."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return len(cookie) >= 32 and bool(submitted) and _same(cookie, str(submitted))


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison of two tokens as bytes (``hmac.compare_digest`` raises
    TypeError on strings with non-ASCII characters, which a form or a header may carry)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))
