"""Measure what items 7 and 11 cost a run: the code fingerprint, pyplot in the zygote, the probe.

Run: ``python benchmarks/environment.py [--n 5]``. Prints medians; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import grader
from grader.codehash import code_fingerprint
from grader.environment import missing_requirements
from grader.sandbox import Limits, Zygote


def _median_ms(action: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _zygote_start(prewarm: list[str]) -> Callable[[], None]:
    return lambda: Zygote([], prewarm=prewarm).close()


def main(argv: Sequence[str] | None = None) -> None:
    """Print each figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5)
    args = parser.parse_args(argv)
    package = Path(grader.__file__).parent
    files = sum(1 for _ in package.rglob("*.py"))
    fingerprint = _median_ms(lambda: code_fingerprint(package), max(args.n, 20))
    print(f"code fingerprint ({files} files)       {fingerprint:8.1f} ms")
    for prewarm in ([], ["matplotlib.pyplot"]):
        start = _median_ms(_zygote_start(prewarm), args.n)
        print(f"zygote start, prewarm={prewarm!s:22} {start:8.1f} ms")
    limits = Limits(load_timeout_s=20)
    with_pyplot = Zygote([], prewarm=["matplotlib.pyplot"])
    try:
        probe = _median_ms(
            lambda: missing_requirements(with_pyplot, ["matplotlib"], limits), args.n
        )
    finally:
        with_pyplot.close()
    print(f"requires probe (one module)            {probe:8.1f} ms")


if __name__ == "__main__":
    main()
