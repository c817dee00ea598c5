"""Confinement applied inside a freshly forked child, before any student code runs."""

from __future__ import annotations

import os
import resource
import signal
from typing import Any

__all__ = ["apply_limits", "detach_stdio", "reset_signals"]

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
