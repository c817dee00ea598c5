"""Measure ``grader check`` wall time against the interpreter's own start-up.

Run: ``python benchmarks/check.py [--runs 7] [--assignment planar_data_classification]``.

Each command runs in a fresh subprocess (as a student's shell would run it), ``--runs`` times;
the median is reported. ``python -c pass`` and ``python -c "import numpy"`` give the floor any
Python tool that uses numpy pays; the last column is what ``grader check`` costs beyond it.
Pass ``--importtime`` to print the slowest imports of one ``grader check`` run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(argv: list[str], runs: int) -> float:
    """Median wall time of ``argv`` over ``runs`` runs (one warm-up run first, not counted)."""
    env = {**os.environ, "NO_COLOR": "1"}
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def importtime(notebook: Path) -> None:
    """Print the ten slowest imports (cumulative) of one ``grader check`` run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "grader", "check", str(notebook)],
        capture_output=True,
        text=True,
    )
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line[12:].split("|"))
            if cumulative.isdigit():
                rows.append((int(cumulative), name))
    print("\nslowest imports (cumulative, ms):")
    for micros, module in sorted(rows, reverse=True)[:10]:
        print(f"  {micros / 1000:7.1f}  {module}")


def main() -> None:
    """Print one line per measured command and the cost of ``grader check`` over start-up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--assignment", default="planar_data_classification")
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    folder = ROOT / "assignments" / args.assignment
    release = folder / f"{args.assignment}.ipynb"
    solution = ROOT / "solutions" / f"{args.assignment}.ipynb"
    py = sys.executable
    bare = wall([py, "-c", "pass"], args.runs)
    numpy = wall([py, "-c", "import numpy"], args.runs)
    print(f"median of {args.runs} runs, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for name, took in (("python -c pass", bare), ('python -c "import numpy"', numpy)):
        print(f"  {name:<40} {took * 1e3:7.0f} ms")
    for label, notebook in (("release", release), ("solution", solution)):
        took = wall([py, "-m", "grader", "check", str(notebook)], args.runs)
        extra = (took - numpy) * 1e3
        name = f"grader check ({label})"
        print(f"  {name:<40} {took * 1e3:7.0f} ms   (+{extra:.0f} ms over numpy start-up)")
    if args.importtime:
        importtime(solution)


if __name__ == "__main__":
    main()
