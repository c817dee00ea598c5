"""``grader worker``: one grading worker process, until SIGTERM or SIGINT.

Started by ``grader serve`` (which passes ``--parent``: the worker then dies with it) or by
hand on another machine with ``--db postgresql://...``. It never migrates the database; it
refuses to start on one that is not at this grader's schema.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading

from grader.errors import UsageError
from grader.server.course import Course
from grader.server.db import current_revision, head_revision, make_engine
from grader.server.worker import Worker

__all__ = ["run_worker"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux); else poll for it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def run_worker(
    course: Course,
    db_url: str,
    *,
    lease_s: float,
    strict: bool = False,
    parent: int | None = None,
    poll_s: float = 0.1,
) -> int:
    """Grade jobs until told to stop; returns an exit code."""
    logging.basicConfig(level=logging.WARNING, format="grader worker: %(message)s")
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if parent is not None:
        _die_with_parent(parent)
    engine = make_engine(db_url, survive_power_loss=False)  # see make_engine
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise UsageError(
            f"the database is at schema {have or 'none'}, this grader needs {want}: "
            "run `grader db upgrade --db URL` (or start `grader serve`) first"
        )

    def should_stop() -> bool:
        return stop.is_set() or (parent is not None and os.getppid() != parent)

    with Worker(engine, course, lease_s=lease_s, strict=strict) as worker:
        worker.warm()
        print(f"grader worker: {worker.name} grading {course.title}", file=sys.stderr, flush=True)
        worker.run(should_stop, poll_s=poll_s)
    engine.dispose()
    return 0
