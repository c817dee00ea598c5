"""A grading worker: claims jobs from the database queue and grades them with a warm Grader.

Each worker process keeps one :class:`grader.Grader` (its sandbox's zygote warm) per
assignment, as ``grader grade`` does, and renews its lease while it grades. ``grader serve``
starts several and restarts any that dies; ``grader worker --db postgresql://...`` runs more on
other machines, each with the course folder.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import grader
from grader import Grader, InvalidSubmission, load_assignment
from grader.notebook import reads_submission
from grader.results import SubmissionResult
from grader.server.course import Course
from grader.server.models import Blob, Submission
from grader.server.queue import MAX_ATTEMPTS, Claim, claim, finish, release, renew

__all__ = ["DEFAULT_LEASE_S", "Worker", "worker_name"]

log = logging.getLogger("grader.server.worker")

DEFAULT_LEASE_S = 60.0


def worker_name() -> str:
    """``host:pid``: who holds a lease (a restarted server on the host can tell it is dead)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _Renewer:
    """Renews a lease every third of its length while a submission is graded."""

    def __init__(self, engine: Engine, claim_: Claim, lease_s: float) -> None:
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(
            target=self._run, args=(engine, claim_, lease_s), daemon=True
        )
        self._thread.start()

    def _run(self, engine: Engine, claim_: Claim, lease_s: float) -> None:
        while not self._stop.wait(lease_s / 3):
            try:
                if not renew(engine, claim_, lease_s):
                    self.lost = True
                    return
            except Exception as exc:  # the database may be briefly away: try again later
                log.warning("renewing the lease of job %s failed: %s", claim_.job_id, exc)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Worker:
    """Grades jobs until told to stop. Use as a context manager (it owns sandboxes)."""

    def __init__(
        self,
        engine: Engine,
        course: Course,
        *,
        name: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        strict: bool = False,
    ) -> None:
        self.engine = engine
        self.course = course
        self.name = name or worker_name()
        self.lease_s = lease_s
        self.strict = strict
        self._graders: dict[str, Grader] = {}

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every sandbox."""
        for one in self._graders.values():
            one.close()
        self._graders.clear()

    def warm(self) -> None:
        """Start every assignment's sandbox now, so the first submission waits for none."""
        for assignment_id in self.course.assignments:
            self._grader(assignment_id)

    def _grader(self, assignment_id: str) -> Grader:
        found = self._graders.get(assignment_id)
        if found is None:
            entry = self.course.assignment(assignment_id)
            assert entry is not None, "checked by the caller"
            found = Grader(load_assignment(entry.path), strict=self.strict)
            self._graders[assignment_id] = found
        return found

    def run(self, should_stop: Callable[[], bool], poll_s: float = 0.1) -> None:
        """Grade until ``should_stop()``; poll the queue every ``poll_s`` when it is empty."""
        while not should_stop():
            try:
                worked = self.run_once()
            except Exception as exc:  # the database is away: wait and try again
                log.warning("worker %s: %s", self.name, exc)
                worked = False
                time.sleep(1.0)
            if not worked:
                time.sleep(poll_s)

    def run_once(self) -> bool:
        """Claim and grade one job; False when the queue had none."""
        claimed = claim(self.engine, self.name, self.lease_s)
        if claimed is None:
            return False
        renewer = _Renewer(self.engine, claimed, self.lease_s)
        try:
            document, isolation = self._grade(claimed)
        except BaseException:
            renewer.stop()
            release(self.engine, claimed)  # ours broke (the sandbox, the assignment): retry
            self.close()
            raise
        renewer.stop()
        if renewer.lost or not finish(
            self.engine,
            claimed,
            document,
            worker=self.name,
            grader_version=grader.__version__,
            isolation=isolation,
        ):
            log.warning("job %s: lease lost, its result was dropped", claimed.job_id)
        return True

    def _grade(self, claimed: Claim) -> tuple[dict[str, Any], dict[str, bool]]:
        with Session(self.engine) as session:
            submission = session.get(Submission, claimed.submission_id)
            if submission is None:  # pragma: no cover - a foreign key makes this impossible
                raise LookupError(f"job {claimed.job_id}: submission missing")
            blob = session.get(Blob, submission.sha256)
            data = b"" if blob is None else bytes(blob.data)
        start = time.perf_counter()
        isolation: dict[str, bool] = {}
        if self.course.assignment(submission.assignment_id) is None:
            result = _invalid(
                submission,
                0.0,
                start,
                f"the assignment {submission.assignment_id!r} is no longer in this course; "
                "please tell your instructor",
            )
        elif claimed.attempts > MAX_ATTEMPTS:  # before any sandbox: it may be what breaks
            result = _invalid(
                submission,
                0.0,
                start,
                f"grading this submission stopped the grader {MAX_ATTEMPTS} times; "
                "please tell your instructor",
            )
        else:
            one = self._grader(submission.assignment_id)
            isolation = one.isolation
            try:
                source = reads_submission(data, submission.filename)
            except InvalidSubmission as exc:
                result = _invalid(submission, one.max_score, start, str(exc))
            else:
                result = one.grade_source(source, submission.user_id, start=start)
        document = replace(result, path=submission.filename).to_dict()
        document.update(
            submission_id=submission.id,
            student=submission.user_id,
            submitted_at=submission.submitted_at.isoformat() + "Z",
            late_days=submission.late_days,
        )
        json.dumps(document)  # the contract is JSON: fail here, not in the database
        return document, isolation


def _invalid(
    submission: Submission, max_score: float, start: float, error: str
) -> SubmissionResult:
    return SubmissionResult(
        id=submission.user_id,
        path=submission.filename,
        sha256=submission.sha256,
        status="invalid",
        error=error,
        score=0.0,
        max_score=max_score,
        duration_s=time.perf_counter() - start,
    )
