"""What the API tests share: a one-assignment course, accounts with tokens, crafted results."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from grader.results import CheckResult, SubmissionResult
from grader.server import accounts, queue
from grader.server.app import Settings, create_app
from grader.server.course import Course, CourseAssignment, Rules, demo_course
from grader.server.models import Blob, Job, Submission

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"
NOTEBOOK = (EXAMPLES / "alice.ipynb").read_bytes()
SECRET = b"s" * 32


def course(tmp_path: Path, *, deadline: dt.datetime | None = None, **rules: Any) -> Course:
    """The bundled planar assignment alone, with ``deadline`` (aware) and ``rules``."""
    demo = demo_course(tmp_path)
    entry = demo.assignments[PLANAR]
    made = CourseAssignment(PLANAR, entry.path, deadline, dataclasses.replace(Rules(), **rules))
    return Course(root=demo.root, title="Test course", assignments={PLANAR: made})


def ago(**delta: float) -> dt.datetime:
    """An aware UTC time ``delta`` ago (negative values: in the future)."""
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)


@dataclasses.dataclass(frozen=True)
class People:
    """Tokens of two students and an instructor."""

    alice: str
    bob: str
    prof: str


def people(engine: Engine) -> People:
    """Create alice and bob (students) and prof (instructor); their API tokens."""
    with Session(engine, expire_on_commit=False) as session:
        tokens = {}
        for user_id, role in (("alice", "student"), ("bob", "student"), ("prof", "instructor")):
            user = accounts.add_user(session, user_id, role, name=user_id.title())
            tokens[user_id] = accounts.new_api_token(session, user)
        session.commit()
    return People(**tokens)


def client(engine: Engine, where: Course, settings: Settings | None = None) -> TestClient:
    """A test client on the app; server errors become responses (as a real client sees)."""
    app = create_app(engine, where, secret=SECRET, settings=settings)
    return TestClient(app, raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def upload(web: TestClient, token: str, name: str = "mine.ipynb", data: bytes = NOTEBOOK) -> Any:
    """POST a file to the planar assignment; the response."""
    return web.post(
        f"/api/assignments/{PLANAR}/submissions",
        headers=bearer(token),
        files={"file": (name, data, "application/octet-stream")},
    )


def rows(engine: Engine) -> tuple[int, int, int]:
    """How many submissions, blobs and jobs are stored."""
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Submission, Blob, Job)
        )


def check(name: str, score: float, visibility: str, message: str = "", **more: Any) -> CheckResult:
    """One check's result worth 1 point."""
    return CheckResult(
        id=f"layer_sizes.{name}",
        function="layer_sizes",
        score=score,
        max_score=1.0,
        outcome=more.pop("outcome", "passed" if score else "failed"),
        message=message,
        visibility=visibility,  # type: ignore[arg-type]
        **more,
    )


def grade_all(engine: Engine, checks: Callable[[int], tuple[CheckResult, ...]]) -> list[int]:
    """Finish every queued job with a crafted result; the graded submission ids in order.

    ``checks(submission_id)`` gives that submission's checks; the score is their sum.
    """
    done = []
    while (claimed := queue.claim(engine, "test-worker", 60)) is not None:
        with Session(engine) as session:
            submission = session.get(Submission, claimed.submission_id)
            assert submission is not None
            tests = checks(submission.id)
            result = SubmissionResult(
                id=submission.user_id,
                path=submission.filename,
                sha256=hashlib.sha256(b"%d" % submission.id).hexdigest(),
                status="graded",
                error=None,
                score=sum(t.score for t in tests),
                max_score=sum(t.max_score for t in tests),
                duration_s=0.1,
                tests=tests,
            )
            document = result.to_dict()
            document.update(
                submission_id=submission.id,
                student=submission.user_id,
                submitted_at=submission.submitted_at.isoformat() + "Z",
                late_days=submission.late_days,
            )
        assert queue.finish(
            engine, claimed, document, worker="test-worker", grader_version="t", isolation={}
        )
        done.append(claimed.submission_id)
    return done
