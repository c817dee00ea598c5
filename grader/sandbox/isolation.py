"""Confinement layers: which ones exist here, and applying them to a freshly forked child.

Layers (the keys of ``Zygote.isolation``):

- ``process_group``: the child leads its own process group, killed as a whole from outside.
- ``pid_namespace``: the child is init of a new PID namespace (the zygote re-enters its own
  namespace with ``setns`` and ``unshare(CLONE_NEWPID)`` before each fork, which costs two
  system calls rather than a second fork). When the child dies the kernel kills every process
  it left behind, ``setsid()`` or not; it cannot name a process outside its namespace, and the
  zygote, its parent, still reaps it and reports its exact wait status.
- ``network``: the zygote unshares an empty network namespace once; every child inherits it.
- ``filesystem``: Landlock (see :mod:`grader.sandbox.landlock`).
- ``no_new_privs`` and ``seccomp`` (see :mod:`grader.sandbox.seccomp`).
- ``uid_dropped`` and ``capabilities``: when running as root, each child gets its own real and
  effective uid (and gid) from a private range, so ``RLIMIT_NPROC`` (ignored for uid 0) bounds
  forks and threads, and the kernel's signal permission check fails against root-owned
  processes. The interpreter lives under a 0700 directory owned by root, so a full switch to
  another uid would make every module not yet imported unreadable (numpy imports submodules
  lazily, students import ``json`` or ``itertools``...). Measured alternatives: pre-importing
  a broad module set in the zygote slows its start by hundreds of milliseconds and still
  breaks on the first module forgotten; keeping uid 0 without capabilities leaves fork bombs
  unbounded (no pids cgroup here). So the child keeps *file-system* uid 0 (saved uid 0 makes
  ``setfsuid(0)`` legal without privilege) and relies on Landlock for files; every capability
  is dropped (bounding, ambient, effective, permitted, inheritable) and seccomp forbids any
  further ``set*id`` call, so the saved uid can never be used to become root again. Without
  seccomp the layer is not used (the saved uid would be a way back) and the child stays uid 0
  without capabilities.
- ``resource_limits``: the rlimits of :mod:`grader.sandbox.confine`.
- ``ipc_namespace`` and ``private_mounts`` (see :mod:`grader.sandbox.mounts`): each child has
  its own IPC namespace and mount namespace, with a size-limited tmpfs as its working
  directory and an empty one on ``/dev/shm``; whatever it creates there dies with it.
- ``memory_cgroup`` (see :mod:`grader.sandbox.memcg`): each child and everything it starts
  share one memory limit that counts memfds, shared memory and tmpfs files too. The zygote
  forks each child inside a group of its own, so it is counted from its first instruction.

Every layer degrades on its own: a failed step is recorded and the others still apply.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import resource
import sys
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import carve, landlock, memcg, mounts, seccomp

__all__ = [
    "LAYERS",
    "Plan",
    "apply_child_layers",
    "enter_child_namespaces",
    "enter_fresh_pid_namespace",
    "unshare_network",
]

LAYERS = (
    "process_group",
    "pid_namespace",
    "network",
    "filesystem",
    "seccomp",
    "no_new_privs",
    "uid_dropped",
    "capabilities",
    "resource_limits",
    "ipc_namespace",
    "private_mounts",
    "memory_cgroup",
)
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_GET_NO_NEW_PRIVS = 24, 38, 39
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPSET = {"x86_64": 126, "aarch64": 91}
_CAP_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _errno_text() -> str:
    err = ctypes.get_errno()
    return errno.errorcode.get(err, str(err))


def unshare_network() -> str | None:
    """Move the calling process into a new, empty network namespace; None or the error."""
    if not hasattr(_libc, "unshare"):
        return "unshare() is not available on this platform"
    if _libc.unshare(CLONE_NEWNET) != 0:
        return f"unshare(CLONE_NEWNET) failed: {_errno_text()}"
    return None


def enter_fresh_pid_namespace(own_ns_fd: int) -> str | None:
    """Make the *next* fork of the caller init of a brand-new PID namespace.

    ``unshare(CLONE_NEWPID)`` only works while the namespace for children is the caller's own,
    so first point it back there with ``setns`` (the previous child's namespace may be dead).
    """
    if _libc.setns(own_ns_fd, CLONE_NEWPID) != 0:
        return f"setns(CLONE_NEWPID) failed: {_errno_text()}"
    if _libc.unshare(CLONE_NEWPID) != 0:
        return f"unshare(CLONE_NEWPID) failed: {_errno_text()}"
    return None


@dataclass
class Plan:
    """What the zygote prepared for its children; inherited by each fork, so no I/O per spawn.

    ``disabled`` names layers switched off on purpose (benchmarks); ``report`` holds the
    zygote's own results (``network``) and is copied into each child's report.
    ``deny_roots`` are carved out of ``read_paths`` (see :mod:`grader.sandbox.carve`) when
    they lie inside one; ``list_fds`` are the folders left listable by the carving.
    ``next_cgroup`` is the memory cgroup the next forked child joins (set before each fork).
    """

    read_paths: list[str]
    deny_roots: list[str]
    disabled: frozenset[str] = frozenset()
    report: dict[str, bool] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    landlock_abi: int = 0
    read_fds: list[tuple[int, bool]] = field(default_factory=list)
    write_fds: list[tuple[int, bool]] = field(default_factory=list)
    list_fds: list[tuple[int, bool]] = field(default_factory=list)
    bpf: bytes | None = None
    cap_last: int = 40
    memcg: memcg.MemoryCgroups | None = None
    next_cgroup: str = ""

    def prepare(self) -> None:
        """Work done once in the zygote: probe Landlock, open rule paths, build the filter."""
        self.landlock_abi = landlock.abi_version() if "filesystem" not in self.disabled else 0
        self.read_paths, listable = carve.carve(self.read_paths, self.deny_roots)
        if self.landlock_abi:
            # Carving can make hundreds of rules: keep their descriptors above the numbers a
            # child may use under its open-file limit.
            low = _raise_open_file_limit(_RULE_FDS_FROM + len(self.read_paths) + len(listable))
            self.read_fds = landlock.open_paths(self.read_paths, low)
            self.list_fds = landlock.open_paths(listable, low)
            self.write_fds = landlock.open_paths([os.devnull])
        self.bpf = seccomp.build_filter() if "seccomp" not in self.disabled else None
        try:
            with open("/proc/sys/kernel/cap_last_cap") as handle:
                self.cap_last = int(handle.read())
        except (OSError, ValueError):
            pass


_RULE_FDS_FROM = 1024


def _raise_open_file_limit(needed: int) -> int:
    """Let the zygote hold ``needed`` descriptors; returns the first number for rule paths
    (0 when the limit cannot be raised: they then take the lowest free numbers)."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < needed:
            if hard != resource.RLIM_INFINITY and hard < needed:
                return 0
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    except (ValueError, OSError):
        return 0
    return _RULE_FDS_FROM


def _no_new_privs(plan: Plan, report: dict[str, bool], notes: dict[str, str]) -> None:
    if "no_new_privs" in plan.disabled:
        return
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        notes["no_new_privs"] = f"prctl(PR_SET_NO_NEW_PRIVS) failed: {_errno_text()}"
    report["no_new_privs"] = _libc.prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1


def _filesystem(plan: Plan, workdir: str, report: dict[str, bool], notes: dict[str, str]) -> None:
    if not plan.landlock_abi:
        notes.setdefault("filesystem", "Landlock is not available (kernel 5.13+ with lsm=landlock)")
        return
    try:
        # The child's own mounts: opened here, after they were mounted, so the rules name them.
        own = landlock.open_paths([workdir])
        if report["private_mounts"]:
            own += landlock.open_paths([mounts.SHM_DIR])
        try:
            landlock.restrict(
                plan.landlock_abi, plan.read_fds, plan.write_fds + own, plan.list_fds
            )
        finally:
            for fd, _ in own:
                os.close(fd)
    except OSError as exc:
        notes["filesystem"] = str(exc)
        return
    report["filesystem"] = True


def _drop_capabilities(plan: Plan) -> bool:
    for cap in range(plan.cap_last + 1):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL for caps this kernel lacks
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    nr = _CAPSET.get(os.uname().machine)
    if nr is None:
        return False
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable} words, all 0
    return bool(_libc.syscall(nr, header, data) == 0)


