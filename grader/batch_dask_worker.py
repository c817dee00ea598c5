"""The Dask worker's side of ``grader grade --cluster``: one warm Grader per worker.

:class:`GraderPlugin` carries the assignment as a bundle (a zip and its sha256). Dask hands
the plugin to every worker once, including workers that join or are restarted later; the
worker checks the hash, unpacks the bundle into a private temporary folder and, on its first
submission, starts a :class:`~grader.runner.Grader` (its zygote stays warm for every later
one). Teardown (the batch's end, or the worker's) closes the grader and removes the folder.

:func:`grade_on_worker` grades one submission sent as bytes and returns plain data: the
result's ``to_dict()``, the worker's isolation and warnings. Student code still runs only in
the worker's sandbox child; what travels back is the grader's own result, made in the
worker's trusted process. Errors that stop a batch (``--strict`` refused, a broken assignment)
come back as a ``fatal`` entry for the client to raise, never as a pickled exception.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import signal
import tempfile
import threading
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from distributed import WorkerPlugin, get_worker

from grader import __version__
from grader.errors import AssignmentError, GraderError, InvalidSubmission, SandboxError
from grader.internal_error import grader_cannot_go_on, internal_error_result, invalid_result
from grader.notebook import reads_submission
from grader.runner import Grader

__all__ = ["GraderPlugin", "IgnoreSigint", "grade_on_worker", "unpack_bundle"]


def unpack_bundle(data: bytes, sha256: str, into: Path) -> None:
    """Check ``data`` against ``sha256`` and unpack the zip into the folder ``into``.

    Raises:
        AssignmentError: the bytes do not have that hash, or a member would land outside
            ``into`` (an absolute path or ``..``).
    """
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise AssignmentError(
            f"the assignment bundle received has sha256 {got[:16]}..., not the "
            f"{sha256[:16]}... the client sent: refused"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or not parts:
                raise AssignmentError(f"the assignment bundle has an unsafe member {name!r}")
        archive.extractall(into)


class GraderPlugin(WorkerPlugin):
    """The assignment (a bundle checked by its hash) and a lazily started Grader per worker."""

    def __init__(
        self, bundle: bytes, sha256: str, root: str, visibility: str, strict: bool
    ) -> None:
        self.bundle = bundle
        self.sha256 = sha256
        self.root = root  # the assignment folder, relative to the bundle's top
        self.visibility = visibility
        self.strict = strict
        self.version = __version__  # the client's: a worker running another grader refuses
        self._folder: Path | None = None
        self._grader: Grader | None = None
        self._lock: threading.Lock | None = None

    def setup(self, worker: Any) -> None:
        """Unpack the bundle into a private folder (named after its hash)."""
        if __version__ != self.version:
            raise GraderError(
                f"this worker runs grader {__version__}, its client {self.version}: install "
                "the same version everywhere, or results would differ from a local run"
            )
        self._lock = threading.Lock()
        # In the worker's own scratch space, which Dask purges even after a worker's death.
        scratch = getattr(worker, "local_directory", None)
        folder = Path(
            tempfile.mkdtemp(prefix=f"grader-assignment-{self.sha256[:16]}-", dir=scratch)
        )
        try:
            unpack_bundle(self.bundle, self.sha256, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._folder = folder
        self.bundle = b""  # unpacked: the worker need not keep the bytes

    def grader(self) -> Grader:
        """This worker's Grader, started on first use (raises what Grader() raises)."""
        from grader.assignment import load_assignment

        if self._lock is None or self._folder is None:
            raise GraderError("the assignment bundle was not set up on this worker")
        with self._lock:
            if self._grader is None:
                assignment = load_assignment(self._folder / self.root)
                self._grader = Grader(assignment, visibility=self.visibility, strict=self.strict)
            return self._grader

    def teardown(self, worker: Any) -> None:
        """Stop the grader's zygote and remove the unpacked assignment."""
        grader, self._grader = self._grader, None
        if grader is not None:
            grader.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class IgnoreSigint(WorkerPlugin):
    """For the worker processes of a LocalCluster the batch started: Ctrl-C in the terminal
    reaches them too, and the batch (not they) decides what it means."""

    def setup(self, worker: Any) -> None:
        """Ignore SIGINT (only possible from the worker process's main thread)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def grade_on_worker(plugin: str, submission_id: str, path: str, data: bytes) -> dict[str, Any]:
    """Grade one submission's bytes on this worker with the grader of ``plugin``.

    Returns:
        ``{"result", "isolation", "isolation_warnings", "environment", "worker"}``, all plain
        data; or ``{"fatal": kind, "message": text, "worker"}`` when this worker cannot grade
        at all (its sandbox refused ``--strict``, the assignment is broken).
    """
    worker = get_worker()
    start = time.perf_counter()
    owner = worker.plugins.get(plugin)
    if not isinstance(owner, GraderPlugin):
        raise GraderError(f"the assignment bundle {plugin} is not on worker {worker.address}")
    try:
        grader = owner.grader()
        result = _grade(grader, submission_id, path, data, start)
    except GraderError as exc:  # what stops a batch: sent as words, raised by the client
        kind = "SandboxError" if isinstance(exc, SandboxError) else "AssignmentError"
        return {"fatal": kind, "message": str(exc), "worker": worker.address}
    return {
        "result": result,
        "isolation": grader.isolation,
        "isolation_warnings": list(grader.isolation_warnings),
        "environment": list(grader.environment_warnings),
        "worker": worker.address,
    }


def _grade(grader: Grader, sid: str, path: str, data: bytes, start: float) -> dict[str, Any]:
    """As :meth:`Grader.grade_path` does for a file, for bytes read by the client."""
    try:
        source = reads_submission(data, path, max_bytes=grader.max_bytes)
    except InvalidSubmission as exc:
        digest = hashlib.sha256(data).hexdigest()
        return invalid_result(sid, path, digest, str(exc), grader.max_score, start).to_dict()
    except Exception as exc:
        if grader_cannot_go_on(exc):
            raise
        digest = hashlib.sha256(data).hexdigest()
        return internal_error_result(exc, sid, path, digest, grader.max_score, start).to_dict()
    return grader.grade_source(source, sid, start=start).to_dict()
