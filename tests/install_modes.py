"""Grade a notebook that measures its own confinement, and compare with what the grader reports.

The notebook's ``layer_sizes`` tries, for each isolation layer, what that layer must stop
(read the hidden tests and the solution by absolute path, connect to a listening socket,
``unshare``, ...) and raises with what held; the test compares it with the results'
``isolation`` field. Used by ``test_install_modes.py`` for each way the grader is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PLANAR = "planar_data_classification"
MARK = "REALITY="

_PROBE = '''
def layer_sizes(X, Y):
    import ctypes, json, os, resource, socket
    libc = ctypes.CDLL(None, use_errno=True)
    held = {"process_group": os.getpgid(0) == os.getpid(), "pid_namespace": os.getpid() == 1}
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
        held["network"] = False
    except OSError:
        held["network"] = True
    readable = []
    for path in SECRETS:
        try:
            with open(path, "rb") as handle:
                handle.read(1)
            readable.append(os.path.basename(path))
        except OSError:
            pass
    held["filesystem"] = not readable
    held["seccomp"] = libc.unshare(0) != 0 and libc.ptrace(0, 0, 0, 0) != 0
    held["no_new_privs"] = libc.prctl(39, 0, 0, 0, 0) == 1
    held["uid_dropped"] = os.getuid() != 0 and os.geteuid() != 0
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    held["capabilities"] = libc.capget(header, data) == 0 and not any(data)
    held["resource_limits"] = all(
        resource.getrlimit(limit)[0] != resource.RLIM_INFINITY
        for limit in (resource.RLIMIT_AS, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE)
    )
    try:
        held["ipc_namespace"] = os.readlink("/proc/self/ns/ipc") != HOST_IPC
    except OSError:
        held["ipc_namespace"] = False
    work, shm = os.statvfs("."), os.statvfs("/dev/shm")
    held["private_mounts"] = all(v.f_blocks * v.f_frsize <= 1 << 30 for v in (work, shm))
    unverified = []
    try:
        with open("/proc/self/cgroup") as handle:
            groups = [line.split(":", 2) for line in handle.read().splitlines()]
        held["memory_cgroup"] = any(
            ("memory" in c.split(",") or h == "0") and "/grader-" in p for h, c, p in groups
        )
    except PermissionError:
        # Landlock hides /proc/self/cgroup; test_leftovers checks the limit by its effect.
        unverified.append("memory_cgroup")
    except (OSError, ValueError):
        held["memory_cgroup"] = False
    found = {"held": held, "readable": readable, "unverified": unverified}
    raise RuntimeError("MARK" + json.dumps(found))
'''


def probe_notebook(path: Path, secrets: list[str], port: int) -> Path:
    """Write the self-measuring notebook (nbformat 4) to ``path``."""
    source = _PROBE.replace("PORT", str(port)).replace("SECRETS", repr(secrets))
    source = source.replace("HOST_IPC", repr(os.readlink("/proc/self/ns/ipc")))
    source = source.replace('"MARK"', repr(MARK))
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{**cell, "id": "a", "source": "import numpy as np"},
                  {**cell, "id": "b", "source": source}],
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@contextmanager
def listener() -> Iterator[int]:
    """A TCP socket listening on 127.0.0.1; yields its port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def copy_course(repo: Path, dest: Path) -> Path:
    """Copy the planar assignment and its solution to ``dest``; returns the assignment folder."""
    shutil.copytree(repo / "assignments" / PLANAR, dest / "assignments" / PLANAR)
    (dest / "solutions").mkdir(parents=True)
    shutil.copy2(repo / "solutions" / f"{PLANAR}.ipynb", dest / "solutions")
    return dest / "assignments" / PLANAR


def secrets_of(assignment: Path) -> list[str]:
    """The files student code must never read: hidden tests, solution, assignment.toml."""
    solution = (assignment / ".." / ".." / "solutions" / f"{PLANAR}.ipynb").resolve()
    return [str(assignment / "tests" / "hidden.py"), str(solution),
            str(assignment / "assignment.toml")]


def grade(
    python: str, assignment: Path, notebook: Path, out: Path, *, strict: bool, **run: Any
) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``python -m grader grade``; returns (exit code, results or None, stderr)."""
    argv = [python, "-m", "grader", "grade", str(assignment), str(notebook), "--json", str(out),
            "--no-cache"]
    if strict:
        argv.append("--strict")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False,
                          env=env, **run)
    doc = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
    return done.returncode, doc, done.stderr


def reality(doc: dict[str, Any]) -> dict[str, Any]:
    """What the notebook found (``held`` per layer, ``readable`` secret paths)."""
    tests = doc["submissions"][0]["tests"]
    message = next(t["message"] for t in tests if t["id"] == "layer_sizes.example")
    start = message.index(MARK) + len(MARK)
    found: dict[str, Any] = json.JSONDecoder().raw_decode(message[start:])[0]
    return found


def untrue_claims(doc: dict[str, Any]) -> dict[str, Any]:
    """Layers reported active that the notebook got past (empty when the report is true)."""
    found = reality(doc)
    claims = {name for name, active in doc["isolation"].items() if active}
    claims -= set(found.get("unverified", []))
    return {name: found for name in sorted(claims) if not found["held"].get(name, False)}