def _identity(plan: Plan, uid: int, report: dict[str, bool], notes: dict[str, str]) -> None:
    if os.geteuid() != 0:
        # Not root: there is nothing to drop; the kernel already treats us as a user.
        report["uid_dropped"] = report["capabilities"] = True
        return
    if "uid_dropped" not in plan.disabled and uid > 0 and plan.bpf is not None:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, 0)
            _libc.setfsuid(0)  # keep reading root-only files; Landlock decides which
            report["uid_dropped"] = os.getresuid()[:2] == (uid, uid)
        except OSError as exc:
            notes["uid_dropped"] = f"switching to uid {uid} failed: {exc}"
    elif plan.bpf is None:
        notes["uid_dropped"] = "not used without seccomp (the saved root uid would be a way back)"
    if "capabilities" not in plan.disabled:
        report["capabilities"] = _drop_capabilities(plan)
        if not report["capabilities"]:
            notes["capabilities"] = f"capset failed: {_errno_text()}"


def _seccomp(plan: Plan, report: dict[str, bool], notes: dict[str, str]) -> None:
    if plan.bpf is None:
        machine = os.uname().machine
        notes.setdefault("seccomp", f"no seccomp filter for this architecture ({machine})")
        return
    try:
        seccomp.install(plan.bpf)
    except OSError as exc:
        notes["seccomp"] = str(exc)
        return
    report["seccomp"] = True


