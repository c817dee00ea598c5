"""The durable queue: claims under a lease, exactly one result per job, on both databases."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from grader.server import accounts, queue
from grader.server.course import demo_course
from grader.server.models import Job, Result
from grader.server.submit import accept

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"


def _submit(engine: Engine, tmp_path: Path, count: int) -> list[int]:
    course = demo_course(tmp_path)
    data = (EXAMPLES / "alice.ipynb").read_bytes()
    with Session(engine, expire_on_commit=False) as session:
        user = accounts.add_user(session, "alice", "student")
        session.commit()
        return [accept(session, course, user, PLANAR, f"a{i}.ipynb", data).id for i in range(count)]


def _doc(score: float = 1.0) -> dict[str, object]:
    return {"status": "graded", "score": score, "max_score": 1.0}


def test_jobs_are_claimed_oldest_first_and_once(engine: Engine, tmp_path: Path) -> None:
    ids = _submit(engine, tmp_path, 3)
    claims = [queue.claim(engine, f"w{i}", 60) for i in range(4)]
    assert [c.submission_id for c in claims if c] == ids
    assert claims[3] is None


def test_concurrent_claims_never_share_a_job(engine: Engine, tmp_path: Path) -> None:
    _submit(engine, tmp_path, 20)
    got: list[int] = []
    lock = threading.Lock()

    def drain(name: str) -> None:
        while (c := queue.claim(engine, name, 60)) is not None:
            with lock:
                got.append(c.job_id)

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(set(got)) and len(got) == 20


def test_an_expired_lease_is_claimed_again_and_the_first_holder_cannot_finish(
    engine: Engine, tmp_path: Path
) -> None:
    _submit(engine, tmp_path, 1)
    first = queue.claim(engine, "w1", 60)
    assert first is not None
    assert queue.claim(engine, "w2", 60) is None  # leased
    with engine.begin() as connection:  # the lease runs out
        connection.execute(
            update(Job).values(lease_expires_at=dt.datetime(2000, 1, 1))
        )
    second = queue.claim(engine, "w2", 60)
    assert second is not None and second.job_id == first.job_id and second.attempts == 2
    assert not queue.renew(engine, first, 60)
    assert not queue.finish(engine, first, _doc(), worker="w1", grader_version="x", isolation={})
    assert queue.finish(engine, second, _doc(), worker="w2", grader_version="x", isolation={})
    assert not queue.finish(engine, second, _doc(), worker="w2", grader_version="x", isolation={})
    with Session(engine) as session:
        assert session.scalar(select(func.count(Result.id))) == 1
        assert session.scalar(select(Job.status)) == "done"


def test_a_released_job_is_claimed_again(engine: Engine, tmp_path: Path) -> None:
    _submit(engine, tmp_path, 1)
    first = queue.claim(engine, "w1", 60)
    assert first is not None
    queue.release(engine, first)
    again = queue.claim(engine, "w2", 60)
    assert again is not None and again.job_id == first.job_id


def test_dead_local_workers_leases_expire_at_once(engine: Engine, tmp_path: Path) -> None:
    _submit(engine, tmp_path, 2)
    dead = queue.claim(engine, "thishost:999999", 3600)
    live = queue.claim(engine, f"thishost:{os.getpid()}", 3600)
    assert dead is not None and live is not None
    alive = {os.getpid()}
    assert queue.expire_dead_local_leases(engine, "thishost", lambda pid: pid in alive) == 1
    again = queue.claim(engine, "w3", 60)
    assert again is not None and again.job_id == dead.job_id
    assert queue.claim(engine, "w4", 60) is None


def test_regrades_wait_behind_first_gradings(engine: Engine, tmp_path: Path) -> None:
    ids = _submit(engine, tmp_path, 1)
    with Session(engine) as session:
        queue.enqueue(session, ids[0], regrade_id=None)
        session.commit()
        session.execute(update(Job).where(Job.id == 1).values(priority=1))
        session.commit()
    first = queue.claim(engine, "w", 60)
    assert first is not None and first.job_id == 2
