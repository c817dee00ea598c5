"""Numbers about a whole run: score statistics, histogram, failure rates, common failures.

Computed once here and rendered by :mod:`grader.reports.summary`, so the Markdown and the
terminal summaries can never disagree.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from grader.reports._common import failure_label, one_line
from grader.results import GradingRun, SubmissionResult

__all__ = ["BUCKETS", "CheckRate", "RunStats", "StatsAccumulator", "run_stats"]

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


def _median(counts: Counter[float], n: int) -> float | None:
    """The median of a multiset given as value -> count (exactly statistics.median)."""
    if n == 0:
        return None
    wanted = (n - 1) // 2, n // 2  # the middle position(s), 0-based
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


class StatsAccumulator:
    """Builds :class:`RunStats` one submission at a time, in memory that does not grow with
    the number of submissions: scores are kept as a value -> count table, failure messages
    as a table capped at ``max_messages`` distinct entries (later new messages are counted
    in the failure rates but not listed), invalid reasons up to ``max_invalid``.

    Args:
        max_score: the assignment's maximum score.
        max_messages: distinct (test, message) pairs tracked for "most common failures".
        max_invalid: invalid submissions listed by id (all are counted).
    """

    def __init__(self, max_score: float, *, max_messages: int = 5000, max_invalid: int = 200):
        self.max_score = max_score
        self.max_messages = max_messages
        self.max_invalid = max_invalid
        self.graded = self.invalid = 0
        self.scores: Counter[float] = Counter()
        self.histogram = [0] * BUCKETS
        self.failed: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.messages: Counter[tuple[str, str]] = Counter()
        self.invalid_reasons: list[tuple[str, str]] = []

    def add(self, sub: SubmissionResult) -> None:
        """Count one submission."""
        if sub.status != "graded":
            self.invalid += 1
            if len(self.invalid_reasons) < self.max_invalid:
                reason = one_line(sub.error or "no reason recorded", 200)
                self.invalid_reasons.append((sub.id, reason))
            return
        self.graded += 1
        self.scores[sub.score] += 1
        self.histogram[_bucket(sub, self.max_score)] += 1
        for test in sub.tests:
            self.total[test.id] += 1
            if test.outcome == "passed":
                continue
            self.failed[test.id] += 1
            key = (test.id, failure_label(test))
            if key in self.messages or len(self.messages) < self.max_messages:
                self.messages[key] += 1

    def stats(self) -> RunStats:
        """The statistics of every submission added so far."""
        n = self.graded
        rates = [CheckRate(test_id, self.failed[test_id], t) for test_id, t in self.total.items()]
        ranked = sorted(self.messages.items(), key=lambda item: (-item[1], item[0]))
        return RunStats(
            graded=n,
            invalid=self.invalid,
            mean=math.fsum(v * c for v, c in self.scores.items()) / n if n else None,
            median=_median(self.scores, n),
            minimum=min(self.scores, default=None),
            maximum=max(self.scores, default=None),
            max_score=self.max_score,
            histogram=tuple(self.histogram),
            test_rates=tuple(sorted(rates, key=lambda r: (-r.rate, r.id))),
            top_failures=tuple((t, m, c) for (t, m), c in ranked[:TOP_MESSAGES]),
            invalid_reasons=tuple(self.invalid_reasons),
        )


def run_stats(run: GradingRun) -> RunStats:
    """Compute the summary statistics of a run.

    Args:
        run: the results of one grading run.

    Returns:
        The statistics; score fields are None when no submission was graded.
    """
    accumulator = StatsAccumulator(run.assignment.max_score, max_invalid=len(run.submissions))
    for sub in run.submissions:
        accumulator.add(sub)
    return accumulator.stats()
