"""The worker: results as `grader grade --json` gives them, and the jobs it must not retry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from grader import Grader, load_assignment
from grader.server import accounts, queue
from grader.server.course import Course, demo_course
from grader.server.models import Blob, Job, Result, Submission
from grader.server.submit import accept
from grader.server.worker import Worker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"


def _submit(engine: Engine, course: Course, name: str) -> int:
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(accounts.User, "ann") or accounts.add_user(session, "ann", "student")
        session.commit()
        return accept(session, course, user, PLANAR, name, (EXAMPLES / name).read_bytes()).id


def _result(engine: Engine, submission_id: int) -> dict[str, object]:
    with Session(engine) as session:
        row = session.scalar(select(Result).where(Result.submission_id == submission_id))
        assert row is not None
        return dict(json.loads(row.document))


def test_a_result_is_the_grade_commands_entry(engine: Engine, tmp_path: Path) -> None:
    course = demo_course(tmp_path)
    sid = _submit(engine, course, "bob.ipynb")
    with Worker(engine, course) as worker:
        assert worker.run_once()
        assert not worker.run_once()  # the queue is empty
    got = _result(engine, sid)
    with Grader(load_assignment(PLANAR)) as grader:
        expected = grader.grade_path(EXAMPLES / "bob.ipynb", "ann").to_dict()
    assert got["path"] == "bob.ipynb" and got["student"] == "ann" and got["submission_id"] == sid
    assert (got["status"], got["score"], got["max_score"]) == (
        expected["status"], expected["score"], expected["max_score"])
    assert [(t["id"], t["outcome"], t["message"]) for t in got["tests"]] == [  # type: ignore[union-attr]
        (t["id"], t["outcome"], t["message"]) for t in expected["tests"]
    ]


def test_a_job_that_kept_killing_workers_becomes_invalid(engine: Engine, tmp_path: Path) -> None:
    course = demo_course(tmp_path)
    sid = _submit(engine, course, "alice.ipynb")
    with engine.begin() as connection:
        connection.execute(update(Job).values(attempts=queue.MAX_ATTEMPTS))
    with Worker(engine, course) as worker:
        assert worker.run_once()
        assert worker._graders == {}  # decided before starting any sandbox
    got = _result(engine, sid)
    assert got["status"] == "invalid" and "stopped the grader 3 times" in str(got["error"])


def test_an_assignment_gone_from_the_course(engine: Engine, tmp_path: Path) -> None:
    course = demo_course(tmp_path)
    sid = _submit(engine, course, "alice.ipynb")
    smaller = Course(course.root, course.title, {})
    with Worker(engine, smaller) as worker:
        assert worker.run_once()
    got = _result(engine, sid)
    assert got["status"] == "invalid" and "no longer in this course" in str(got["error"])


def test_bytes_that_do_not_read_are_an_invalid_result(engine: Engine, tmp_path: Path) -> None:
    """Accepted uploads always read; this guards a blob written by an older server."""
    course = demo_course(tmp_path)
    data = b'{"cells": ['
    digest = hashlib.sha256(data).hexdigest()
    with Session(engine) as session:
        accounts.add_user(session, "ann", "student")
        session.add(Blob(sha256=digest, size=len(data), data=data))
        session.flush()
        row = Submission(user_id="ann", assignment_id=PLANAR, filename="x.ipynb",
                         sha256=digest, size=len(data), late_days=0)
        session.add(row)
        session.flush()
        queue.enqueue(session, row.id)
        session.commit()
        sid = row.id
    with Worker(engine, course) as worker:
        assert worker.run_once()
    got = _result(engine, sid)
    assert got["status"] == "invalid" and "not a valid notebook" in str(got["error"])
