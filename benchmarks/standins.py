"""What stand-ins cost: the planar reference graded with and without them.

Grades the reference solution ``--n`` times with stand-ins on (the default) and off (every
check's ``standins=False``), in one grader each, and prints the median time per submission and
of the checks that call back (nn_model's and predict's), and the number of call backs.

    python benchmarks/standins.py --n 10
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.runner import Grader
from grader.standins import StandIns

ROOT = Path(__file__).resolve().parents[1]
PLANAR = ROOT / "assignments" / "planar_data_classification"
SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"


def _without_standins(assignment: Assignment) -> Assignment:
    checks = tuple(
        dataclasses.replace(c, spec=dataclasses.replace(c.spec, standins=False))
        for c in assignment.checks
    )
    return dataclasses.replace(assignment, checks=checks)


def _measure(assignment: Assignment, n: int) -> tuple[float, dict[str, float], int]:
    served = [0]
    original = StandIns.serve

    def counting(self: StandIns, *args: object) -> bytes:
        served[0] += 1
        return original(self, *args)  # type: ignore[arg-type]

    StandIns.serve = counting  # type: ignore[method-assign]
    totals: list[float] = []
    per_check: dict[str, list[float]] = {}
    try:
        with Grader(assignment) as grader:
            grader.grade_path(SOLUTION, "warm-up")
            served[0] = 0
            for i in range(n):
                result = grader.grade_path(SOLUTION, f"ref{i}")
                assert result.score == result.max_score
                totals.append(result.duration_s)
                for test in result.tests:
                    if test.function in ("nn_model", "predict"):
                        per_check.setdefault(test.id, []).append(test.duration_s)
    finally:
        StandIns.serve = original  # type: ignore[method-assign]
    medians = {k: statistics.median(v) for k, v in per_check.items()}
    return statistics.median(totals), medians, served[0] // max(n, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10)
    args = parser.parse_args()
    planar = load_assignment(PLANAR)
    for label, assignment in (("on", planar), ("off", _without_standins(planar))):
        total, checks, callbacks = _measure(assignment, args.n)
        print(f"stand-ins {label}: {total * 1000:.0f} ms per submission (median of {args.n}), "
              f"{callbacks} call backs each")
        for check_id, seconds in sorted(checks.items()):
            print(f"    {check_id:<20} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
