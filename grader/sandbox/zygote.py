"""The zygote: a pre-warmed interpreter that forks one sandboxed child per request.

It is started by :class:`grader.sandbox.host.Zygote` as a separate interpreter with a clean
environment, imports numpy and the assignment's helper modules once, and holds no secrets:
no tests, no reference solution, no results. Requests arrive on a SEQPACKET control socket,
each carrying two file descriptors: the child's end of its channel and the write end of a
pipe on which the zygote reports the child's wait status when it dies.

At start-up it leaves the network (one empty namespace for all its children), prepares the
confinement plan (:mod:`grader.sandbox.isolation`), and runs a probe child whose findings go
to the grader with the ready message. Each child is then forked as init of a fresh PID
namespace with a uid of its own, so that its death takes every process it started with it.
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

from grader.sandbox import isolation, memcg, mounts, runtime

__all__ = ["main"]

_children: dict[int, int] = {}  # pid -> status pipe fd
_uids: dict[int, int] = {}  # pid -> the uid it runs as
_cgroups: dict[int, str] = {}  # pid -> its memory cgroup, removed once it is reaped
_UID_COUNT = 10_000
_uid_base = [2_000_000_000]  # the host picks this zygote's own range (see Zygote.uids)
_next_uid = [0]
_PROBE_LIMITS = {"memory_mb": 4096, "cpu_s": 10, "file_size_mb": 1, "open_files": 64,
                 "processes": 16, "disk_mb": 4}
_MB = 1024 * 1024


def _reap(_signum: int = 0, _frame: Any = None) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _uids.pop(pid, None)
        oom = " oom" if memcg.oom_kills(_cgroups.get(pid, "")) else ""
        _release_cgroup(pid)
        fd = _children.pop(pid, None)
        if fd is not None:
            with contextlib.suppress(OSError):  # the grader closed its end: nobody waits
                os.write(fd, f"{status}{oom}".encode())
            os.close(fd)


def _release_cgroup(pid: int) -> None:
    path = _cgroups.pop(pid, None)
    if path is not None:
        memcg.MemoryCgroups.remove(path)


def _prewarm(lib: str, modules: list[str]) -> None:
    import numpy  # the expensive import every child needs

    # The first seeding of numpy's global generator costs ~20 ms (lazy set-up); pay it once
    # here rather than in every child's first call.
    numpy.random.seed(0)

    # Helpers, then what the assignment's notebook imports (matplotlib.pyplot alone costs a
    # child ~800 ms when installed): imported once here, every child inherits them.
    names = [path.stem for path in sorted(Path(lib).glob("*.py"))]
    for name in [*names, *modules]:
        try:
            __import__(name)
        except BaseException:
            # A module that fails to import fails again, with a message, in the child.
            sys.modules.pop(name, None)


def _fresh_uid() -> int:
    """A uid no live child uses, so that RLIMIT_NPROC counts one child's processes only."""
    used = set(_uids.values())
    for _ in range(_UID_COUNT):
        uid = _uid_base[0] + _next_uid[0]
        _next_uid[0] = (_next_uid[0] + 1) % _UID_COUNT
        if uid not in used:
            return uid
    return 0


class _Forker:
    """Forks children into fresh PID namespaces (when the kernel lets us)."""

    def __init__(self, plan: isolation.Plan) -> None:
        self.plan = plan
        self.ns_fd = -1
        self.cgroup = ""  # the memory cgroup the zygote waits in: the next child's
        self.next_cgroup()
        if "pid_namespace" not in plan.disabled:
            try:
                self.ns_fd = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                plan.warnings["pid_namespace"] = f"cannot open /proc/self/ns/pid: {exc}"
        elif "pid_namespace" not in plan.warnings:
            plan.warnings["pid_namespace"] = "disabled"

    def fork(self, limits: dict[str, Any]) -> tuple[int, int]:
        """Fork; returns (pid, uid) like os.fork (pid 0 in the child)."""
        if self.ns_fd >= 0:
            error = isolation.enter_fresh_pid_namespace(self.ns_fd)
            if error is not None:
                self.plan.warnings["pid_namespace"] = error
                os.close(self.ns_fd)
                self.ns_fd = -1
        uid = _fresh_uid()
        self._limit_cgroup(limits)
        pid = os.fork()
        if pid != 0:
            _uids[pid] = uid
            if self.cgroup:
                _cgroups[pid] = self.cgroup
        return pid, uid

    def _limit_cgroup(self, limits: dict[str, Any]) -> None:
        """Limit the group the next child is forked into: its memory, disk and /dev/shm."""
        self.plan.next_cgroup = ""
        if self.plan.memcg is None or not self.cgroup:
            return
        total_mb = int(limits["memory_mb"]) + int(limits.get("disk_mb", 0)) + mounts.SHM_MB
        error = self.plan.memcg.set_limit(self.cgroup, total_mb * _MB)
        if error:
            self.plan.warnings["memory_cgroup"] = error
        else:
            self.plan.next_cgroup = self.cgroup

    def next_cgroup(self) -> None:
        """Move the zygote out of the last child's group into a fresh one for the next child.

        A fork lands in its parent's cgroup for free, while moving a process between cgroups
        waits for an RCU grace period (~15 ms measured here); the zygote pays that after it
        has answered, off the path of a spawn. Its oom_score_adj of -1000 keeps the kernel
        from choosing it while it shares the new child's group for that moment.
        """
        groups = self.plan.memcg
        self.cgroup = ""
        if groups is None:
            return
        path, error = groups.create()
        if not error:
            error = groups.enter(path)
            if error:
                groups.remove(path)
        if error:
            self.plan.warnings["memory_cgroup"] = error
            groups.enter(groups.parent)
            return
        self.cgroup = path


