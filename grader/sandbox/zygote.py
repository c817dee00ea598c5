"""The zygote: a pre-warmed interpreter that forks one sandboxed child per request.

It is started by :class:`grader.sandbox.host.Zygote` as a separate interpreter with a clean
environment, imports numpy and the assignment's helper modules once, and holds no secrets:
no tests, no reference solution, no results. Requests arrive on a SEQPACKET control socket,
each carrying two file descriptors: the child's end of its channel and the write end of a
pipe on which the zygote reports the child's wait status when it dies.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

__all__ = ["main"]

_children: dict[int, int] = {}  # pid -> status pipe fd


def _reap(_signum: int = 0, _frame: Any = None) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = _children.pop(pid, None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.write(fd, str(status).encode())
            os.close(fd)


def _prewarm(lib: str) -> None:
    import numpy  # noqa: F401  (the expensive import every child needs)

    for path in sorted(Path(lib).glob("*.py")):
        try:
            __import__(path.stem)
        except Exception:
            # A helper that fails to import fails again, with a message, in the child.
            sys.modules.pop(path.stem, None)


def _spawn(ctl: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    chan_fd, status_fd = fds
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            ctl.close()
            os.close(status_fd)
            for fd in _children.values():
                os.close(fd)
            from grader.sandbox.child import run_child

            run_child(chan_fd, request["workdir"], request["limits"])
        # The child may have done it first, or already died: both are fine.
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        _children[pid] = status_fd
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    os.close(chan_fd)
    ctl.send(json.dumps({"pid": pid}).encode())


def _shutdown() -> None:
    for pid in list(_children):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    os._exit(0)


def main() -> None:
    """Serve fork requests on the control socket given as argv[1]; argv[2] is the lib dir."""
    ctl = socket.socket(fileno=int(sys.argv[1]))
    lib = sys.argv[2]
    sys.path[:] = [lib] + [p for p in sys.path if p and os.path.isabs(p) and p != os.getcwd()]
    _prewarm(lib)
    import grader.sandbox.child  # noqa: F401  (so each fork starts with it imported)

    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctl.send(json.dumps({"ready": True, "pid": os.getpid()}).encode())
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 65536, 2)
        except OSError:
            _shutdown()
        if not msg:
            _shutdown()
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        _spawn(ctl, json.loads(msg), list(fds))
