"""The durable job queue, in the database: claim under a lease, finish exactly once.

A job is claimed by one atomic ``UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING``: on
PostgreSQL the inner select takes the row ``FOR UPDATE SKIP LOCKED``, so workers on many machines
never wait on each other; SQLite runs it inside a ``BEGIN IMMEDIATE`` transaction, one writer at
a time. A claim sets a fresh lease token and an expiry; a worker renews the lease while it
grades. A job whose lease expired (its worker died, or its machine) is claimed again by anyone.
Finishing a job writes its result and marks it done in one transaction, only while the lease
token is still the worker's: a worker that lost its lease cannot write a second result, and the
results table's unique job id makes a second one impossible anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from grader.server.models import Job, Result, utcnow

__all__ = [
    "MAX_ATTEMPTS",
    "Claim",
    "claim",
    "enqueue",
    "expire_dead_local_leases",
    "finish",
    "release",
    "renew",
]

MAX_ATTEMPTS = 3  # claims of one job; a submission that kills its worker this often is invalid


@dataclass(frozen=True)
class Claim:
    """A job leased to one worker."""

    job_id: int
    submission_id: int
    token: str
    attempts: int


def enqueue(session: Any, submission_id: int, *, regrade_id: int | None = None) -> Job:
    """Add a job for ``submission_id`` to the session (committed with the caller's work)."""
    job = Job(
        submission_id=submission_id,
        regrade_id=regrade_id,
        priority=0 if regrade_id is None else 1,
        status="queued",
        attempts=0,
    )
    session.add(job)
    return job


def claim(engine: Engine, owner: str, lease_s: float) -> Claim | None:
    """Lease the oldest claimable job to ``owner`` for ``lease_s`` seconds, or None."""
    now = utcnow()
    claimable = or_(
        Job.status == "queued",
        and_(Job.status == "grading", Job.lease_expires_at < now),
    )
    candidate = (
        select(Job.id)
        .where(claimable)
        .order_by(Job.priority, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    token = secrets.token_hex(16)
    statement = (
        update(Job)
        # the claimable test again: on PostgreSQL a row taken meanwhile fails it and is skipped
        .where(Job.id == candidate, claimable)
        .values(
            status="grading",
            attempts=Job.attempts + 1,
            lease_owner=owner[:200],
            lease_token=token,
            lease_expires_at=now + dt.timedelta(seconds=lease_s),
        )
        .returning(Job.id, Job.submission_id, Job.attempts)
        .execution_options(synchronize_session=False)
    )
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    if row is None:
        return None
    return Claim(job_id=row[0], submission_id=row[1], token=token, attempts=row[2])


def renew(engine: Engine, claim_: Claim, lease_s: float) -> bool:
    """Extend a lease still held; False when it was lost (expired and taken by another)."""
    with engine.begin() as connection:
        done = connection.execute(
            update(Job)
            .where(Job.id == claim_.job_id, Job.lease_token == claim_.token)
            .where(Job.status == "grading")
            .values(lease_expires_at=utcnow() + dt.timedelta(seconds=lease_s))
        )
    return done.rowcount == 1


def finish(
    engine: Engine,
    claim_: Claim,
    document: dict[str, Any],
    *,
    worker: str,
    grader_version: str,
    isolation: dict[str, bool],
) -> bool:
    """Write the job's result and mark it done, atomically; False if the lease was lost."""
    now = utcnow()
    try:
        with engine.begin() as connection:
            done = connection.execute(
                update(Job)
                .where(Job.id == claim_.job_id, Job.lease_token == claim_.token)
                .where(Job.status == "grading")
                .values(status="done", finished_at=now, lease_expires_at=None)
            )
            if done.rowcount != 1:
                return False
            connection.execute(
                insert(Result).values(
                    job_id=claim_.job_id,
                    submission_id=claim_.submission_id,
                    status=str(document["status"]),
                    score=float(document["score"]),
                    max_score=float(document["max_score"]),
                    graded_at=now,
                    worker=worker[:200],
                    grader_version=grader_version[:40],
                    isolation=json.dumps(isolation, sort_keys=True),
                    document=json.dumps(document, sort_keys=True),
                )
            )
    except IntegrityError:
        return False  # a result for this job exists already: never a second one
    return True


def release(engine: Engine, claim_: Claim) -> None:
    """Give a job back at once (the worker cannot grade it now; another may)."""
    with engine.begin() as connection:
        connection.execute(
            update(Job)
            .where(Job.id == claim_.job_id, Job.lease_token == claim_.token)
            .where(Job.status == "grading")
            .values(status="queued", lease_owner=None, lease_token=None, lease_expires_at=None)
        )


def expire_dead_local_leases(engine: Engine, host: str, alive: Any) -> int:
    """Expire the leases of this host's workers that are gone (``alive(pid)`` is False).

    A restarted server then regrades what its killed workers held without waiting for their
    leases to run out. Owners are ``host:pid``; other machines' leases are left alone.
    """
    now = utcnow()
    with engine.begin() as connection:
        rows = connection.execute(
            select(Job.id, Job.lease_owner).where(
                Job.status == "grading", Job.lease_owner.like(f"{host}:%")
            )
        ).all()
        pids = {job_id: owner.rsplit(":", 1)[1] for job_id, owner in rows if owner}
        dead = [job_id for job_id, pid in pids.items() if pid.isdigit() and not alive(int(pid))]
        if dead:
            connection.execute(
                update(Job).where(Job.id.in_(dead)).values(lease_expires_at=now)
            )
    return len(dead)
