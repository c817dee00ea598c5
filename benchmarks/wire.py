"""What the sandbox wire costs: µs per encode/decode of typical payloads, round trips per second.

Prints, for each payload, the best-of-5 mean CPU µs of :func:`grader.sandbox.wire.encode` and
:func:`grader.sandbox.wire.decode`; then the round trips per second (and the grader's CPU per
call) of ``child.request({"op": "call", ...})`` through a real child. Nothing is asserted.

    python benchmarks/wire.py
    python benchmarks/wire.py --calls 5000 --no-child
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.sandbox import Limits, Zygote, wire

_UNITS = [
    ["import", "import numpy as np", 1, 1, ["np"]],
    ["def", "def f(x):\n    return x", 2, 1, ["f"]],
]


def _params() -> dict[str, np.ndarray[Any, Any]]:
    return {
        "W1": np.ones((4, 2)),
        "b1": np.zeros((4, 1)),
        "W2": np.ones((1, 4)),
        "b2": np.zeros((1, 1)),
    }


def _payloads() -> dict[str, Any]:
    return {
        "small call request": {
            "op": "call", "name": "f", "args": [0.5], "kwargs": {}, "seed": 7,
            "standins": [], "draws": [], "id": "0123456789abcdef:12",
        },
        "small reply": {
            "status": "ok", "value": 0.5, "output": "", "id": "0123456789abcdef:12",
        },
        "reply: dict of 4 arrays": {
            "status": "ok", "value": _params(), "output": "", "id": "0123456789abcdef:12",
        },
        "a 2x400 float array": np.random.default_rng(0).standard_normal((2, 400)),
        "a list of 1000 floats": [float(i) / 7 for i in range(1000)],
    }


def _time(fn: Callable[[], object], number: int) -> float:
    """Best-of-5 CPU µs per call (steadier than wall time on a shared machine), each a mean
    over ``number`` calls."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, (time.process_time() - start) / number)
    return best * 1e6


def codec(number: int) -> None:
    print(f"{'payload':28} {'bytes':>7} {'encode µs':>10} {'decode µs':>10}")
    for name, value in _payloads().items():
        payload = wire.encode(value)
        n = max(1, number // 10) if len(payload) > 10_000 else number
        enc = _time(lambda v=value: wire.encode(v), n)
        dec = _time(lambda p=payload: wire.decode(p), n)
        print(f"{name:28} {len(payload):7} {enc:10.1f} {dec:10.1f}")


def round_trips(calls: int) -> None:
    limits = Limits(call_timeout_s=5, load_timeout_s=5)
    with Zygote([]) as zygote:
        child = zygote.spawn(limits)
        try:
            child.request({"op": "load", "units": _UNITS}, 5, limits.result_bytes)
            print(f"{'call f(x), x =':28} {'calls/s':>8} {'median µs':>10} {'grader CPU µs':>14}")
            for name, arg in (("0.5", 0.5), ("dict of 4 small arrays", _params())):
                message = {"op": "call", "name": "f", "args": [arg], "kwargs": {}}
                for i in range(200):  # warm up
                    child.request({**message, "seed": i}, 5, limits.result_bytes)
                times = []
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for i in range(calls):
                    t = time.perf_counter()
                    child.request({**message, "seed": i}, 5, limits.result_bytes)
                    times.append(time.perf_counter() - t)
                wall = time.perf_counter() - wall0
                cpu = (time.process_time() - cpu0) / calls * 1e6
                median = statistics.median(times) * 1e6
                print(f"{name:28} {calls / wall:8.0f} {median:10.1f} {cpu:14.1f}")
        finally:
            child.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="codec calls per timing")
    parser.add_argument("--calls", type=int, default=3000, help="round trips per payload")
    parser.add_argument("--no-child", action="store_true", help="skip the round trips")
    args = parser.parse_args()
    codec(args.number)
    if not args.no_child:
        print()
        round_trips(args.calls)


if __name__ == "__main__":
    main()
