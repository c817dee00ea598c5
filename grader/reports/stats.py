"""Numbers about a whole run: score statistics, histogram, failure rates, common failures.

Computed once here and rendered by :mod:`grader.reports.summary`, so the Markdown and the
terminal summaries can never disagree.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from grader.reports._common import failure_label, one_line
from grader.results import GradingRun, SubmissionResult

__all__ = ["BUCKETS", "CheckRate", "RunStats", "run_stats"]

BUCKETS = 10
TOP_MESSAGES = 10


@dataclass(frozen=True)
class CheckRate:
    """How often one test did not pass among graded submissions."""

    id: str
    failed: int
    total: int

    @property
    def rate(self) -> float:
        """Fraction of graded submissions that did not pass this test."""
        return self.failed / self.total if self.total else 0.0


@dataclass(frozen=True)
class RunStats:
    """Summary statistics of a run. Score statistics cover graded submissions only."""

    graded: int
    invalid: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    max_score: float
    histogram: tuple[int, ...]  # BUCKETS counts of score/max_score in [0, 0.1), ..., [0.9, 1]
    test_rates: tuple[CheckRate, ...]  # worst first
    top_failures: tuple[tuple[str, str, int], ...]  # (test id, message, count), commonest first
    invalid_reasons: tuple[tuple[str, str], ...]  # (submission id, reason)


def _bucket(sub: SubmissionResult, fallback_max: float) -> int:
    top = sub.max_score if sub.max_score > 0 else fallback_max
    fraction = sub.score / top if top > 0 else 0.0
    return min(max(int(fraction * BUCKETS), 0), BUCKETS - 1)


def _test_rates(graded: list[SubmissionResult]) -> tuple[CheckRate, ...]:
    failed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for sub in graded:
        for test in sub.tests:
            total[test.id] += 1
            failed[test.id] += test.outcome != "passed"
    rates = [CheckRate(test_id, failed[test_id], n) for test_id, n in total.items()]
    return tuple(sorted(rates, key=lambda r: (-r.rate, r.id)))


def _top_failures(graded: list[SubmissionResult]) -> tuple[tuple[str, str, int], ...]:
    counts: Counter[tuple[str, str]] = Counter(
        (test.id, failure_label(test))
        for sub in graded
        for test in sub.tests
        if test.outcome != "passed"
    )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple((test_id, message, n) for (test_id, message), n in ranked[:TOP_MESSAGES])


def run_stats(run: GradingRun) -> RunStats:
    """Compute the summary statistics of a run.

    Args:
        run: the results of one grading run.

    Returns:
        The statistics; score fields are None when no submission was graded.
    """
    graded = [s for s in run.submissions if s.status == "graded"]
    scores = [s.score for s in graded]
    histogram = [0] * BUCKETS
    for sub in graded:
        histogram[_bucket(sub, run.assignment.max_score)] += 1
    return RunStats(
        graded=len(graded),
        invalid=len(run.submissions) - len(graded),
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        minimum=min(scores, default=None),
        maximum=max(scores, default=None),
        max_score=run.assignment.max_score,
        histogram=tuple(histogram),
        test_rates=_test_rates(graded),
        top_failures=_top_failures(graded),
        invalid_reasons=tuple(
            (s.id, one_line(s.error or "no reason recorded", 200))
            for s in run.submissions
            if s.status != "graded"
        ),
    )
