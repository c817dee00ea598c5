"""Measure the sandbox: zygote start, spawn+load, a call round trip; each layer on and off.

Run: ``python benchmarks/sandbox.py [--n 200]``. Prints one block per configuration.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from grader.sandbox import Limits, Zygote
from grader.sandbox.isolation import LAYERS

_UNITS = [
    ["import", "import numpy as np", 1, 1, ["np"]],
    ["def", "def f(x):\n    return np.tanh(x) * 2", 2, 1, ["f"]],
]
_SWITCHABLE = (
    "pid_namespace", "network", "filesystem", "seccomp", "uid_dropped", "capabilities",
    "ipc_namespace", "private_mounts", "memory_cgroup",
)


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1e3:6.2f} ms  p95 {p95 * 1e3:6.2f} ms"


def measure(disable: Sequence[str], n: int) -> None:
    """Print the timings for one configuration."""
    limits = Limits(call_timeout_s=5, load_timeout_s=5)
    t0 = time.perf_counter()
    zygote = Zygote([], disable=disable)
    start = time.perf_counter() - t0
    spawns, calls = [], []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            child = zygote.spawn(limits)
            child.request({"op": "load", "units": _UNITS}, 5, limits.result_bytes)
            t1 = time.perf_counter()
            child.request({"op": "call", "name": "f", "args": [0.5], "kwargs": {}}, 5, 1 << 20)
            calls.append(time.perf_counter() - t1)
            child.close()
            spawns.append(t1 - t0)
        active = sorted(k for k, v in zygote.isolation.items() if v)
    finally:
        zygote.close()
    label = "all layers" if not disable else "without " + ", ".join(disable)
    print(f"{label}:")
    print(f"  zygote start      {start * 1e3:7.1f} ms  (active: {len(active)}/{len(LAYERS)})")
    print(f"  spawn + load      {_ms(spawns)}")
    print(f"  call round trip   {_ms(calls)}")


def main(argv: Sequence[str] | None = None) -> None:
    """Measure every configuration."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args(argv)
    measure((), args.n)
    for layer in _SWITCHABLE:
        measure((layer,), args.n)
    measure(_SWITCHABLE, args.n)


if __name__ == "__main__":
    main()
