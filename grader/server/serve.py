"""``grader serve``: the web server in this process, grading workers in child processes.

The database is brought up to date first (Alembic), and the leases of this host's workers
that died with an earlier server are expired, so what they held is graded again at once. Each
worker is a ``grader worker`` process (the same program other machines run); a supervisor
thread restarts any that exits. Workers die with the server (``PR_SET_PDEATHSIG``) and a
SIGTERM lets them finish the submission in hand.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader import load_assignment
from grader.server.course import Course, demo_course, load_course
from grader.server.db import default_url, make_engine, normalise_url, server_secret, upgrade
from grader.server.queue import expire_dead_local_leases

__all__ = ["ServeOptions", "WorkerPool", "open_course", "pid_alive", "serve"]

log = logging.getLogger("grader.server")


def open_course(folder: str | None, db_url: str | None) -> tuple[Course, str]:
    """The course (``folder``'s course.toml, or the demo course) and its database URL.

    The default database is ``grader.db`` in the course folder, or in the current folder for
    the demo course.
    """
    course = load_course(folder) if folder else demo_course(Path.cwd())
    url = normalise_url(db_url) if db_url else default_url(course.root)
    return course, url


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class ServeOptions:
    """What ``grader serve`` was asked for."""

    course_dir: str | None
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    strict: bool = False
    lease_s: float = 60.0
    extra_worker_args: Sequence[str] = field(default_factory=tuple)


class WorkerPool:
    """``count`` worker processes, each restarted when it exits, until :meth:`stop`."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * options.workers
        self._started: list[float] = [0.0] * options.workers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, daemon=True)

    def command(self) -> list[str]:
        """The command line of one worker."""
        options = self.options
        cmd = [sys.executable, "-m", "grader", "worker"]
        if options.course_dir:  # else the demo course, from the same current folder
            cmd.append(str(Path(options.course_dir).resolve()))
        cmd += ["--db", options.db_url, "--lease", str(options.lease_s)]
        cmd += ["--parent", str(os.getpid())]
        if options.strict:
            cmd.append("--strict")
        return [*cmd, *options.extra_worker_args]

    def start(self) -> None:
        """Start every worker and the supervisor."""
        for slot in range(len(self._procs)):
            self._spawn(slot)
        self._thread.start()

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [p.pid for p in self._procs if p is not None and p.poll() is None]

    def _spawn(self, slot: int) -> None:
        self._procs[slot] = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL)
        self._started[slot] = time.monotonic()

    def _supervise(self) -> None:
        while not self._stop.wait(0.5):
            for slot, proc in enumerate(self._procs):
                if proc is None or proc.poll() is None or self._stop.is_set():
                    continue
                # a worker that keeps dying (a broken install) is restarted every 10 s at most
                if time.monotonic() - self._started[slot] < 10.0:
                    continue
                log.warning("worker %d exited with %s; restarting it", proc.pid, proc.returncode)
                self._spawn(slot)

    def stop(self, grace_s: float = 30.0) -> None:
        """SIGTERM every worker (each finishes its submission), then kill what remains."""
        self._stop.set()
        live = [p for p in self._procs if p is not None and p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def serve(options: ServeOptions, course: Course) -> int:
    """Run the server until interrupted; returns an exit code."""
    import uvicorn

    from grader.server.app import create_app

    for entry in course.assignments.values():  # a broken assignment stops here, not per upload
        load_assignment(entry.path)
    _check_port(options.host, options.port)
    engine = make_engine(options.db_url)
    upgrade(engine)
    expired = expire_dead_local_leases(engine, socket.gethostname(), pid_alive)
    if expired:
        print(f"grader serve: {expired} submission(s) left by stopped workers will be graded again")
    app = create_app(engine, course, secret=server_secret(engine))
    pool = WorkerPool(options)
    names = ", ".join(course.assignments)
    print(
        f"grader serve: {course.title} ({names})\n"
        f"  database  {_shown(options.db_url)}\n"
        f"  workers   {options.workers}\n"
        f"  open      http://{options.host}:{options.port}/",
        flush=True,
    )
    pool.start()
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        pool.stop()
        engine.dispose()
    return 0


def _check_port(host: str, port: int) -> None:
    """A clear message for a port in use, before any worker starts."""
    from grader.errors import UsageError

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): another server may be "
            "running there; choose another with --port"
        ) from None


def _shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
