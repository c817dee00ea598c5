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
    """Make ``path`` a FIFO; after ``seconds``, open and close its write end once if a reader
    waits, so code that (wrongly) blocks on it fails the test instead of hanging forever."""
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        deadline = time.monotonic() + seconds
        while not done.wait(0.05):
            if time.monotonic() < deadline:
                continue
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:  # no reader: nothing blocks on it
                continue

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
