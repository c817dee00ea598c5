"""The grader's side of the sandbox: the zygote process and the children it forks.

Only this module starts processes. Everything that comes back from a child is decoded by
:mod:`wire` into plain data; a child that misbehaves is killed (its whole process group,
with SIGKILL, from outside) and reported as a :class:`ChildFailure`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from grader.errors import SandboxError
from grader.sandbox import frames, memcg, runtime, wire
from grader.sandbox.isolation import read_probe
from grader.sandbox.limits import Limits
from grader.sandbox.sandboxenv import clean_env

__all__ = ["ChildFailure", "ChildProcess", "Zygote", "describe_status"]

# The zygote imports the sandbox from a copy in its private temporary root (its working
# directory), and reads its configuration from the control socket: nothing on its command
# line, which every child inherits, names the grader's or the assignment's folders.
_BOOT = (
    f"import os, sys; sys.path.insert(0, os.path.join(os.getcwd(), {runtime.RUNTIME_DIR!r})); "
    "from grader.sandbox.zygote import main; main()"
)
_UID_FIRST, _UID_SLOTS, _UID_SPAN = 2_000_000_000, 20_000, 10_000


def _is_callback(frame: object, request_id: str) -> bool:
    """A stand-in's request during the call ``request_id`` (anything else is the reply)."""
    return type(frame) is dict and frame.get("op") == "callback" and frame.get("id") == request_id


