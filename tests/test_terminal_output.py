"""What `grader grade` prints: quiet means quiet, every mark explained, no 0% rows."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import grader.commands.grade as grade_command
from grader.cli import ExitCode, main
from grader.reports.stats import CheckRate, run_stats
from grader.reports.summary import stats_markdown, stats_text
from grader.results import GradingRun

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
SUBS = str(DATA / "submissions" / "tiny")
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
WRONG_ADD = CORRECT.replace("return x + y", "return x - y")  # scale still right


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _subs(folder: Path, sources: list[str]) -> Path:
    folder.mkdir()
    for i, source in enumerate(sources):
        (folder / f"s{i}.py").write_text(source + f"# {i}\n")
    return folder


def test_quiet_prints_the_table_and_nothing_else(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", TINY, SUBS, "-q"]) == ExitCode.OK
    printed = capsys.readouterr()
    assert "correct" in printed.out and "wrong_add" in printed.out
    assert "Summary:" not in printed.out and "Score distribution" not in printed.out
    assert "✓ all tests passed" not in printed.out  # no legend either
    assert printed.err == ""  # no progress, no closing count


def test_the_legend_explains_every_mark(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", TINY, SUBS]) == ExitCode.OK
    out = capsys.readouterr().out
    legend = "✓ all tests passed  ~ some passed  ✗ none passed  · not found  (no marks: invalid)"
    assert legend in out
    assert "one mark per function: add, scale" in out
    assert out.index("wrong_add") < out.index(legend) < out.index("Summary:")


def test_a_hidden_table_says_how_to_show_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(grade_command, "TABLE_LIMIT", 2)
    subs = _subs(tmp_path / "subs", [CORRECT, WRONG_ADD, CORRECT])
    assert main(["grade", TINY, str(subs)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "s1" not in out
    assert "(per-submission table not printed for 3 submissions, more than 2: add --table" in out


def test_tests_nobody_failed_get_no_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs = _subs(tmp_path / "subs", [CORRECT, WRONG_ADD])
    assert main(["grade", TINY, str(subs), "--summary", "s.md"]) == ExitCode.OK
    out = capsys.readouterr().out
    rates = out[out.index("Failure rate per test") :]
    assert "add.example" in rates
    assert "scale." not in rates and " 0%" not in rates
    markdown = (tmp_path / "s.md").read_text()
    assert "| `add.example` |" in markdown and "`scale." not in markdown.split("Failure")[1]
    assert "| 0% |" not in markdown


def test_when_every_test_passed_the_rates_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = _subs(tmp_path / "subs", [CORRECT, CORRECT])
    assert main(["grade", TINY, str(subs)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Failure rate per test: every test passed on every graded submission." in out
    assert "0%  (0/2)" not in out


def test_a_rare_failure_never_reads_0_percent() -> None:
    from grader.assignment import load_assignment

    assignment = load_assignment(TINY)
    run = GradingRun.from_dict(
        {
            "schema_version": 1,
            "grader_version": "0",
            "assignment": {
                "id": assignment.id,
                "title": assignment.title,
                "max_score": assignment.max_score,
            },
            "environment": {},
            "submissions": [],
        }
    )
    stats = dataclasses.replace(
        run_stats(run),
        graded=1000,
        test_rates=(CheckRate("add.always", 999, 1000), CheckRate("add.rare", 1, 1000)),
    )
    text, markdown = stats_text("T", stats), stats_markdown("T", stats)
    assert ">99%  (999/1000)" in text and "<1%  (1/1000)" in text
    assert "| `add.rare` | 1 / 1000 | <1% |" in markdown
    assert "| `add.always` | 999 / 1000 | >99% |" in markdown


def test_scores_in_the_table_have_two_decimals_at_most() -> None:
    from grader.reports.terminal import terminal_row
    from grader.results import SubmissionResult

    sub = SubmissionResult("ann", "ann.py", "0" * 64, "graded", None, 200 / 3, 100.0, 0.1)
    row = terminal_row(sub, [], id_width=3, score_width=10, color=False)
    assert row == "ann   66.67/100    graded\n"