def enter_child_namespaces(
    plan: Plan, workdir: str, disk_mb: int
) -> tuple[dict[str, bool], dict[str, str]]:
    """The first steps of a forked child: its memory cgroup, then its IPC and mount namespaces.

    The zygote forked the child inside its cgroup, so everything it does is counted; this
    checks that. The mounts come before ``chdir(workdir)`` (the tmpfs hides what is beneath)
    and before Landlock and seccomp, which forbid mounting. Returns (layer -> active,
    layer -> reason) for these layers.
    """
    report = {"memory_cgroup": False}
    notes = {}
    if plan.next_cgroup:
        # Forked straight into its group (see zygote._Forker.next_cgroup); the zygote's
        # oom_score_adj of -1000 must not protect student code: the OOM killer picks it first.
        try:
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("1000")
            report["memory_cgroup"] = memcg.inside(plan.next_cgroup)
            if not report["memory_cgroup"]:
                notes["memory_cgroup"] = "the child is not in the memory cgroup made for it"
        except OSError as exc:
            notes["memory_cgroup"] = f"cannot make the child the OOM killer's choice: {exc}"
    done, why = mounts.enter_private_namespaces(workdir, disk_mb, plan.disabled)
    report.update(done)
    notes.update(why)
    return report, notes


def apply_child_layers(
    plan: Plan,
    workdir: str,
    uid: int,
    early: tuple[dict[str, bool], dict[str, str]] = ({}, {}),
) -> tuple[dict[str, bool], dict[str, str]]:
    """Apply every enabled layer to the calling (forked) child, in the one order that works.

    ``early`` is what :func:`enter_child_namespaces` returned. no_new_privs first (Landlock
    and seccomp need it without CAP_SYS_ADMIN), Landlock while the rule paths are still open,
    then the identity change (needs capabilities), and seccomp last because it forbids the
    identity calls. Returns (layer -> active, layer -> reason).
    """
    report = {name: False for name in LAYERS}
    report.update(plan.report)
    notes = dict(plan.warnings)
    report.update(early[0])
    notes.update(early[1])
    report["process_group"] = os.getpgid(0) == os.getpid()
    report["pid_namespace"] = os.getpid() == 1
    _no_new_privs(plan, report, notes)
    if "filesystem" not in plan.disabled:
        _filesystem(plan, workdir, report, notes)
    for fd, _ in plan.read_fds + plan.write_fds + plan.list_fds:
        os.close(fd)
    _identity(plan, uid, report, notes)
    if "seccomp" not in plan.disabled:
        _seccomp(plan, report, notes)
    return report, notes


