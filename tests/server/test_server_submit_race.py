"""Simultaneous uploads of one student cannot both pass the submission limit."""

from __future__ import annotations

import threading
from pathlib import Path

from apikit import NOTEBOOK, PLANAR, course, people, rows
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from grader.server.models import User
from grader.server.submit import Refused, accept


def test_racing_uploads_never_exceed_the_submission_limit(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    where = course(tmp_path, max_submissions=2)
    start = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(number: int) -> None:
        with Session(engine, expire_on_commit=False) as db:
            user = db.get(User, "alice")
            assert user is not None
            db.rollback()  # each upload starts its own transaction at the barrier
            start.wait()
            try:
                accept(db, where, user, PLANAR, f"a{number}.ipynb", NOTEBOOK)
                outcome = "accepted"
            except Refused as refused:
                outcome = str(refused.status)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["429"] * 4 + ["accepted"] * 2
    assert rows(engine)[0] == 2
