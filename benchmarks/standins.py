"""What stand-ins cost: planar notebooks graded with and without them.

Grades the reference solution (correct) and a notebook whose ``forward_propagation`` forgets
``b1`` (wrong: nn_model's and predict's checks are graded again with stand-ins) ``--n`` times
each, with stand-ins on (the default) and off (every check's ``standins=False``), in one
grader each, and prints the median time per submission and of the checks that may call back
(nn_model's and predict's), and the number of call backs per submission.

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
WRONG = ROOT / "tests" / "data" / "planar" / "scenarios" / "mistake_forward_no_b1.ipynb"


def _without_standins(assignment: Assignment) -> Assignment:
    checks = tuple(
        dataclasses.replace(c, spec=dataclasses.replace(c.spec, standins=False))
        for c in assignment.checks
    )
    return dataclasses.replace(assignment, checks=checks)


def _measure(
    assignment: Assignment, notebook: Path, n: int
) -> tuple[float, dict[str, float], int]:
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
            grader.grade_path(notebook, "warm-up")
            served[0] = 0
            for i in range(n):
                result = grader.grade_path(notebook, f"s{i}")
                assert notebook != SOLUTION or result.score == result.max_score
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
    for name, notebook in (("correct", SOLUTION), ("wrong forward_propagation", WRONG)):
        print(f"{name} ({notebook.name}):")
        for label, assignment in (("on", planar), ("off", _without_standins(planar))):
            total, checks, callbacks = _measure(assignment, notebook, args.n)
            print(f"  stand-ins {label}: {total * 1000:.0f} ms per submission (median of "
                  f"{args.n}), {callbacks} call backs each")
            for check_id, seconds in sorted(checks.items()):
                print(f"      {check_id:<20} {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
