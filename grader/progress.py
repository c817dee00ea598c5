"""Progress of a batch: a tqdm bar on a terminal, plain log lines anywhere else.

Both write to a stream given by the caller (stderr for ``grader grade``), so the reports and
the summary on stdout stay clean when redirected to a file.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import IO, Any, Protocol

from grader.durations import fmt_duration

__all__ = ["LogProgress", "Progress", "TqdmProgress", "make_progress"]


class Progress(Protocol):
    """What the batch reports to: one call per finished submission."""

    def advance(self, *, cached: bool) -> None:
        """One more submission is done (``cached``: taken from the cache, not graded)."""

    def note(self, message: str) -> None:
        """Show a message without breaking the progress display."""

    def close(self) -> None:
        """The batch is over (complete or interrupted)."""


class LogProgress:
    """Plain lines such as ``graded 250/1000 (84/s, 12 cached, ETA 9 s)``.

    A line is written every ``every`` submissions or every ``interval_s`` seconds, whichever
    comes first, and once at the end, so a log file shows steady progress without flooding.

    Args:
        total: submissions in the batch.
        stream: where lines go.
        every: submissions between lines; default about a tenth of the batch, at most 100.
        interval_s: seconds between lines when submissions are slow.
        clock: a monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        total: int,
        stream: IO[str],
        *,
        every: int | None = None,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.every = every if every is not None else max(1, min(100, total // 10))
        self.interval_s = interval_s
        self.clock = clock
        self.done = self.cached = 0
        self._start = self._last = clock()
        self._last_done = 0

    def advance(self, *, cached: bool) -> None:
        """Count one submission; write a line when one is due."""
        self.done += 1
        self.cached += cached
        now = self.clock()
        if self.done % self.every == 0 or now - self._last >= self.interval_s:
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        parts = [f"{rate:.0f}/s" if rate >= 10 else f"{rate:.1f}/s"]
        if self.cached:
            parts.append(f"{self.cached} cached")
        left = self.total - self.done
        if left > 0 and rate > 0:
            parts.append(f"ETA {fmt_duration(left / rate, coarse=True)}")
        self.stream.write(f"graded {self.done}/{self.total} ({', '.join(parts)})\n")
        self.stream.flush()
        self._last, self._last_done = now, self.done

    def note(self, message: str) -> None:
        """Write ``message`` on its own line."""
        self.stream.write(message + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Write the final count unless the last line already showed it."""
        if self._last_done != self.done or self.done == 0:
            self._line(self.clock())


class TqdmProgress:
    """A tqdm bar (count, rate, ETA) for an interactive terminal."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        from tqdm import tqdm

        # The monitor thread is not needed (we update often) and would be one more thread
        # alive in a process that starts workers.
        tqdm.monitor_interval = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tqdm warns about odd terminals; not our error
            self._bar: Any = tqdm(
                total=total, file=stream, unit="sub", desc="grading", dynamic_ncols=True
            )
        self.cached = 0

    def advance(self, *, cached: bool) -> None:
        """Move the bar by one."""
        if cached:
            self.cached += 1
            self._bar.set_postfix_str(f"{self.cached} cached", refresh=False)
        self._bar.update(1)

    def note(self, message: str) -> None:
        """Print above the bar."""
        self._bar.write(message, file=self._bar.fp)

    def close(self) -> None:
        """Finish the bar (it stays on screen with the final count and rate)."""
        self._bar.close()


def make_progress(total: int, stream: IO[str], *, tty: bool | None = None) -> Progress:
    """A tqdm bar when ``stream`` is a terminal, else a :class:`LogProgress`.

    Args:
        total: submissions in the batch.
        stream: where progress goes (usually stderr).
        tty: force the choice; by default ``stream.isatty()``.
    """
    interactive = stream.isatty() if tty is None else tty
    if interactive:
        return TqdmProgress(total, stream)
    return LogProgress(total, stream)
