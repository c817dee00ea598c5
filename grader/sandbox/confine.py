"""Confinement applied inside a freshly forked child, before any student code runs."""

from __future__ import annotations

import os
import resource
import signal
import tempfile
from typing import Any

from grader.sandbox import isolation

__all__ = ["apply_limits", "detach_stdio", "enter_sandbox", "reset_signals"]

_MB = 1024 * 1024


def _set(limit: int, value: int) -> None:
    try:
        _, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        # A limit the platform refuses (e.g. RLIMIT_AS on macOS) stays as it was; the probe
        # reports it, and the outside wall clock still bounds the child.
        pass


def apply_limits(limits: dict[str, Any]) -> None:
    """Set the kernel resource limits of the current process from ``Limits.to_dict()``."""
    _set(resource.RLIMIT_AS, int(limits["memory_mb"]) * _MB)
    # CPU seconds: a backstop for the whole child; per-call time is the outside wall clock.
    _set(resource.RLIMIT_CPU, int(limits["cpu_s"]))
    _set(resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * _MB)
    _set(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    _set(resource.RLIMIT_CORE, 0)
    if hasattr(resource, "RLIMIT_NPROC"):
        _set(resource.RLIMIT_NPROC, int(limits["processes"]))


def reset_signals() -> None:
    """Give the child default signal dispositions (the zygote's handlers must not leak in)."""
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def detach_stdio() -> None:
    """stdin reads EOF at once; raw writes to fd 1/2 go nowhere (Python-level output is
    captured separately, with a cap)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _limits_hold(limits: dict[str, Any]) -> bool:
    try:
        return resource.getrlimit(resource.RLIMIT_AS)[0] == int(limits["memory_mb"]) * _MB
    except (ValueError, OSError):
        return False


def enter_sandbox(
    workdir: str, limits: dict[str, Any], plan: isolation.Plan, uid: int, keep_fd: int
) -> tuple[dict[str, bool], dict[str, str]]:
    """Everything a fresh child does before it may run student code.

    Returns the layers that took effect and, for the others, why not. ``keep_fd`` (the
    channel) is the only inherited descriptor above stderr that survives.
    """
    early = isolation.enter_child_namespaces(plan, workdir, int(limits.get("disk_mb", 128)))
    os.setpgid(0, 0)
    reset_signals()
    os.chdir(workdir)
    detach_stdio()
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir
    apply_limits(limits)
    report, notes = isolation.apply_child_layers(plan, workdir, uid, early)
    # Inherited descriptors (the zygote's control socket, namespace handles, other children's
    # status pipes) must not reach student code.
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)
    report["resource_limits"] = _limits_hold(limits)
    return report, notes