def _spawn(ctl: socket.socket, forker: _Forker, request: dict[str, Any], fds: list[int]) -> None:
    chan_fd, status_fd = fds
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid, uid = forker.fork(request["limits"])
        if pid == 0:
            from grader.sandbox.child import run_child

            run_child(chan_fd, request["workdir"], request["limits"], forker.plan, uid)
        with contextlib.suppress(OSError):  # the child did it first, or died: both fine
            os.setpgid(pid, pid)
        _children[pid] = status_fd
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    os.close(chan_fd)
    ctl.send(json.dumps({"pid": pid}).encode())
    forker.next_cgroup()


def _probe(forker: _Forker, workdir: str) -> dict[str, Any]:
    from grader.sandbox.probe import run_probe

    os.makedirs(workdir, exist_ok=True)
    read_fd, write_fd = os.pipe()
    pid, uid = forker.fork(_PROBE_LIMITS)
    if pid == 0:
        os.close(read_fd)
        run_probe(forker.plan, workdir, uid, write_fd, _PROBE_LIMITS)
    os.close(write_fd)
    forker.next_cgroup()
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    _uids.pop(pid, None)
    _release_cgroup(pid)
    try:
        result: dict[str, Any] = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        result = {}
    return result


def _prepare(lib: str, config: dict[str, Any]) -> _Forker:
    plan = isolation.Plan(
        read_paths=isolation.python_read_paths(lib),
        deny_roots=list(config.get("deny_roots", [])),
        disabled=frozenset(config.get("disabled", [])),
    )
    for name in plan.disabled:
        plan.warnings[name] = "disabled"
    if "network" not in plan.disabled:
        error = isolation.unshare_network()
        plan.report["network"] = error is None
        if error is not None:
            plan.warnings["network"] = error
    if "memory_cgroup" not in plan.disabled:
        plan.memcg, error = memcg.MemoryCgroups.setup(os.getpid())
        if plan.memcg is None:
            plan.warnings["memory_cgroup"] = error
        else:
            # Children reset theirs (isolation.enter_child_namespaces); see _Forker.next_cgroup.
            with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as adj:
                adj.write("-1000")
    plan.prepare()
    return _Forker(plan)


def _shutdown(plan: isolation.Plan) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for pid in list(_children):
        try:
            os.kill(pid, signal.SIGKILL)
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    # Reap them (each returns once its whole PID namespace is gone) so that their memory
    # cgroups are empty and can be removed; the host removes what is left if we are killed.
    for pid in list(_children):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        _release_cgroup(pid)
    if plan.memcg is not None:
        plan.memcg.close()
    os._exit(0)


def main() -> None:
    """Serve fork requests on the control socket whose descriptor is argv[1].

    The first message on it is the host's JSON configuration (helper-module directory, the
    folders the probe must find unreadable, ...): it never appears on the command line.
    """
    ctl = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(ctl.recv(1 << 20))
    lib = str(config["lib"])
    deny = [str(p) for p in config.get("deny_roots", [])]
    _uid_base[0] = int(config.get("uid_base", _uid_base[0]))
    copy = os.path.join(os.getcwd(), runtime.RUNTIME_DIR)
    sys.path[:] = [lib] + [p for p in sys.path if p and os.path.isabs(p) and p != copy]
    _prewarm(lib, [str(m) for m in config.get("prewarm", [])])
    import grader.sandbox.child
    import grader.sandbox.probe  # noqa: F401  (so each fork starts with them imported)

    runtime.forget_installation(deny)
    forker = _prepare(lib, config)
    probe = _probe(forker, os.path.join(os.getcwd(), "probe"))
    # Children have no use for the list of secret folders (only the probe checks them), and
    # student code can walk up the stack to this frame.
    forker.plan.deny_roots = []
    del config, deny
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ready = {"ready": True, "pid": os.getpid(), **probe}
    if forker.plan.memcg is not None:
        ready["cgroup"] = forker.plan.memcg.group
    ctl.send(json.dumps(ready).encode())
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(ctl, 65536, 2)
        except OSError:
            _shutdown(forker.plan)
        if not msg:
            _shutdown(forker.plan)
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        _spawn(ctl, forker, json.loads(msg), list(fds))
