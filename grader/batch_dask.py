"""The ``cluster`` backend: grade a batch on Dask distributed (``grader grade --cluster``).

The client (this process) keeps everything the other backends keep: the plan, the cache, the
reorder window, the streamed reports in the plan's order, Ctrl-C. Only the grading moves:

- The assignment travels once per worker, as a zip of its files and their sha256, inside a
  :class:`~grader.batch_dask_worker.GraderPlugin`; each worker checks the hash, unpacks it
  privately and keeps one warm Grader for the whole batch. The plugin is unregistered at the
  end, which closes the graders (a long-lived cluster keeps nothing of the batch).
- Submissions travel as bytes (workers need not share a file system). The client reads each
  file as :func:`~grader.notebook.read_submission` would (regular files only, size cap); a
  file it cannot read gets its invalid result here, as ``grade_path`` would give it.
- Results come back as plain dicts (``SubmissionResult.to_dict()``), with each worker's
  isolation; the run records the weakest isolation seen, and warns when workers differ.
- A worker that dies while grading a submission: Dask runs it again on another worker, up to
  ``distributed.scheduler.allowed-failures`` times (:data:`ALLOWED_FAILURES` on a
  ``local:N`` cluster), then the submission gets an internal-error result (never cached, so
  the next run regrades it) and the batch goes on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.batch_backends import State
from grader.cache import file_sha256
from grader.errors import (
    AssignmentError,
    GraderError,
    InvalidSubmission,
    SandboxError,
    UsageError,
)
from grader.files import open_regular
from grader.internal_error import (
    INTERNAL_ERROR,
    grader_cannot_go_on,
    internal_error_result,
    invalid_result,
)
from grader.notebook import DEFAULT_MAX_BYTES, read_submission
from grader.results import SubmissionResult

# distributed's API is only partly annotated (untyped calls everywhere under mypy --strict):
# its client and futures are handled as Any here, and imported only when a batch runs.
Client = Any
Future = Any

__all__ = [
    "ALLOWED_FAILURES",
    "INSTALL_HINT",
    "SCHEDULER_CONFIG",
    "Bundle",
    "make_bundle",
    "parse_cluster",
    "require_dask",
    "run_cluster",
]

INSTALL_HINT = "pip install 'grader[cluster]'"
ALLOWED_FAILURES = 2  # worker deaths a submission may cause on a local:N cluster, then an error
# The scheduler settings of a local:N cluster (recommended for any cluster, docs/cluster.md).
# A worker's death counts against every task it was assigned, not only the one it was running:
# with saturation 1.0 a worker holds only the submissions it grades (one per thread), so an
# innocent submission queued behind a deadly one is not charged with its deaths.
SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
    # The workers' sampling profiler walks every thread's stack each 10 ms, holding the GIL
    # that grading (Python in the worker's own process) needs.
    "distributed.worker.profile.enabled": False,
}
RETRIES = 1  # a task that raised (not a death: those are counted above) runs once more
_POLL_S = 0.01  # how often the client looks for finished submissions
_SCATTER_FROM = 1 << 20  # submissions larger than this go to the cluster ahead of their task
_LOCAL = re.compile(r"local:([0-9]{1,4})")
_ADDRESS = re.compile(r"(tcp|tls|ws|wss|ucx|inproc)://\S+|[A-Za-z0-9.-]+:[0-9]{1,5}")


def parse_cluster(text: str) -> str:
    """Check a ``--cluster`` value: ``local:N`` (N ≥ 1) or a scheduler address.

    Raises:
        UsageError: anything else, with the forms accepted.
    """
    local = _LOCAL.fullmatch(text)
    if local is not None and int(local.group(1)) >= 1:
        return text
    if local is None and _ADDRESS.fullmatch(text):
        return text
    raise UsageError(
        f"--cluster {text!r}: expected local:N (N worker processes on this machine, N >= 1) "
        "or a Dask scheduler address such as tcp://host:8786"
    )


def require_dask() -> None:
    """Raise a UsageError naming the extra to install when Dask distributed is missing."""
    if importlib.util.find_spec("distributed") is None:
        raise UsageError(
            f"--cluster needs Dask distributed, which is not installed: {INSTALL_HINT}"
        )


@dataclass(frozen=True)
class Bundle:
    """An assignment as bytes: a zip, its sha256, and the assignment folder inside it."""

    data: bytes
    sha256: str
    root: str


def make_bundle(assignment: Assignment) -> Bundle:
    """Zip the assignment as ``grader export gradescope`` ships it (its folder, plus the
    solution and helpers its assignment.toml names outside it), byte for byte reproducible."""
    from grader.export import _add, assignment_files

    base, files = assignment_files(assignment)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in files:
            _add(archive, path.relative_to(base).as_posix(), path.read_bytes())
    data = buffer.getvalue()
    import hashlib

    root = assignment.root.relative_to(base).as_posix()
    return Bundle(data, hashlib.sha256(data).hexdigest(), root)


def run_cluster(state: State, cluster: str) -> None:
    """Grade ``state``'s plan on the Dask cluster ``cluster`` (see :func:`parse_cluster`).

    Raises:
        UsageError: Dask is not installed, or the scheduler cannot be reached.
        SandboxError: a worker's sandbox refused ``--strict`` (or could not start).
        AssignmentError: a worker could not load the assignment.
    """
    require_dask()
    from grader.batch_dask_worker import GraderPlugin

    cluster = parse_cluster(cluster)
    bundle = make_bundle(state.assignment)
    settings = state.settings
    plugin = GraderPlugin(
        bundle.data, bundle.sha256, bundle.root, settings.visibility, settings.strict
    )
    name = f"grader-{bundle.sha256[:16]}-{uuid.uuid4().hex[:8]}"
    with _client(cluster) as client:
        try:
            _register(client, plugin, name, cluster)
            _ClusterBatch(state, client, name).run()
        finally:
            # Closes the workers' graders. Best effort: if the scheduler is gone, so is the
            # plugin, and the error that matters is the one already on its way.
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(name)


def _register(client: Client, plugin: Any, name: str, cluster: str) -> None:
    """Hand the assignment to every worker (now and joining later); they check it."""
    try:
        client.register_plugin(plugin, name=name)
    except GraderError:
        raise  # a worker refused the bundle or its grader version: said in its words
    except Exception as exc:  # e.g. a worker without the grader cannot unpickle it
        raise UsageError(
            f"--cluster {cluster}: the Dask workers could not take the assignment "
            f"({type(exc).__name__}: {exc}); each needs grader[cluster] installed, the "
            "same version as here"
        ) from None


@contextmanager
def _client(cluster: str) -> Iterator[Client]:
    """A client of the scheduler at ``cluster``, or of a LocalCluster started (and closed)."""
    import dask
    import distributed

    from grader.batch_dask_worker import IgnoreSigint

    connect: Any = distributed.Client
    start_cluster: Any = distributed.LocalCluster

    local = _LOCAL.fullmatch(cluster)
    if local is None:
        try:
            client = connect(cluster, timeout="20s")
        except (OSError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            raise UsageError(
                f"--cluster {cluster}: cannot reach the Dask scheduler ({reason})"
            ) from None
        with client:
            yield client
        return
    with dask.config.set(SCHEDULER_CONFIG):
        lc = start_cluster(
            n_workers=int(local.group(1)),
            threads_per_worker=1,
            processes=True,
            # No dashboard; the scheduler's HTTP server (health, metrics) on a free port,
            # not on 8787, which another cluster may hold.
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
        )
    with lc, connect(lc) as client:
        client.register_plugin(IgnoreSigint(), name="grader-ignore-sigint")
        yield client


class _ClusterBatch:
    """The submit/collect loop of one batch on one client."""

    def __init__(self, state: State, client: Client, plugin: str) -> None:
        self.state = state
        self.client = client
        self.plugin = plugin
        self.run_id = uuid.uuid4().hex[:12]
        self.workers: dict[str, dict[str, bool]] = {}
        self.isolation_warnings: dict[str, None] = {}
        self.environment: dict[str, None] = {}
        self.draining = False  # stopping: cancelled submissions are expected
        threads = sum(client.nthreads().values())
        self.window = state.settings.window or max(16 * threads, 32)

    def run(self) -> None:
        """Keep up to ``window`` submissions in flight or waiting; emit in plan order."""
        state = self.state
        todo = deque(range(len(state.plan)))
        pending: dict[str, tuple[Future, int]] = {}
        try:
            while (todo or pending) and not state.stop:
                batch: list[tuple[int, Any]] = []
                while todo and len(pending) + len(state.ready) + len(batch) < self.window:
                    if not state.take_cached(todo[0]):
                        payload = self.payload(todo[0])
                        if payload is not None:
                            batch.append((todo[0], payload))
                    todo.popleft()
                for future, (index, _) in zip(self.submit(batch), batch, strict=True):
                    pending[future.key] = (future, index)
                state.emit_ready()
                if pending and not state.stop:
                    self.collect_finished(pending, timeout=0.25)
        except KeyboardInterrupt:
            state.stop = True
        except BaseException:
            self.client.cancel([f for f, _ in pending.values()])
            raise
        self.drain(pending)
        state.emit_ready(skip_gaps=state.stop)

    def payload(self, index: int) -> Any:
        """Plan entry ``index``'s bytes (large ones already sent to the cluster), or None
        when the file cannot be read: then the client has graded it, as ``grade_path`` would."""
        sid, path = self.state.plan[index]
        data = read_bytes(path, sid, self.state.max_score())
        if isinstance(data, SubmissionResult):
            self.state.graded_one(index, data)
            return None
        if len(data) > _SCATTER_FROM:
            return self.client.scatter(data, hash=False)
        return data

    def submit(self, batch: list[tuple[int, Any]]) -> list[Future]:
        """Send (index, payload) entries to the cluster in one message.

        Together, a batch's tasks are many more than the cluster's threads, which makes the
        scheduler queue them and hand a worker a new one only when it is free: a worker's
        death is then charged to the one submission it was grading.
        """
        from grader.batch_dask_worker import grade_on_worker

        if not batch:
            return []
        plan = self.state.plan
        futures: list[Future] = self.client.map(
            grade_on_worker,
            [self.plugin] * len(batch),
            [plan[index][0] for index, _ in batch],
            [str(plan[index][1]) for index, _ in batch],
            [payload for _, payload in batch],
            key=[f"grade-{self.run_id}-{index}" for index, _ in batch],
            retries=RETRIES,
            pure=False,
        )
        return futures

    def collect_finished(self, pending: dict[str, tuple[Future, int]], timeout: float) -> None:
        """Collect what finished, waiting up to ``timeout`` seconds for the first one.

        Polled: a done-callback per future costs a thread-pool hand-off each in this process
        (which, for ``local:N``, also hosts the scheduler, competing with the workers' CPU).
        """
        deadline = time.monotonic() + timeout
        while True:
            done = [future for future, _ in pending.values() if future.done()]
            if done or time.monotonic() >= deadline:
                break
            time.sleep(_POLL_S)
        mine = [(f, pending.pop(f.key)[1]) for f in done]
        # One round trip for every finished result, rather than one each.
        ok = [(f, index) for f, index in mine if f.status == "finished"]
        replies = self.client.gather([f for f, _ in ok], errors="skip") if ok else []
        if len(replies) == len(ok):
            gathered = {index: reply for (_, index), reply in zip(ok, replies, strict=True)}
        else:  # a result could not be fetched: each is asked for on its own below
            gathered = {}
        for future, index in sorted(mine, key=lambda entry: entry[1]):
            self.collect(index, future, gathered.get(index))

    def collect(self, index: int, future: Future, reply: Any = None) -> None:
        """Turn one finished future (or its ``reply``, already fetched) into the plan entry's
        result, or stop the batch."""
        from distributed import KilledWorker

        state = self.state
        sid, path = state.plan[index]
        start = time.perf_counter()
        try:
            reply = future.result() if reply is None else reply
        except CancelledError:
            if self.draining:
                return  # never graded: the next run grades it
            raise GraderError(
                f"the Dask cluster dropped the grading of {sid} (was its scheduler restarted "
                "or lost?); what was graded is cached: run the batch again to finish it"
            ) from None
        except KilledWorker as exc:
            state.graded_one(index, _died(exc, sid, str(path), state.max_score(), start))
            return
        except Exception as exc:
            if grader_cannot_go_on(exc):
                raise
            result = internal_error_result(exc, sid, str(path), "", state.max_score(), start)
            state.graded_one(index, result)
            return
        if "fatal" in reply:
            kind = SandboxError if reply["fatal"] == "SandboxError" else AssignmentError
            raise kind(f"on Dask worker {reply['worker']}: {reply['message']}")
        self.note_worker(reply)
        state.graded_one(index, SubmissionResult.from_dict(reply["result"]))

    def note_worker(self, reply: dict[str, Any]) -> None:
        """Record a worker's isolation: the run keeps the weakest, and warns if they differ."""
        for warning in reply["isolation_warnings"]:
            self.isolation_warnings.setdefault(str(warning), None)
        for warning in reply["environment"]:
            self.environment.setdefault(str(warning), None)
        isolation = {str(k): bool(v) for k, v in reply["isolation"].items()}
        self.workers[str(reply["worker"])] = isolation
        layers = dict.fromkeys(k for worker in self.workers.values() for k in worker)
        weakest = {k: all(w.get(k, False) for w in self.workers.values()) for k in layers}
        warnings = list(self.isolation_warnings)
        if any(w != weakest for w in self.workers.values()):
            lacking = ", ".join(k for k, v in weakest.items() if not v)
            warnings.append(
                "the Dask workers' sandboxes differ (some lack: "
                f"{lacking}); the results record the weakest isolation"
            )
        state = self.state
        state.isolation, state.isolation_warnings = weakest, tuple(warnings)
        state.environment_warnings = tuple(self.environment)

    def drain(self, pending: dict[str, tuple[Future, int]]) -> None:
        """After a stop request: what is being graded finishes and is kept; the rest is
        cancelled (graded by the next run)."""
        if not pending:
            return
        self.draining = True
        running = self.running(list(pending))
        self.client.cancel([f for key, (f, _) in pending.items() if key not in running])
        from distributed import wait as wait_for

        wait: Any = wait_for
        kept = [pending[key] for key in running]
        try:
            wait([future for future, _ in kept])  # each is bounded by the sandbox's limits
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            self.client.cancel([future for future, _ in kept])
            return
        for future, index in sorted(kept, key=lambda entry: entry[1]):
            self.collect(index, future)

    def running(self, keys: list[str]) -> set[str]:
        """The keys among ``keys`` that a worker is running (or has finished)."""
        try:
            found = self.client.run_on_scheduler(_processing, keys)
        except Exception:
            return set()  # the scheduler would not say: cancel everything
        return {str(k) for k in found}


def _processing(keys: list[str], dask_scheduler: Any = None) -> list[str]:
    """Run on the scheduler: which of ``keys`` are on a worker or done."""
    tasks = dask_scheduler.tasks
    return [k for k in keys if k in tasks and tasks[k].state in ("processing", "memory", "erred")]


def read_bytes(path: Path, sid: str, max_score: float) -> bytes | SubmissionResult:
    """A submission's bytes, read as :func:`~grader.notebook.read_submission` reads them,
    or the invalid result :meth:`~grader.runner.Grader.grade_path` gives a file it cannot read."""
    start = time.perf_counter()
    try:
        with open_regular(str(path)) as handle:
            if os.fstat(handle.fileno()).st_size <= DEFAULT_MAX_BYTES:
                data = handle.read(DEFAULT_MAX_BYTES + 1)
                if len(data) <= DEFAULT_MAX_BYTES:
                    return data
    except OSError:
        pass  # the reader says why, in its words
    try:
        read_submission(str(path), max_bytes=DEFAULT_MAX_BYTES)
        reason = "the file changed while it was being read; grade it again"
    except InvalidSubmission as exc:
        reason = str(exc)
    except Exception as exc:
        if grader_cannot_go_on(exc):
            raise
        return internal_error_result(exc, sid, str(path), "", max_score, start)
    return invalid_result(sid, path, _sha256_or_empty(path), reason, max_score, start)


def _sha256_or_empty(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return ""


def _died(exc: Exception, sid: str, path: str, max_score: float, start: float) -> SubmissionResult:
    """The result of a submission during whose grading every worker that tried it died."""
    tries = getattr(exc, "allowed_failures", ALLOWED_FAILURES) + 1
    worker = getattr(getattr(exc, "last_worker", None), "address", "?")
    error = (
        f"{INTERNAL_ERROR} the grading worker died {tries} times while grading it (the last "
        f"was {worker}): a crash or the memory limit of the grader's own process, not of the "
        "submission's code, which runs in a sandbox. The other submissions are not affected; "
        "the next run grades it again"
    )
    return invalid_result(sid, path, "", error, max_score, start)
