"""How a batch runs: its shared state (plan, cache, reorder window) and the three backends.

See :mod:`grader.batch` for the public API and the choice between the backends.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from grader import __version__
from grader.assignment import Assignment
from grader.cache import ResultCache, assignment_fingerprint, cache_key, file_sha256, relabel
from grader.codehash import grader_code_fingerprint
from grader.internal_error import INTERNAL_ERROR, grader_cannot_go_on, internal_error_result
from grader.results import AssignmentInfo, GradingRun, SubmissionResult
from grader.runner import Grader
from grader.sandbox.host import Zygote

__all__ = [
    "BatchOutcome",
    "BatchSettings",
    "State",
    "run_processes",
    "run_serial",
    "run_threads",
    "sigint_requests_stop",
]

Backend = Literal["auto", "processes", "threads"]
ResultCallback = Callable[[SubmissionResult, bool], None]
_DEFAULT_ISOLATION = {"process": True, "resource_limits": True}


@dataclass(frozen=True)
class BatchSettings:
    """How to run a batch.

    Attributes:
        jobs: submissions graded at once (default: the machine's cores).
        backend: ``processes``, ``threads`` or ``auto`` (processes unless the batch is small).
        visibility: ``all`` checks or only ``visible`` (public) ones.
        cache: where graded results are kept between runs (None: no cache).
        force: regrade even what the cache holds (and refresh the cache).
        window: results allowed to wait for an earlier one (bounds memory); default 16/job.
        strict: refuse to grade (SandboxError) unless every isolation layer is active.
        cluster: grade on Dask instead (:mod:`grader.batch_dask`): ``local:N`` or a
            scheduler address; ``jobs`` and ``backend`` are then unused.
    """

    jobs: int | None = None
    backend: Backend = "auto"
    visibility: str = "all"
    cache: ResultCache | None = None
    force: bool = False
    window: int | None = None
    strict: bool = False
    cluster: str | None = None

    def job_count(self) -> int:
        """The number of parallel jobs to use."""
        return max(1, self.jobs or os.cpu_count() or 1)


@dataclass
class BatchOutcome:
    """What a batch did. ``header`` is the run's metadata (no submissions)."""

    header: GradingRun
    planned: int
    emitted: int = 0  # results passed to the callback
    graded: int = 0  # of those, graded in this run (the rest came from the cache)
    interrupted: bool = False
    isolation: dict[str, bool] = field(default_factory=lambda: dict(_DEFAULT_ISOLATION))


# -- shared state ----------------------------------------------------------------------------


class State:
    """The plan, the cache, the reorder buffer and the counts of one batch."""

    def __init__(
        self,
        assignment: Assignment,
        plan: Sequence[tuple[str, Path]],
        settings: BatchSettings,
        on_result: ResultCallback,
        on_progress: Callable[[bool], None] | None,
    ) -> None:
        self.assignment = assignment
        self.plan = plan
        self.settings = settings
        self.on_result = on_result
        self.on_progress = on_progress
        self.stop = False
        self.isolation: dict[str, bool] = dict(_DEFAULT_ISOLATION)
        self.isolation_warnings: tuple[str, ...] = ()
        self.environment_warnings: tuple[str, ...] = ()  # the instructor's, never a student's
        self.ready: dict[int, tuple[SubmissionResult, bool]] = {}
        self.keys: dict[int, str] = {}
        self.next_emit = 0
        self.emitted = self.graded = 0
        self.good = 0  # results graded here that are not internal errors
        cached = settings.cache is not None
        self.fingerprint = assignment_fingerprint(assignment) if cached else ""
        self.code = grader_code_fingerprint() if cached else ""  # once per run (and process)

    def lookup(self, index: int) -> SubmissionResult | None:
        """The cached result of plan entry ``index`` (relabelled), remembering its key."""
        cache = self.settings.cache
        if cache is None:
            return None
        sid, path = self.plan[index]
        try:
            digest = file_sha256(path)
        except OSError:
            return None  # unreadable: graded (as invalid), never cached
        key = cache_key(
            digest, self.fingerprint, __version__, self.settings.visibility, self.code
        )
        self.keys[index] = key
        if self.settings.force:
            return None
        hit = cache.get(key, digest)
        return None if hit is None else relabel(hit, sid, path)

    def take_cached(self, index: int) -> bool:
        """Queue plan entry ``index`` from the cache if it is there."""
        hit = self.lookup(index)
        if hit is None:
            return False
        self.ready[index] = (hit, True)
        if self.on_progress:
            self.on_progress(True)
        return True

    def graded_one(self, index: int, result: SubmissionResult) -> None:
        """Store a freshly graded result in the cache and queue it for emission."""
        key = self.keys.get(index)
        cache = self.settings.cache
        internal = (result.error or "").startswith(INTERNAL_ERROR)  # regraded when fixed
        # Graded while a required module is missing: regraded once the machine has it.
        lacking = bool(self.environment_warnings)
        if cache is not None and key is not None and result.sha256 and not (internal or lacking):
            cache.put(key, result)
        self.good += not internal
        self.ready[index] = (result, False)
        if self.on_progress:
            self.on_progress(False)

    def emit_ready(self, *, skip_gaps: bool = False) -> None:
        """Emit queued results in plan order (with ``skip_gaps``: all of them, in order)."""
        while self.ready:
            if self.next_emit not in self.ready:
                if not skip_gaps:
                    return
                self.next_emit = min(self.ready)
            result, cached = self.ready.pop(self.next_emit)
            self.next_emit += 1
            self.emitted += 1
            self.graded += not cached
            try:
                self.on_result(result, cached)
            except KeyboardInterrupt:
                self.stop = True
                if skip_gaps:
                    self.ready.clear()

    def take_isolation(self, grader: Grader) -> None:
        """Record the isolation the sandbox reported at start-up, and what it lacks."""
        self.isolation, self.isolation_warnings = _isolation_of(grader)
        self.environment_warnings = _environment_of(grader)

    def finish(self) -> BatchOutcome:
        """The outcome, once everything that will be emitted has been."""
        info = AssignmentInfo(self.assignment.id, self.assignment.title, self.max_score())
        header = GradingRun(
            grader_version=__version__,
            assignment=info,
            isolation=self.isolation,
            isolation_warnings=self.isolation_warnings,
            environment_warnings=self.environment_warnings,
        )
        return BatchOutcome(
            header=header,
            planned=len(self.plan),
            emitted=self.emitted,
            graded=self.graded,
            interrupted=self.stop or self.emitted < len(self.plan),
            isolation=self.isolation,
        )

    def max_score(self) -> float:
        """The most a submission can score with the batch's visibility."""
        checks = self.assignment.select(self.settings.visibility)
        return float(sum(c.spec.points for c in checks))


def _isolation_of(grader: Grader) -> tuple[dict[str, bool], tuple[str, ...]]:
    zygote = getattr(grader, "zygote", None)
    isolation = getattr(zygote, "isolation", None)
    warnings = getattr(zygote, "isolation_warnings", None) or ()
    if isinstance(isolation, dict) and isolation:
        return {str(k): bool(v) for k, v in isolation.items()}, tuple(str(w) for w in warnings)
    return dict(_DEFAULT_ISOLATION), tuple(str(w) for w in warnings)


def _environment_of(grader: Grader) -> tuple[str, ...]:
    return tuple(str(w) for w in getattr(grader, "environment_warnings", ()))


@contextmanager
def sigint_requests_stop(state: State) -> Iterator[None]:
    """While the batch runs, a first Ctrl-C sets ``state.stop``; a second one raises."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield  # someone else handles SIGINT (or ignores it): leave it to them
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        state.stop = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- backends --------------------------------------------------------------------------------


def run_serial(state: State) -> None:
    try:
        with _grader(state) as grader:
            state.take_isolation(grader)
            for index, (sid, path) in enumerate(state.plan):
                if state.stop:
                    break
                if not state.take_cached(index):
                    state.graded_one(index, grader.grade_path(path, sid))
                state.emit_ready()
    except KeyboardInterrupt:
        state.stop = True
    state.emit_ready(skip_gaps=True)


def run_threads(state: State, jobs: int) -> None:
    with _grader(state) as grader:
        state.take_isolation(grader)
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grader") as pool:

            def submit(index: int) -> Future[Any]:
                sid, path = state.plan[index]
                return pool.submit(grader.grade_path, path, sid)

            _schedule(state, pool, submit, jobs)


def _grader(state: State) -> Grader:
    settings = state.settings
    return Grader(state.assignment, visibility=settings.visibility, strict=settings.strict)


def run_processes(state: State, jobs: int) -> None:
    if state.settings.strict:
        # Refuse here, with the SandboxError's message, rather than break the worker pool.
        Zygote(strict=True).close()
    todo: list[int] = list(range(len(state.plan)))
    suspects: list[int] = []
    fruitless = 0  # pools in a row that broke before grading anything
    while (todo or suspects) and not state.stop:
        # A worker process that dies (a crash or the OOM killer, in the grader's own code)
        # breaks the whole pool. Then a fresh pool grades what was in flight one at a time,
        # so the submission that kills a pool again gets an internal-error result alone, and
        # the rest of the batch goes on.
        if fruitless >= 3:
            raise BrokenProcessPool("the grading worker processes keep dying")
        good = state.good
        with _process_pool(state, jobs) as pool:

            def submit(index: int) -> Future[Any]:
                sid, path = state.plan[index]
                return pool.submit(_worker_grade, str(path), sid)

            if suspects:
                _lost, suspects = _schedule(state, pool, submit, jobs, suspects, solo=True)
            else:
                suspects, todo = _schedule(state, pool, submit, jobs, todo)
        fruitless = fruitless + 1 if state.good == good else 0
    state.emit_ready(skip_gaps=state.stop)


def _process_pool(state: State, jobs: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")  # no fork of a threaded grader process
    root = str(state.assignment.root)
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_worker_start,
        initargs=(root, state.settings.visibility, state.settings.strict),
    )


def _schedule(
    state: State,
    pool: Executor,
    submit: Callable[[int], Future[Any]],
    jobs: int,
    todo: Sequence[int] | None = None,
    *,
    solo: bool = False,
) -> tuple[list[int], list[int]]:
    """Keep up to ``window`` submissions in flight or waiting; emit in plan order.

    Grades the plan indices ``todo`` (default: the whole plan); with ``solo``, one at a time.
    If the pool breaks, returns (the indices in flight then, those not started yet); with
    ``solo`` the one in flight gets an internal-error result instead. Otherwise ([], []).
    """
    window = state.settings.window or max(16 * jobs, 32)
    queue = collections.deque(range(len(state.plan)) if todo is None else todo)
    pending: dict[Future[Any], int] = {}
    lost: list[int] = []
    broken = False
    try:
        while (queue or pending) and not state.stop and not lost:
            while queue and (
                not pending if solo else len(pending) + len(state.ready) < window
            ):
                if not state.take_cached(queue[0]):
                    pending[submit(queue[0])] = queue[0]
                queue.popleft()
            state.emit_ready()
            if pending and not state.stop:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    _collect_or_lose(state, pending.pop(future), future, lost, solo)
    except KeyboardInterrupt:
        state.stop = True
    except BrokenExecutor:
        broken = True  # submit() found the pool broken
    finally:
        # Stop starting work; what is running finishes (bounded by its limits) and is kept.
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
    for future, index in pending.items():
        if future.done() and not future.cancelled():
            _collect_or_lose(state, index, future, lost, solo)
    if broken or lost:
        # What never started goes back to the queue (a stop request drops it, as ever).
        queue.extend(index for future, index in pending.items() if future.cancelled())
        state.emit_ready()
        return sorted(lost), sorted(queue)
    state.emit_ready(skip_gaps=state.stop)
    return [], []


def _collect_or_lose(
    state: State, index: int, future: Future[Any], lost: list[int], solo: bool
) -> None:
    """Collect a finished future, unless its pool broke under it: then it is ``lost``."""
    if not solo and isinstance(future.exception(), BrokenExecutor):
        lost.append(index)
    else:
        _collect(state, index, future)


def _collect(state: State, index: int, future: Future[Any]) -> None:
    try:
        value = future.result()
    except Exception as exc:
        # The worker failed outside grade_path's own net (it died, or its result could not
        # be sent back): that submission gets an internal-error result, the batch goes on.
        if grader_cannot_go_on(exc):
            raise
        sid, path = state.plan[index]
        max_score = state.max_score()
        value = internal_error_result(exc, sid, str(path), "", max_score, time.perf_counter())
    if isinstance(value, tuple):  # from a worker: (result, isolation, warnings, environment)
        result, isolation, warnings, environment = value
        if isolation:
            state.isolation, state.isolation_warnings = isolation, warnings
        state.environment_warnings = environment
    else:
        result = value
    state.graded_one(index, result)


# -- worker processes ------------------------------------------------------------------------

_worker_grader: Grader | None = None


def _worker_start(assignment_root: str, visibility: str, strict: bool) -> None:
    """Worker-process initialiser: ignore Ctrl-C (the parent decides), start a Grader."""
    global _worker_grader
    from multiprocessing.util import Finalize

    from grader.assignment import load_assignment

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_grader = Grader(load_assignment(assignment_root), visibility=visibility, strict=strict)
    # Runs when the pool shuts the worker down normally: stops the zygote, removes its files.
    Finalize(_worker_grader, _worker_grader.close, exitpriority=10)


def _worker_grade(
    path: str, submission_id: str
) -> tuple[SubmissionResult, dict[str, bool], tuple[str, ...], tuple[str, ...]]:
    """Grade one submission in a worker process."""
    assert _worker_grader is not None, "worker not initialised"
    start = time.perf_counter()
    try:
        result = _worker_grader.grade_path(path, submission_id)
    except Exception as exc:  # grade_path has its own net; this one is for what it misses
        if grader_cannot_go_on(exc):
            raise
        result = internal_error_result(
            exc, submission_id, path, "", _worker_grader.max_score, start
        )
    isolation, warnings = _isolation_of(_worker_grader)
    return result, isolation, warnings, _environment_of(_worker_grader)
