"""The course server's tables (SQLAlchemy 2). The schema itself is made by Alembic migrations.

Nothing here is ever updated in place but the job's lease: a submission, its bytes and every
result are appended, so a regrade keeps the earlier results and a crash loses nothing.
Times are stored as UTC without a zone (SQLite has no zoned type); :func:`utcnow` makes them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiToken",
    "Base",
    "Blob",
    "Extension",
    "Job",
    "Regrade",
    "Result",
    "ServerSetting",
    "SessionRow",
    "SignInLink",
    "Submission",
    "User",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """Now, in UTC, without a zone: how every time is stored."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The declarative base of every table."""


class User(Base):
    """A student or an instructor, named by their id (the roster's id, a login name)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[str] = mapped_column(String(16))  # student | instructor
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for scripts; only its sha256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class SessionRow(Base):
    """A signed-in browser. The cookie carries the id; only its sha256 is stored."""

    __tablename__ = "sessions"
    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SignInLink(Base):
    """A one-time sign-in link an instructor sends; only the token's sha256 is stored."""

    __tablename__ = "signin_links"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Blob(Base):
    """A submitted file's bytes, addressed by their sha256 (stored once however often sent).

    In the database rather than on a disk beside it, so that the bytes and the submission's
    row commit in one transaction, and workers on other machines need no shared file system.
    """

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Submission(Base):
    """One accepted upload."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    assignment_id: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # whole days after the deadline (0: on time); the penalty is applied when results are read
    late_days: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_submissions_user_assignment", "user_id", "assignment_id"),)


class Regrade(Base):
    """An instructor's request to grade every submission of an assignment again."""

    __tablename__ = "regrades"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(String(80), index=True)
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Job(Base):
    """A queued grading of one submission. Workers claim it under a lease.

    status: queued -> grading (leased to ``lease_owner`` until ``lease_expires_at``) -> done.
    ``lease_token`` changes at every claim: only the current holder may finish the job, so a
    worker whose lease expired (and was taken over) cannot write a second result.
    """

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    regrade_id: Mapped[int | None] = mapped_column(ForeignKey("regrades.id"), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 0 first gradings, 1 regrades
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_jobs_claim", "status", "priority", "id"),)


class Result(Base):
    """The grader's verdict on one submission by one job: written once, never changed.

    ``document`` is the submission's entry of the results contract (``grader grade --json``)
    as JSON text, for every check, hidden ones included; what a student sees of it is decided
    when it is read (:mod:`grader.server.visibility`).
    """

    __tablename__ = "results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), unique=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # graded | invalid
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    graded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    worker: Mapped[str] = mapped_column(String(200), default="")
    grader_version: Mapped[str] = mapped_column(String(40), default="")
    isolation: Mapped[str] = mapped_column(Text, default="{}")  # JSON: layer -> active
    document: Mapped[str] = mapped_column(Text)


class Extension(Base):
    """A student's own deadline for one assignment, set by an instructor."""

    __tablename__ = "extensions"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    assignment_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    deadline: Mapped[dt.datetime] = mapped_column(DateTime)


class ServerSetting(Base):
    """A setting of the server itself (e.g. the cookie-signing secret), by key."""

    __tablename__ = "server_settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
