"""What decoding costs the grader's process, for honest results and for hostile payloads.

Prints, for each payload, its size, the time :func:`grader.sandbox.wire.decode` takes and the
peak memory it allocates (tracemalloc, so times are inflated by tracing; run with
``--no-trace`` for plain timings). Nothing is asserted: see tests/test_wire_fuzz.py for the
properties.

    python benchmarks/wire_hostile.py
    python benchmarks/wire_hostile.py --no-trace
"""

from __future__ import annotations

import argparse
import struct
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from grader.sandbox import wire


def _framed(header: bytes) -> bytes:
    return wire.MAGIC + struct.pack(">I", len(header)) + header


def _payloads() -> dict[str, Callable[[], bytes]]:
    return {
        "honest: 64 MiB float64 array": lambda: wire.encode(
            np.zeros(8 * 1024 * 1024 - 64), max_bytes=1 << 30
        ),
        "honest: 10,000 keys of small arrays": lambda: wire.encode(
            {f"k{i}": np.ones((2, 3)) for i in range(10_000)}
        ),
        "honest: 30 MB string full of commas": lambda: wire.encode("[],{" * 7_500_000,
                                                                    max_bytes=1 << 30),
        "hostile: a million nested empty lists": lambda: _framed(
            b'{"v": {"l": [' + b'{"l": []},' * 1_000_000 + b'0]}, "b": []}'
        ),
        "hostile: 400k strings of commas": lambda: _framed(
            b'{"v": {"l": [' + b'",,,,,,,,,,,,",' * 399_990 + b'0]}, "b": []}'
        ),
        "hostile: 2 M empty dicts": lambda: _framed(
            b'{"v": {"l": [' + b"{}," * 2_000_000 + b'0]}, "b": []}'
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-trace", action="store_true", help="time without tracemalloc")
    args = parser.parse_args()
    print(f"{'payload':40} {'size MB':>8} {'decode s':>9} {'peak MiB':>9}  outcome")
    for name, make in _payloads().items():
        payload = make()
        if not args.no_trace:
            tracemalloc.start()
        start = time.perf_counter()
        try:
            wire.decode(payload, max_bytes=1 << 30)
            outcome = "decoded"
        except wire.WireError as exc:
            outcome = f"WireError: {exc.message}"
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if not args.no_trace else float("nan")
        tracemalloc.stop()
        print(f"{name:40} {len(payload) / 1e6:8.1f} {elapsed:9.3f} {peak:9.1f}  {outcome}")


if __name__ == "__main__":
    main()
