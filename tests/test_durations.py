"""Durations read the same everywhere: a number, a space, a unit."""

from __future__ import annotations

import io

import pytest

from grader.durations import fmt_duration
from grader.progress import LogProgress


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0.514, "0.51 s"),
        (9.44, "9.4 s"),
        (9.96, "10 s"),
        (42.4, "42 s"),
        (65, "1 min 05 s"),
        (3599.6, "1 h 00 min"),
        (7380, "2 h 03 min"),
        (-1, "0 s"),
        (float("nan"), "0 s"),
    ],
)
def test_fmt_duration(seconds: float, text: str) -> None:
    assert fmt_duration(seconds) == text


def test_an_eta_has_no_decimals_and_the_same_units() -> None:
    assert fmt_duration(3.4, coarse=True) == "3 s"
    now = [0.0]
    out = io.StringIO()
    progress = LogProgress(200, out, every=1, interval_s=1000, clock=lambda: now[0])
    now[0] = 1.0
    progress.advance(cached=False)
    assert out.getvalue() == "graded 1/200 (1.0/s, ETA 3 min 19 s)\n"