def python_read_paths(lib: str) -> list[str]:
    """Where a child may read and execute: the interpreter, its packages, system libraries."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    roots.update(p for p in sys.path if p and os.path.isabs(p) and "site-packages" in p)
    roots.add(os.path.dirname(os.path.realpath(sys.executable)))
    system = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/opt/conda"]
    etc = [f"/etc/{name}" for name in ("ld.so.cache", "localtime", "passwd", "group", "hosts")]
    urandom = ["/dev/urandom", "/dev/random", "/dev/zero"]
    return sorted(roots) + system + etc + urandom + [lib]


def weakened_by(read_paths: list[str], secret_roots: list[str]) -> list[str]:
    """The readable paths that contain one of ``secret_roots`` (they defeat the file layer)."""
    secrets = [os.path.realpath(secret) for secret in secret_roots]
    # Carved read paths are hundreds of entries of a few folders: resolve each folder once,
    # and compare strings (os.path.commonpath costs ~20 us a call).
    folders = functools.lru_cache(maxsize=None)(os.path.realpath)
    bad = []
    for path in read_paths:
        if os.path.islink(path):
            real = os.path.realpath(path)
        else:
            head, tail = os.path.split(os.path.abspath(path))
            real = os.path.join(folders(head), tail) if tail else folders(head)
        prefix = real.rstrip(os.sep) + os.sep
        if any(secret == real or secret.startswith(prefix) for secret in secrets):
            bad.append(path)
    return bad


def plan_from(args: dict[str, Any]) -> Plan:
    """Build the zygote's plan from the JSON arguments the host passed."""
    return Plan(
        read_paths=list(args["read_paths"]),
        deny_roots=list(args["deny_roots"]),
        disabled=frozenset(args.get("disabled", ())),
    )


_LABELS = {
    "process_group": ("process-group", "a child's helper processes are not killed with it"),
    "pid_namespace": (
        "PID namespace",
        "processes started by student code with setsid() can outlive the child",
    ),
    "network": ("network", "student code can open sockets"),
    "filesystem": (
        "file-system",
        "student code can read any file the grader can (hidden tests, solutions)",
    ),
    "seccomp": ("seccomp", "student code can call ptrace, mount, unshare and similar"),
    "no_new_privs": ("no-new-privileges", "student code can gain privileges via setuid programs"),
    "uid_dropped": (
        "uid",
        "process limits do not apply to root, so a fork bomb is bounded only by the wall clock",
    ),
    "capabilities": ("capability", "student code keeps root's capabilities"),
    "resource_limits": ("resource-limit", "memory, CPU and file-size limits are not enforced"),
    "ipc_namespace": (
        "IPC namespace",
        "System V shared memory, semaphores and message queues and POSIX message queues made "
        "by student code outlive its sandbox and are visible to later submissions",
    ),
    "private_mounts": (
        "private-mount",
        "the working directory is on the grader's disk with no size limit on the total (only "
        "per file), and /dev/shm is shared with the machine",
    ),
    "memory_cgroup": (
        "memory-cgroup",
        "memory held outside the address space (memfd, shared memory, tmpfs files, child "
        "processes) is not counted against the memory limit",
    ),
}


def read_probe(ready: dict[str, Any]) -> tuple[dict[str, bool], list[str]]:
    """Turn the zygote's probe result into (layer -> active, warnings for missing layers)."""
    raw = ready.get("isolation")
    notes = ready.get("notes")
    notes = notes if isinstance(notes, dict) else {}
    if not isinstance(raw, dict):
        reason = str(ready.get("error", "the probe child did not report"))[:300]
        raw, notes = {}, dict.fromkeys(LAYERS, reason)
    report = {name: raw.get(name) is True for name in LAYERS}
    warnings = []
    for name in LAYERS:
        if not report[name]:
            label, consequence = _LABELS[name]
            reason = str(notes.get(name, "not available"))[:300]
            warnings.append(f"{label} isolation unavailable: {reason}; {consequence}")
    return report, warnings
