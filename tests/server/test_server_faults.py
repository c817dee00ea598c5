"""Kill -9 a worker, then the whole server, during a burst: every accepted upload is graded
exactly once after restart. On SQLite and on PostgreSQL, with the real `grader serve`."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from live import LiveServer, upload
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.server import accounts, db
from grader.server.models import Job, Result, Submission

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"

pytestmark = pytest.mark.slow


def _tokens(url: str, count: int) -> list[str]:
    """One student per upload: a burst of a class, not one student against the rate limit."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    tokens = []
    with Session(engine) as session:
        for i in range(count):
            user = accounts.add_user(session, f"s{i:03d}", "student")
            tokens.append(accounts.new_api_token(session, user))
        session.commit()
    engine.dispose()
    return tokens


def _burst(server: LiveServer, tokens: list[str], accepted: list[int]) -> None:
    files = [EXAMPLES / n for n in ("alice.ipynb", "bob.ipynb", "carol.ipynb", "frank.py")]
    for i, token in enumerate(tokens):
        path = files[i % len(files)]
        try:
            status, body = upload(server.port, token, PLANAR, path.name, path.read_bytes(), 10)
        except OSError:
            return  # the server was killed under us: later uploads cannot be accepted
        if status == 202:
            accepted.append(int(body["id"]))


def _state(url: str) -> tuple[set[int], int, int, int, int]:
    """(submissions with a result, results, jobs, jobs not done, submissions)."""
    engine = db.make_engine(url)
    with Session(engine) as session:
        graded = set(session.scalars(select(Result.submission_id)))
        results = session.scalar(select(func.count(Result.id))) or 0
        jobs = session.scalar(select(func.count(Job.id))) or 0
        undone = session.scalar(select(func.count(Job.id)).where(Job.status != "done")) or 0
        submissions = session.scalar(select(func.count(Submission.id))) or 0
    engine.dispose()
    return graded, results, jobs, undone, submissions


def test_kill9_of_a_worker_and_the_server_loses_nothing(db_url: str, tmp_path: Path) -> None:
    tokens = _tokens(db_url, 40)
    args = ["--db", db_url, "--workers", "2", "--lease", "5"]
    server = LiveServer(tmp_path, args).start()
    server.wait_workers_ready(2)
    accepted: list[int] = []
    sender = threading.Thread(target=_burst, args=(server, tokens, accepted))
    sender.start()
    deadline = time.monotonic() + 60
    while len(accepted) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)  # one worker dies in the middle of a submission
    while len(accepted) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()  # then the machine loses power
    sender.join()
    assert len(accepted) >= 20

    restarted = LiveServer(tmp_path, args).start()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and _state(db_url)[3] > 0:
            time.sleep(0.5)
    finally:
        restarted.stop()
    graded, results, jobs, undone, submissions = _state(db_url)
    assert undone == 0
    assert set(accepted) <= graded
    # one job per submission, one result per job: committed but unanswered uploads too
    assert results == jobs == submissions == len(graded)