class ChildFailure(Exception):
    """A child did not answer: ``kind`` is timeout, crash, exit, too_large or corrupt."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def describe_status(status: int | None, oom: bool = False) -> tuple[str, str]:
    """Turn a wait status into (kind, student-facing reason).

    ``oom``: the kernel's OOM killer acted in the child's memory cgroup.
    """
    if status is None:
        return "crash", "the process ended without a result"
    code = os.waitstatus_to_exitcode(status)
    if oom and code == -signal.SIGKILL:
        return "memory", (
            "was stopped for exceeding the memory limit (which counts all the memory its "
            "processes hold, shared memory, memfds and files in its working directory too)"
        )
    if code >= 0:
        return "exit", f"exited without a result (exit status {code})"
    sig = -code
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    if sig == signal.SIGXCPU:
        return "timeout", "exceeded the CPU time limit (SIGXCPU)"
    if sig == signal.SIGXFSZ:
        return "crash", "exceeded the file size limit (SIGXFSZ)"
    return "crash", f"crashed ({name})"


class ChildProcess:
    """One forked child, serving requests over its channel until killed."""

    def __init__(self, pid: int, sock: socket.socket, status_fd: int, workdir: str) -> None:
        self.pid = pid
        self.sock = sock
        self.status_fd = status_fd
        self.workdir = workdir
        self.closed = False
        self.reaped = False
        self._reader = frames.FrameReader(sock)
        self._nonce = secrets.token_hex(8)
        self._requests = 0
        # A pidfd keeps naming this child even after its pid is recycled (the zygote reaps it).
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = -1

    def request(
        self,
        message: dict[str, Any],
        timeout: float,
        max_bytes: int,
        *,
        serve: Callable[[dict[str, Any]], bytes] | None = None,
        max_callbacks: int = 0,
    ) -> dict[str, Any]:
        """Send one request and wait for its reply; kill the child on any failure.

        Every reply must echo the request's ``id``: a frame that student code wrote to the
        channel itself, or a stale reply left by an earlier call, fails as *corrupt*, and so
        does any byte that follows a reply. After a failure the child is killed, never asked
        again, so nothing it wrote can be read as the answer to a later call.

        With ``serve``, the child may send, before its reply, up to ``max_callbacks`` frames
        ``{"op": "callback", "id": <the request's>, ...}`` (a stand-in asking for the
        exercise's function): each is answered with the bytes ``serve`` returns. Their time
        counts against ``timeout``, like the child's own.
        """
        self._requests += 1
        request_id = f"{self._nonce}:{self._requests}"
        deadline = time.monotonic() + timeout
        try:
            payload = wire.encode({**message, "id": request_id}, max_bytes=1 << 40)
            self._send(payload, deadline)
            callbacks = 0
            while True:
                frame = self._reader.recv(max_bytes=max_bytes, deadline=deadline)
                if frame is None:
                    raise ChildFailure(*describe_status(*self._kill_and_wait()))
                reply = wire.decode(frame, max_bytes=max_bytes)
                if serve is None or not _is_callback(reply, request_id):
                    break
                callbacks += 1
                if callbacks > max_callbacks:
                    self.kill()
                    raise ChildFailure(
                        "callbacks",
                        f"called the exercise's functions more than {max_callbacks} times in "
                        "one call",
                    )
                answer = serve(reply)
                if time.monotonic() > deadline:
                    raise TimeoutError
                self._send(answer, deadline)
            trailing = self._pending()
        except TimeoutError:
            self.kill()
            raise ChildFailure("timeout", f"timed out after {timeout:g} s") from None
        except wire.WireError as exc:
            self.kill()
            raise ChildFailure(exc.kind, exc.message) from None
        except OSError:
            raise ChildFailure(*describe_status(*self._kill_and_wait())) from None
        if (
            type(reply) is not dict
            or type(reply.get("status")) is not str
            or reply.get("id") != request_id
            or trailing
        ):
            self.kill()
            raise ChildFailure("corrupt", "the sandbox sent a malformed reply")
        return reply

    def _send(self, payload: bytes, deadline: float) -> None:
        # A child that stops reading (stopped, or busy in a thread of the student's) must
        # not block us forever on a payload larger than the socket's buffer. Most frames
        # (a call-back's answer) fit the buffer whole: one send that cannot block, without
        # switching the socket to a timeout and back (two syscalls) for each.
        data = frames.frame(payload)
        try:
            sent = self.sock.send(data, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):
            return
        self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            self.sock.sendall(memoryview(data)[sent:])
        finally:
            self.sock.settimeout(None)

    def _pending(self) -> bool:
        """True when bytes are waiting after a reply (the child sends nothing unasked)."""
        return self._reader.pending()

    def kill(self) -> None:
        """SIGKILL the child's whole process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def _kill_and_wait(self, timeout: float = 2.0) -> tuple[int | None, bool]:
        # The channel closed: the child is dead or dying. Kill whatever is left of its group,
        # then read the status the zygote reports when it reaps the child.
        self.kill()
        deadline = time.monotonic() + timeout
        data = b""
        while time.monotonic() < deadline:
            if not frames.readable(self.status_fd, deadline - time.monotonic()):
                break
            chunk = os.read(self.status_fd, 64)
            if not chunk:
                break
            data += chunk
        self.reaped = bool(data)
        # "<wait status>", or "<wait status> oom" after the OOM killer acted in its cgroup.
        words = data.decode(errors="replace").split()
        try:
            status = int(words[0])
            os.waitstatus_to_exitcode(status)  # a status a process can have, or ValueError
        except (ValueError, OverflowError, IndexError):
            return None, False
        return status, words[1:] == ["oom"]

    def close(self) -> None:
        """Kill the child, release its descriptors and remove its working directory."""
        if self.closed:
            return
        self.closed = True
        self.kill()
        self.sock.close()
        os.close(self.status_fd)
        if self.pidfd >= 0:
            os.close(self.pidfd)
        shutil.rmtree(self.workdir, ignore_errors=True)


class Zygote:
    """A pre-warmed interpreter (numpy and helper modules imported) that forks children.

    Args:
        helpers: modules copied next to the student's code (read-only to it).
        start_timeout: seconds to wait for the zygote to be ready.
        strict: raise :class:`SandboxError` unless every isolation layer is active.
        disable: layers to leave off on purpose (benchmarks, debugging); see
            :data:`grader.sandbox.isolation.LAYERS`.
        private: files and folders student code must never read (the assignment's folder,
            its solution); the start-up probe checks they are unreadable. The helpers'
            folders and the grader's source checkout (when it runs from one) are added.

    Children run as uids from :attr:`uids`, a range private to this zygote.
    After start-up, :attr:`isolation` maps each layer to whether the probe found it active,
    and :attr:`isolation_warnings` says, for each missing one, why and what it means.
    """

    def __init__(
        self,
        helpers: Sequence[Path] = (),
        *,
        start_timeout: float = 60.0,
        strict: bool = False,
        disable: Collection[str] = (),
        prewarm: Sequence[str] = (),
        private: Sequence[Path] = (),
    ) -> None:
        self.helpers = [Path(h) for h in helpers]
        self.prewarm = [m for m in prewarm if all(p.isidentifier() for p in m.split("."))]
        self.start_timeout = start_timeout
        self.strict = strict
        self.disable = sorted(disable)
        self.isolation: dict[str, bool] = {}
        self.isolation_warnings: list[str] = []
        # A private uid range per zygote: concurrent graders on one machine never share a uid,
        # so RLIMIT_NPROC and signal permissions separate their children too.
        first = _UID_FIRST + secrets.randbelow(_UID_SLOTS) * _UID_SPAN
        self.uids = range(first, first + _UID_SPAN)
        self._deny = sorted(
            {
                *runtime.private_roots(),
                *runtime.installation_files(),
                *(str(Path(h).resolve().parent) for h in helpers),
                *(str(Path(p).resolve()) for p in private),
            }
        )
        self.root = tempfile.mkdtemp(prefix="grader-")
        self.lib = os.path.join(self.root, "lib")
        os.mkdir(self.lib)
        runtime.copy_runtime(self.root)
        for helper in self.helpers:
            shutil.copy(helper, os.path.join(self.lib, helper.name))
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._cgroup = ""
        self._old_cgroups: list[str] = []
        self._start()
        missing = [name for name, active in self.isolation.items() if not active]
        if strict and missing:
            self.close()
            raise SandboxError(
                "strict mode: isolation layers missing: " + "; ".join(self.isolation_warnings)
            )

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = json.dumps(
            {
                "lib": self.lib,
                "deny_roots": self._deny,
                "disabled": self.disable,
                "prewarm": self.prewarm,
                "uid_base": self.uids.start,
            }
        ).encode()
        log = open(os.path.join(self.root, "zygote.log"), "ab")  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=clean_env(self.root),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.root,
                start_new_session=True,
            )
        finally:
            theirs.close()
            log.close()
        ours.settimeout(self.start_timeout)
        self._ctl = ours
        try:
            ours.send(config)
            ready = json.loads(ours.recv(4096) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if not ready.get("ready"):
            self.close()
            raise SandboxError(f"the sandbox helper process did not start (see {self.root})")
        ours.settimeout(10.0)
        self.isolation, self.isolation_warnings = read_probe(ready)
        group = ready.get("cgroup")
        if isinstance(group, str) and os.path.basename(group) == f"grader-{self._proc.pid}":
            self._cgroup = group

    def spawn(self, limits: Limits) -> ChildProcess:
        """Fork a fresh child with its own private working directory."""
        with self._lock:
            try:
                return self._spawn(limits)
            except (OSError, ValueError, KeyError):
                # The zygote died (or was killed): start a new one and try once more.
                self._stop()
                self._start()
                return self._spawn(limits)

    def _spawn(self, limits: Limits) -> ChildProcess:
        assert self._ctl is not None
        workdir = tempfile.mkdtemp(prefix="box-", dir=self.root)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        status_r, status_w = os.pipe()
        try:
            request = json.dumps({"workdir": workdir, "limits": limits.to_dict()}).encode()
            socket.send_fds(self._ctl, [request], [theirs.fileno(), status_w])
            try:
                reply = json.loads(self._ctl.recv(4096))
            except RecursionError:
                raise ValueError("the sandbox helper sent a malformed reply") from None
            pid = reply.get("pid") if isinstance(reply, dict) else None
            # Never 0, 1 or negative: killpg would then hit our own group, or everyone's.
            if type(pid) is not int or not 1 < pid < 2**31:
                raise ValueError(f"the sandbox helper sent a malformed reply: {reply!r:.100}")
        except BaseException:
            ours.close()
            os.close(status_r)
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            theirs.close()
            os.close(status_w)
        return ChildProcess(pid, ours, status_r, workdir)

    def _stop(self) -> None:
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._cgroup:
            # The zygote removes its memory cgroup when it exits normally; not when killed,
            # and then children of it may still be dying (or serving until closed).
            self._old_cgroups.append(self._cgroup)
            self._cgroup = ""
        self._old_cgroups = [g for g in self._old_cgroups if not memcg.remove_tree(g)]

    @property
    def pid(self) -> int | None:
        """The zygote's process id while it runs (its children's CPU time is summed in its
        ``/proc/PID/stat``, which ``benchmarks/batch.py`` reads), else None."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        """Stop the zygote (which kills its remaining children) and remove all temp files."""
        with self._lock:
            self._stop()
            deadline = time.monotonic() + 2.0
            while self._old_cgroups and time.monotonic() < deadline:
                time.sleep(0.01)  # killed children leave their cgroups as they finish dying
                self._old_cgroups = [g for g in self._old_cgroups if not memcg.remove_tree(g)]
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
