"""Feedback-page benchmark: time and peak memory of :func:`feedback_html` on huge notebooks.

Each case is written to a temporary file and rendered in a fresh interpreter (so its peak RSS
is the renderer's own), and the script prints seconds, peak RSS and the page's size:

    python benchmarks/feedback.py                 # every case
    python benchmarks/feedback.py --case images   # one case

Cases (all under the reader's 64 MiB cap): ``outputs`` (10 MB of printed text over 2,000
cells), ``images`` (50 MB of base64 PNG data), ``cells`` (100,000 small cells), ``code``
(one 9 MB code cell), ``markdown`` (2,000 Markdown cells of 5 KB), ``formulas`` (10 Markdown
cells of 1,600 small formulas), ``long_formulas`` (60 formulas of 1,900 characters of TeX).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _cell(source: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "metadata": {},
        "execution_count": 1,
        "source": source,
        "outputs": outputs or [],
    }


def build(case: str) -> dict[str, Any]:
    """The notebook of one case, as JSON-ready data."""
    if case == "outputs":
        out = {"output_type": "stream", "name": "stdout", "text": "x" * 79 + "\n"}
        cells = [_cell("print('x')", [out] * 63) for _ in range(2000)]  # ~10 MB
    elif case == "images":
        blob = _PNG + "A" * (5_000_000 - len(_PNG))
        data = {"output_type": "display_data", "metadata": {}, "data": {"image/png": blob}}
        cells = [_cell("plot()", [data]) for _ in range(10)]  # 50 MB
    elif case == "cells":
        cells = [_cell(f"x{n} = {n}") for n in range(100_000)]
    elif case == "code":
        cells = [_cell("y = 1 + 2  # padding\n" * 450_000)]  # ~9 MB
    elif case == "markdown":
        text = "Some *text* with `code` and [a link](#here).\n\n" * 100
        cells = [{"cell_type": "markdown", "metadata": {}, "source": text}] * 2000
    elif case == "formulas":
        cell = {"cell_type": "markdown", "metadata": {}, "source": "$x^2$ " * 1600}
        cells = [cell] * 10
    elif case == "long_formulas":
        text = ("$" + "\\frac{a}{b}+" * 160 + "$ ") * 5
        cells = [{"cell_type": "markdown", "metadata": {}, "source": text}] * 12
    else:
        raise SystemExit(f"unknown case {case!r}")
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


_CASES = ["outputs", "images", "cells", "code", "markdown", "formulas", "long_formulas"]

_CHILD = """
import resource, sys, time
from grader.reports import feedback_html
from grader.results import SubmissionResult
sub = SubmissionResult(id="big", path=sys.argv[1], sha256="0" * 64, status="graded",
                       error=None, score=0.0, max_score=0.0, duration_s=0.0, tests=())
start = time.perf_counter()
page = feedback_html(sys.argv[1], sub)
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{took:.2f} {peak:.0f} {len(page)}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=_CASES)
    args = parser.parse_args()
    cases = [args.case] if args.case else _CASES
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            path = Path(tmp) / f"{case}.ipynb"
            path.write_text(json.dumps(build(case)), encoding="utf-8")
            size = path.stat().st_size / 1e6
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True
            )
            wall = time.perf_counter() - start
            if done.returncode:
                print(f"{case:9} {size:6.1f} MB  failed after {wall:.1f} s: {done.stderr[-300:]}")
                continue
            took, peak, page = done.stdout.split()
            print(
                f"{case:9} {size:6.1f} MB  render {float(took):6.2f} s  "
                f"peak RSS {float(peak):7.0f} MiB  page {int(page) / 1e6:7.2f} MB"
            )


if __name__ == "__main__":
    main()
