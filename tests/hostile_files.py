"""Hostile file-system entries for the collection tests: a FIFO that cannot hang a test."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["fifo_released_after"]


@contextlib.contextmanager
def fifo_released_after(path: Path, seconds: float) -> Iterator[None]:
    """Make ``path`` a FIFO that nothing may block on.

    After ``seconds``, whenever a reader waits on it, its write end is opened and closed so
    the reader sees end-of-file; on leaving, the block fails the test (AssertionError) instead
    of having hung it forever.
    """
    os.mkfifo(path)
    done = threading.Event()
    released: list[float] = []

    def release() -> None:
        deadline = time.monotonic() + seconds
        while not done.wait(0.05):
            if time.monotonic() < deadline:
                continue
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                released.append(time.monotonic())
            except OSError:  # no reader: nothing blocks on it
                continue

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    assert not released, f"a reader blocked on the FIFO {path.name} ({len(released)} times)"
