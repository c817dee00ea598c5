"""Batch grading: parallel equals serial, plan order, interruption, incremental statistics."""

from __future__ import annotations

import io
import random
import statistics
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment, load_assignment
from grader.batch import BatchSettings, grade_submissions, plan_submissions, run_batch
from grader.cache import ResultCache
from grader.progress import LogProgress, make_progress
from grader.reports import run_stats
from grader.reports.stats import StatsAccumulator
from grader.results import AssignmentInfo, GradingRun, SubmissionResult

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
# Wrong, but fails fast (no timeout), so the tests stay quick.
WRONG = "def add(a, b):\n    return a - b\n\ndef scale(v):\n    return v * 7\n"
HALF = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def tiny() -> Assignment:
    return load_assignment(TINY)


def make_subs(folder: Path, n: int) -> Path:
    """``n`` submissions with varied outcomes (and one invalid file), in a fresh folder."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [CORRECT, WRONG, HALF]
    for i in range(n):
        (folder / f"s{i:03d}.py").write_text(kinds[i % 3] + f"\n# student {i}\n")
    (folder / "zz_broken.ipynb").write_text('{"cells": [')
    return folder


def normalised(result: SubmissionResult) -> dict[str, Any]:
    doc = result.to_dict()
    doc.pop("duration_s")
    for test in doc["tests"]:
        test.pop("duration_s")
    return doc


def collect(
    assignment: Assignment, plan: list[tuple[str, Path]], **kw: Any
) -> tuple[list[SubmissionResult], list[bool], Any]:
    results: list[SubmissionResult] = []
    cached: list[bool] = []

    def on_result(result: SubmissionResult, was_cached: bool) -> None:
        results.append(result)
        cached.append(was_cached)

    outcome = run_batch(assignment, plan, on_result, settings=BatchSettings(**kw))
    return results, cached, outcome


def test_parallel_results_equal_serial_results_in_plan_order(
    tiny: Assignment, tmp_path: Path
) -> None:
    plan = plan_submissions([make_subs(tmp_path / "subs", 9)])
    serial, _, outcome = collect(tiny, plan, jobs=1)
    assert [r.id for r in serial] == [sid for sid, _ in plan]
    assert outcome.emitted == outcome.graded == len(plan) and not outcome.interrupted
    assert {r.score for r in serial} == {0.0, 3.0, 6.0}  # the mix really differs
    for settings in (
        {"jobs": 3, "backend": "threads", "window": 4},
        {"jobs": 2, "backend": "processes", "window": 3},
    ):
        parallel, _, outcome = collect(tiny, plan, **settings)
        assert [normalised(r) for r in parallel] == [normalised(r) for r in serial], settings
        assert outcome.graded == len(plan)


def test_header_describes_the_run(tiny: Assignment, tmp_path: Path) -> None:
    plan = plan_submissions([make_subs(tmp_path / "subs", 1)])
    _, _, outcome = collect(tiny, plan, jobs=1, visibility="visible")
    assert outcome.header.assignment == AssignmentInfo("tiny", "Tiny test assignment", 1.0)
    assert outcome.header.submissions == ()
    assert outcome.header.isolation  # whatever the sandbox reported, never empty


@pytest.mark.parametrize("settings", [{"jobs": 1}, {"jobs": 2, "backend": "threads"}])
def test_interrupted_run_keeps_what_is_done_and_a_rerun_finishes_the_rest(
    tiny: Assignment, tmp_path: Path, settings: dict[str, Any]
) -> None:
    plan = plan_submissions([make_subs(tmp_path / "subs", 11)])
    cache = ResultCache(tmp_path / "cache")
    seen: list[str] = []

    def stop_after_three(result: SubmissionResult, cached: bool) -> None:
        seen.append(result.id)
        if len(seen) == 3:
            raise KeyboardInterrupt

    outcome = run_batch(
        tiny, plan, stop_after_three, settings=BatchSettings(cache=cache, **settings)
    )
    assert outcome.interrupted
    assert outcome.emitted == len(seen) >= 3
    assert len(seen) < len(plan)
    order = [sid for sid, _ in plan]
    assert seen == sorted(seen, key=order.index)  # still in plan order
    if settings["jobs"] == 1:
        assert seen == order[:3]

    again, cached, outcome = collect(tiny, plan, cache=cache, **settings)
    assert not outcome.interrupted
    assert [r.id for r in again] == order
    assert outcome.graded == len(plan) - len(seen)  # nothing graded twice
    assert [r.id for r, c in zip(again, cached, strict=True) if c] == seen


def test_grade_submissions_keeps_its_in_memory_api(tiny: Assignment, tmp_path: Path) -> None:
    subs = make_subs(tmp_path / "subs", 3)
    got: list[str] = []
    run = grade_submissions(tiny, [subs], jobs=2, on_result=lambda r: got.append(r.id))
    assert isinstance(run, GradingRun)
    assert [s.id for s in run.submissions] == got == ["s000", "s001", "s002", "zz_broken"]
    assert [s.status for s in run.submissions][-1] == "invalid"


# ------------------------------------------------------------------ incremental statistics


def fake(sub_id: str, score: float, status: str = "graded") -> SubmissionResult:
    return SubmissionResult(sub_id, "p", "0" * 64, status, None, score, 10.0, 0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5))
def test_accumulated_stats_equal_whole_run_stats(seed: int) -> None:
    rng = random.Random(seed)
    subs = [
        fake(f"s{i}", rng.choice([0.0, 2.5, 5.0, 7.5, 10.0])) for i in range(rng.randint(1, 40))
    ]
    subs.append(fake("bad", 0.0, "invalid"))
    acc = StatsAccumulator(10.0)
    for sub in subs:
        acc.add(sub)
    stats = acc.stats()
    scores = [s.score for s in subs if s.status == "graded"]
    assert stats.median == statistics.median(scores)
    assert stats.mean == pytest.approx(statistics.fmean(scores))
    run = GradingRun("0", AssignmentInfo("a", "A", 10.0), {}, tuple(subs))
    assert stats == run_stats(run)


def test_accumulator_memory_is_bounded() -> None:
    acc = StatsAccumulator(10.0, max_invalid=3)
    for i in range(1000):
        acc.add(fake(f"s{i}", float(i % 3)))
        acc.add(fake(f"bad{i}", 0.0, "invalid"))
    stats = acc.stats()
    assert (stats.graded, stats.invalid, len(stats.invalid_reasons)) == (1000, 1000, 3)
    assert len(acc.scores) == 3


# ------------------------------------------------------------------ progress


def test_log_progress_when_not_a_terminal() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = LogProgress(10, out, every=4, interval_s=1000, clock=lambda: now[0])
    for i in range(10):
        now[0] += 0.5
        progress.advance(cached=i < 2)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "graded 4/10 (2.0/s, 2 cached, ETA 3 s)"
    assert lines[-1] == "graded 10/10 (2.0/s, 2 cached)"
    assert len(lines) == 3


def test_log_progress_also_writes_every_few_seconds() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = LogProgress(1000, out, every=100, interval_s=5, clock=lambda: now[0])
    for _ in range(3):
        now[0] += 6
        progress.advance(cached=False)
    assert len(out.getvalue().splitlines()) == 3


def test_make_progress_picks_a_bar_only_for_terminals() -> None:
    assert isinstance(make_progress(5, io.StringIO()), LogProgress)
    bar = make_progress(5, io.StringIO(), tty=True)
    bar.advance(cached=True)
    bar.note("hello")
    bar.close()
    assert not isinstance(bar, LogProgress)
