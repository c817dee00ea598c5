"""Measure the grader's own wall time and peak memory against the size of a notebook.

Run: ``python benchmarks/input_size.py [--sizes 1 2 4 8 16 32 64] [--timeout 120]``.

For each notebook shape and size (in MB, up to the 64 MiB cap of ``grader.notebook``) and each
stage (reading, extraction, feedback as Markdown, feedback as HTML), a fresh interpreter runs
the stages up to that one and reports the stage's wall time and the process's peak RSS (so the
peak of a later stage includes the earlier ones). Children run under an address-space limit
(``--memory``, GiB) so a blow-up shows as ``MemoryError`` instead of taking the machine; one
over ``--timeout`` seconds shows as ``timeout``. Shapes: ``giant-cell`` (one code cell holding
all the code), ``outputs`` (twenty small code cells with big image and text outputs). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("read", "extract", "feedback_md", "feedback_html")

_CHILD = r"""
import json, resource, sys, time
from grader.extract import extract_program
from grader.notebook import read_submission
from grader.reports import feedback_html, feedback_markdown
from grader.results import CheckResult, SubmissionResult

path, stage = sys.argv[1], sys.argv[2]
t = time.perf_counter()
source = read_submission(path)
took = time.perf_counter() - t
if stage != "read":
    t = time.perf_counter()
    program = extract_program(source.cells)
    took = time.perf_counter() - t
if stage.startswith("feedback"):
    tests = tuple(
        CheckResult(f"{name}.values", name, 0.0, 5.0, "failed", "wrong values " * 50,
                    "visible", 0.1, "printed\n" * 1000)
        for name in list(program.functions)[:20]
    )
    sub = SubmissionResult("student", path, source.sha256, "graded", None, 0.0, 100.0, 1.0,
                           (*source.warnings, *program.warnings), tests)
    t = time.perf_counter()
    if stage == "feedback_md":
        feedback_markdown(sub, title="Benchmark")
    else:
        feedback_html(path, sub)
    took = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": took, "peak": peak}))
"""


def _cell(source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"c{random.getrandbits(32):08x}",
        "metadata": {},
        "execution_count": 1,
        "outputs": outputs,
        "source": source,
    }


def _notebook(cells: list[dict[str, Any]]) -> bytes:
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    return json.dumps(nb).encode()


def giant_cell(size: int) -> bytes:
    """One code cell of about ``size`` bytes of valid code: definitions and constants."""
    block = "".join(f"def f{i}(x):\n    return x + {i}\n\nC{i} = {i}\n" for i in range(100))
    encoded = len(json.dumps(block)) - 2  # newlines take two bytes in the file
    return _notebook([_cell(block * (size // encoded + 1), [])])


def with_outputs(size: int) -> bytes:
    """Twenty small code cells whose outputs (PNG images, printed lines) make up ``size``."""
    per_cell = size // 20
    image = base64.b64encode(os.urandom(per_cell * 3 // 8)).decode()
    text = ["loss 0.6931 accuracy 0.5\n"] * (per_cell // 2 // 30)
    outputs: list[dict[str, Any]] = [
        {"output_type": "stream", "name": "stdout", "text": text},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": image}},
    ]
    return _notebook([_cell(f"def f{i}(x):\n    return x\n", outputs) for i in range(20)])


SHAPES = {"giant-cell": giant_cell, "outputs": with_outputs}


def run_stage(path: Path, stage: str, timeout: float, memory: int) -> str:
    """Run one stage in a fresh interpreter; return ``"seconds  peak MB"`` or what went wrong."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), stage],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return f"timeout >{timeout:.0f}s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]
        return last.split(":")[0][:22]
    out = json.loads(done.stdout)
    return f"{out['seconds']:6.2f}s {out['peak'] / 2**20:6.0f}MB"


def main() -> None:
    """Print one row per shape and size: each stage's wall time and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--memory", type=float, default=4.0, help="address-space limit, GiB")
    args = parser.parse_args()
    random.seed(0)
    print(f"{'shape':11} {'MB':>3}  " + "".join(f"{s:>23}" for s in args.stages), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            for size in args.sizes:
                # 64 means "just under the 64 MiB cap", so the largest notebook is accepted.
                data = SHAPES[shape](min(size * 2**20, 2**26 - 2**16) - 4096)
                path = Path(tmp) / f"{shape}-{size}.ipynb"
                path.write_bytes(data)
                cells = [
                    run_stage(path, stage, args.timeout, int(args.memory * 2**30))
                    for stage in args.stages
                ]
                print(f"{shape:11} {size:3}  " + "".join(f"{c:>23}" for c in cells), flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
