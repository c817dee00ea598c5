"""A real ``grader serve`` in a child process, for the fault test and the benchmark.

It is the command users run, on a free port of 127.0.0.1; :meth:`LiveServer.worker_pids`
reads its worker processes from /proc, so a test can kill one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["LiveServer", "free_port", "upload"]


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def upload(
    port: int, token: str, assignment: str, name: str, data: bytes, timeout: float = 30.0
) -> tuple[int, dict[str, Any]]:
    """POST one file as multipart; (status, JSON body). Raises OSError when the server is gone."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            f"/api/assignments/{assignment}/submissions",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        response = connection.getresponse()
        text = response.read()
    finally:
        connection.close()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = {"raw": text[:200].decode("utf-8", "replace")}
    return response.status, parsed


class LiveServer:
    """``grader serve`` with the given arguments, in ``cwd``, until :meth:`stop` or kill."""

    def __init__(self, cwd: Path, args: Sequence[str], port: int | None = None) -> None:
        self.cwd = cwd
        self.port = port or free_port()
        self.args = list(args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = cwd / f"serve-{self.port}-{time.monotonic_ns()}.log"

    def start(self, ready_timeout: float = 120.0) -> LiveServer:
        """Start and wait until it answers HTTP."""
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grader", "serve", *self.args, "--port", str(self.port)],
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"grader serve exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"grader serve did not listen: {self.log.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        """The server's child processes running ``grader worker``."""
        assert self.proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and b"worker" in cmdline:
                found.append(int(entry.name))
        return found

    def wait_workers_ready(self, count: int, timeout: float = 120.0) -> None:
        """Wait until ``count`` workers said they are grading (their sandboxes are warm)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.read_text(errors="replace").count(" grading ") >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"workers not ready: {self.log.read_text()[-2000:]}")

    def peak_rss_kib(self) -> int:
        """The web process's peak resident memory (VmHWM), KiB."""
        return self._status_kib("VmHWM:")

    def rss_kib(self) -> int:
        """The web process's resident memory now (VmRSS), KiB."""
        return self._status_kib("VmRSS:")

    def _status_kib(self, key: str) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
        return 0

    def kill9(self) -> None:
        """SIGKILL the server and every worker at once: a machine that lost power."""
        assert self.proc is not None
        workers = self.worker_pids()
        for pid in [self.proc.pid, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        """Ctrl-C, as a user would; SIGKILL after a grace period."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill9()
