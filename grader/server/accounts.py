"""Accounts: users, argon2 password hashes, API tokens, one-time sign-in links, the roster.

Secrets (API tokens, sign-in links, session ids) are 32 random bytes shown once; the database
keeps only their sha256, so a copy of it signs nobody in.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.errors import UsageError
from grader.server.models import ApiToken, SignInLink, User, utcnow

__all__ = [
    "ROLES",
    "RosterReport",
    "add_user",
    "check_password",
    "digest",
    "find_user",
    "import_roster",
    "new_api_token",
    "new_signin_link",
    "redeem_signin_link",
    "set_password",
    "user_for_token",
]

ROLES = ("student", "instructor")
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,79}")
_hasher = PasswordHasher()


def digest(secret: str) -> str:
    """The stored form of a secret token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_id(user_id: str) -> str:
    if not USER_ID.fullmatch(user_id):
        raise UsageError(
            f"invalid user id {user_id!r}: letters, digits and _ . @ + -, at most 80, "
            "starting with a letter or digit"
        )
    return user_id


def add_user(
    session: Session, user_id: str, role: str, *, name: str = "", email: str = ""
) -> User:
    """Create an account (flushed, not committed).

    Raises UsageError for a bad id or role, or an id taken.
    """
    if role not in ROLES:
        raise UsageError(f"invalid role {role!r}: student or instructor")
    if session.get(User, _check_id(user_id)) is not None:
        raise UsageError(f"user {user_id!r} already exists")
    user = User(id=user_id, role=role, name=name[:200], email=email[:254])
    session.add(user)
    session.flush()  # tables have no ORM relationships: rows referring to it come later
    return user


def find_user(session: Session, user_id: str) -> User | None:
    """The user with that id, or None; an id no account could have is not looked up (a NUL
    byte in it is an error on PostgreSQL, not a miss)."""
    return session.get(User, user_id) if USER_ID.fullmatch(user_id) else None


def set_password(user: User, password: str) -> None:
    """Store an argon2 hash of ``password`` (at least 8 characters)."""
    if len(password) < 8:
        raise UsageError("a password needs at least 8 characters")
    user.password_hash = _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True when ``password`` is the user's. Costs one argon2 hash even for an unknown user."""
    stored = user.password_hash if user is not None else None
    try:
        if stored is None:
            _hasher.hash(password)  # same time as a real check: no account enumeration
            return False
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token(session: Session, user: User, label: str = "") -> str:
    """Make a token for ``user`` (not committed) and return it: it is shown only once."""
    token = "gr_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=digest(token), label=label[:100]))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The user an API token belongs to, or None (unknown or revoked)."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_sha256 == digest(token), ~ApiToken.revoked)
    )
    return None if row is None else session.get(User, row.user_id)


def new_signin_link(session: Session, user: User, hours: float = 72.0) -> str:
    """A one-time sign-in token for ``user`` (not committed), valid ``hours``."""
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_sha256=digest(token),
            user_id=user.id,
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    return token


def redeem_signin_link(session: Session, token: str) -> User | None:
    """Use a sign-in token once (not committed): its user, or None if unknown, used or expired."""
    link = session.get(SignInLink, digest(token), with_for_update=True)
    if link is None or link.used_at is not None or link.expires_at < utcnow():
        return None
    link.used_at = utcnow()
    return session.get(User, link.user_id)


def _printable(cell: str | None) -> str | None:
    """A roster cell without control characters (PostgreSQL refuses NUL in text)."""
    return None if cell is None else "".join(ch for ch in cell if ch.isprintable())


@dataclass(frozen=True)
class RosterReport:
    """What a roster import did: ids added, ids already there (updated), lines refused."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    refused: tuple[str, ...]


def import_roster(session: Session, text: str) -> RosterReport:
    """Add or update students from CSV text with columns id, name, email (header optional).

    Not committed. A bad line is refused with its reason; the others are still imported.
    An existing instructor is never turned into a student.
    """
    added: list[str] = []
    updated: list[str] = []
    refused: list[str] = []
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][:1]] == ["id"]:
        header = [c.strip().lower() for c in rows[0]]
        rows, first = rows[1:], 2
    else:
        header, first = ["id", "name", "email"], 1
    for number, row in enumerate(rows, start=first):
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, (cell.strip() for cell in row), strict=False))
        user_id = record.get("id", "")
        if not USER_ID.fullmatch(user_id):
            refused.append(f"line {number}: invalid id {user_id[:80]!r}")
            continue
        user = session.get(User, user_id)
        name = _printable(record.get("name"))
        email = _printable(record.get("email"))
        if user is None:
            session.add(
                User(id=user_id, role="student", name=(name or "")[:200], email=(email or "")[:254])
            )
            added.append(user_id)
        elif user.role != "student":
            refused.append(f"line {number}: {user_id!r} is an instructor")
        else:
            user.name = (user.name if name is None else name)[:200]
            user.email = (user.email if email is None else email)[:254]
            updated.append(user_id)
        session.flush()
    return RosterReport(tuple(added), tuple(updated), tuple(refused))
