"""Rate limits: a token bucket per key (an account, an address), in the web process's memory.

A bucket of ``burst`` tokens refills at ``per_minute``; a request that finds it empty is
refused with the seconds to wait. Buckets idle long enough to be full again are forgotten, so
memory stays bounded by the clients of the last few minutes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Limit", "RateLimiter"]


@dataclass(frozen=True)
class Limit:
    """``per_minute`` requests on average, up to ``burst`` at once."""

    per_minute: float
    burst: int


class RateLimiter:
    """Token buckets, thread-safe (sync endpoints run in a thread pool)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, kind: str, key: str, limit: Limit) -> float:
        """Take one token; 0 when allowed, else the seconds until one is free."""
        now = self._clock()
        rate = limit.per_minute / 60.0
        with self._lock:
            self._sweep(now)
            tokens, then = self._buckets.get((kind, key), (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[(kind, key)] = (tokens, now)
                return math.inf if rate <= 0 else (1.0 - tokens) / rate
            self._buckets[(kind, key)] = (tokens - 1.0, now)
            return 0.0

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60.0:
            return
        self._last_sweep = now
        # a bucket untouched for 10 minutes is full again at any sane rate: forget it
        stale = [k for k, (_, then) in self._buckets.items() if now - then > 600.0]
        for key in stale:
            del self._buckets[key]
