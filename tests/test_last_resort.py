"""The last-resort net: a bug of the grader's own costs one submission, never the batch.

Each test makes one internal stage raise (reading, extraction, a check, a worker) for one
submission of three, and checks that the other two are graded as usual, that the broken one
gets an invalid result naming the internal error, and that ``grader grade`` exits 0 with every
report written. KeyboardInterrupt is not caught: it still stops the batch.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest

import grader.batch_backends as backends
import grader.runner as runner
from grader.assignment import load_assignment
from grader.batch import BatchSettings, plan_submissions, run_batch
from grader.cli import ExitCode, main
from grader.errors import InvalidSubmission, SandboxError
from grader.results import SubmissionResult

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
BOOM = "# BOOM: the stage under test fails on this one\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default cache lives in the current directory


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.py").write_text(CORRECT + (BOOM if name == "b" else ""))
    return folder


def _explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("stage exploded")


def _boom_in(args: tuple[Any, ...]) -> bool:
    text = repr(args)
    if "BOOM" in text:
        return True
    return any(isinstance(a, (str, Path)) and "b.py" in str(a) for a in args)


def failing_for_b(real: Any) -> Any:
    def stage(*args: Any, **kwargs: Any) -> Any:
        if _boom_in(args):
            raise RuntimeError("stage exploded")
        return real(*args, **kwargs)

    return stage


STAGES = {
    "read": ("read_submission", lambda: runner.read_submission),
    "extract": ("extract_program", lambda: runner.extract_program),
}


def assert_b_alone_failed(document: dict[str, Any]) -> None:
    by_id = {s["id"]: s for s in document["submissions"]}
    assert sorted(by_id) == ["a", "b", "c"]
    for ok in ("a", "c"):
        assert by_id[ok]["status"] == "graded" and by_id[ok]["score"] == 6.0
    b = by_id["b"]
    assert b["status"] == "invalid" and b["score"] == 0.0
    assert b["error"].startswith("internal error while grading this submission: RuntimeError")
    assert "stage exploded" in b["error"] and "report" in b["error"]
    assert "/" not in b["error"].split("(at ", 1)[-1]  # a file name at most, never a path


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_that_raises_costs_one_submission_and_every_report_is_written(
    tmp_path: Path, subs: Path, monkeypatch: pytest.MonkeyPatch, stage: str, jobs: str
) -> None:
    name, real = STAGES[stage]
    monkeypatch.setattr(runner, name, failing_for_b(real()))
    out = tmp_path / "out"
    code = main([
        "grade", str(TINY), str(subs), "-q", "-j", jobs, "--parallel", "threads",
        "--json", str(out / "results.json"), "--csv", str(out / "grades.csv"),
        "--junit", str(out / "junit.xml"), "--feedback", str(out / "feedback"),
        "--gradescope", str(out / "gradescope"), "--summary", str(out / "summary.md"),
    ])
    assert code == ExitCode.OK
    assert_b_alone_failed(json.loads((out / "results.json").read_text()))
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert len(rows) == 3
    assert (out / "junit.xml").stat().st_size > 0 and (out / "summary.md").stat().st_size > 0
    assert {p.stem for p in (out / "feedback").glob("*.md")} == {"a", "b", "c"}


def test_a_check_that_raises_past_run_check_costs_one_submission(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def judge(check: Any, fixtures: dict[str, Any], program: Any, **options: Any) -> Any:
        if "add" in program.functions and program.functions["add"].cell == 3:
            raise KeyError("fixture")  # a bug in a check or in its harness
        return real(check, fixtures, program, **options)

    real = runner.judge
    (subs / "b.py").write_text("# %%\n# BOOM\n" + CORRECT)  # its functions sit a cell later
    monkeypatch.setattr(runner, "judge", judge)
    code = main(["grade", str(TINY), str(subs), "-q", "-j", "1", "--json", "r.json"])
    assert code == ExitCode.OK
    document = json.loads(Path("r.json").read_text())
    b = {s["id"]: s for s in document["submissions"]}["b"]
    assert b["status"] == "invalid" and "KeyError" in b["error"]
    assert [s["status"] for s in document["submissions"]].count("graded") == 2


def test_an_internal_error_is_not_cached(subs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "extract_program", failing_for_b(runner.extract_program))
    assert main(["grade", str(TINY), str(subs), "-q", "-j", "1", "--json", "1.json"]) == 0
    monkeypatch.undo()
    monkeypatch.chdir(subs.parent)
    assert main(["grade", str(TINY), str(subs), "-q", "-j", "1", "--json", "2.json"]) == 0
    again = {s["id"]: s for s in json.loads(Path("2.json").read_text())["submissions"]}
    assert again["b"]["status"] == "graded" and again["b"]["score"] == 6.0


def test_keyboard_interrupt_still_stops_the_batch(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        if _boom_in(args):
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    real = runner.extract_program
    monkeypatch.setattr(runner, "extract_program", interrupt)
    code = main(["grade", str(TINY), str(subs), "-q", "-j", "1", "--json", "r.json"])
    assert code == ExitCode.INTERRUPTED
    kept = json.loads(Path("r.json").read_text())["submissions"]
    assert [s["id"] for s in kept] == ["a"]  # what was graded before the interrupt is kept


# -- the batch's own nets (around grade_path, for what it misses) ---------------------------


@pytest.fixture(scope="module")
def tiny_grader() -> Iterator[runner.Grader]:
    with runner.Grader(load_assignment(TINY)) as g:
        yield g


def test_a_worker_whose_grade_path_raises_returns_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, tiny_grader: runner.Grader
) -> None:
    monkeypatch.setattr(backends, "_worker_grader", tiny_grader)
    monkeypatch.setattr(tiny_grader, "grade_path", _explode)
    result, _isolation, _warnings, _environment = backends._worker_grade("subs/b.py", "b")
    assert result.status == "invalid" and result.id == "b"
    assert result.error is not None and "RuntimeError: stage exploded" in result.error


def test_a_future_that_failed_becomes_that_submissions_result(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = runner.Grader.grade_path

    def grade_path(self: runner.Grader, path: Path, sid: str) -> SubmissionResult:
        if sid == "b":
            raise MemoryError("no room to pickle the result")
        return real(self, path, sid)

    monkeypatch.setattr(runner.Grader, "grade_path", grade_path)
    results: list[SubmissionResult] = []
    outcome = run_batch(
        load_assignment(TINY),
        plan_submissions([subs]),
        lambda result, cached: results.append(result),
        settings=BatchSettings(jobs=2, backend="threads"),
    )
    assert not outcome.interrupted
    assert [r.id for r in results] == ["a", "b", "c"]
    assert [r.status for r in results] == ["graded", "invalid", "graded"]
    assert results[1].error is not None and "MemoryError" in results[1].error


def test_collect_turns_any_failed_future_into_a_result(tmp_path: Path) -> None:
    emitted: list[SubmissionResult] = []
    state = backends.State(
        load_assignment(TINY), [("x", tmp_path / "x.py")], BatchSettings(),
        lambda result, cached: emitted.append(result), None,
    )
    future: Future[Any] = Future()
    future.set_exception(OSError("the worker process died"))
    backends._collect(state, 0, future)
    state.emit_ready()
    assert len(emitted) == 1 and emitted[0].status == "invalid"
    assert emitted[0].error is not None and "OSError: the worker process died" in emitted[0].error


def fake_worker(path: str, sid: str) -> tuple[SubmissionResult, dict[str, bool], tuple[()]]:
    """Runs in a worker process: dies on submission "b" as a crashing grader would."""
    if sid == "b":
        os._exit(3)
    result = SubmissionResult(
        id=sid, path=path, sha256="", status="graded", error=None, score=6.0, max_score=6.0,
        duration_s=0.0,
    )
    return result, {}, (), ()


def test_a_worker_process_that_dies_costs_only_its_submission(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("d", "e", "f"):
        (subs / f"{name}.py").write_text(CORRECT + f"# {name}\n")

    def pool(state: backends.State, jobs: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))

    monkeypatch.setattr(backends, "_process_pool", pool)
    monkeypatch.setattr(backends, "_worker_grade", fake_worker)
    results: list[SubmissionResult] = []
    outcome = run_batch(
        load_assignment(TINY),
        plan_submissions([subs]),
        lambda result, cached: results.append(result),
        settings=BatchSettings(jobs=2, backend="processes"),
    )
    assert not outcome.interrupted
    assert [r.id for r in results] == ["a", "b", "c", "d", "e", "f"]
    assert [r.status for r in results] == ["graded", "invalid", *["graded"] * 4]
    assert results[1].error is not None and "BrokenProcessPool" in results[1].error


def test_an_invalid_submission_found_late_is_invalid_not_internal(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def extract(*args: Any, **kwargs: Any) -> Any:
        if _boom_in(args):
            raise InvalidSubmission("cell 3: too many definitions")
        return real(*args, **kwargs)

    real = runner.extract_program
    monkeypatch.setattr(runner, "extract_program", extract)
    assert main(["grade", str(TINY), str(subs), "-q", "-j", "1", "--json", "r.json"]) == 0
    b = {s["id"]: s for s in json.loads(Path("r.json").read_text())["submissions"]}["b"]
    assert b["status"] == "invalid" and b["error"] == "cell 3: too many definitions"


def test_a_broken_sandbox_still_stops_the_batch_with_its_exit_code(
    subs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not a submission's fault, and no submission's result: every later one would fail too.
    def extract(*args: Any, **kwargs: Any) -> Any:
        if _boom_in(args):
            raise SandboxError("the sandbox helper process did not start")
        return real(*args, **kwargs)

    real = runner.extract_program
    monkeypatch.setattr(runner, "extract_program", extract)
    assert main(["grade", str(TINY), str(subs), "-q", "-j", "1"]) == ExitCode.SANDBOX_ERROR
