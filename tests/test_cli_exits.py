"""Exit codes as the README's table gives them, and one readable line for each error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import grader.batch
import grader.commands.grade as grade_command
from grader.cli import ExitCode, main

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
SUBS = str(DATA / "submissions" / "tiny")
DEBUG_ENV = "GRADER_DEBUG"  # literal: these tests also run against the code before the change
BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer killed by the signal


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default cache lives in the current directory
    monkeypatch.delenv(DEBUG_ENV, raising=False)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "usage:" not in err
    return lines[0]


def test_check_on_a_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # README: 2 is "no such file"; 3 is for a file that exists but is not a notebook.
    assert main(["check", "/no/such.ipynb"]) == ExitCode.USAGE
    assert _one_line(capsys.readouterr().err) == "grader: error: no such file: /no/such.ipynb"


def test_an_unknown_assignment_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", "no_such_assignment", SUBS]) == ExitCode.USAGE
    assert "no assignment at 'no_such_assignment'" in _one_line(capsys.readouterr().err)


def test_a_broken_assignment_folder_is_still_an_assignment_error(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "assignment.toml").write_text("id = [\n", encoding="utf-8")
    assert main(["grade", str(tmp_path / "broken"), SUBS]) == ExitCode.ASSIGNMENT_ERROR


@pytest.mark.parametrize(
    "extra, words",
    [
        (["-j", "abc"], "argument -j/--jobs: 'abc' is not a whole number"),
        (["-j", "0"], "argument -j/--jobs: must be at least 1, not 0"),
        (["-j", "-3"], "argument -j/--jobs: must be at least 1, not -3"),
        (["--fail-under", "abc"], "argument --fail-under: 'abc' is not a number"),
        (["--fail-under", "nan"], "argument --fail-under: must be a finite number, not nan"),
        (["--fail-under", "inf"], "argument --fail-under: must be a finite number, not inf"),
    ],
)
def test_bad_numbers_get_one_readable_line(
    extra: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grade", TINY, SUBS, *extra]) == ExitCode.USAGE
    line = _one_line(capsys.readouterr().err)
    assert line == f"grader grade: error: {words} (see grader grade --help)"


def test_an_internal_error_exits_70_with_one_line_and_the_hint_to_report_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug\nover two lines")

    monkeypatch.setattr(grader.batch, "run_batch", broken)
    argv = ["grade", TINY, SUBS, "-q", "--csv", str(tmp_path / "g.csv")]
    assert main(argv) == ExitCode.INTERNAL
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("grader: internal error (a bug in the grader: please report it")
    assert f"{DEBUG_ENV}=1 shows the traceback" in line
    assert line.endswith("ValueError: a bug over two lines")
    assert list(tmp_path.iterdir()) == []  # no gradebook, and no .part left behind

    monkeypatch.setenv(DEBUG_ENV, "1")
    assert main(argv) == ExitCode.INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "in broken" in err


def test_a_closed_stdout_is_not_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def reader_left(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(grade_command, "run", reader_left)
    assert main(["grade", TINY, SUBS]) == BROKEN_PIPE
    assert "internal error" not in capsys.readouterr().err


def test_release_to_a_folder_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    argv = ["release", "planar_data_classification", "-o", str(tmp_path / "d")]
    assert main(argv) == ExitCode.USAGE
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # no .tmp file beside it
    assert list((tmp_path / "d").iterdir()) == []


def test_a_release_is_written_with_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert main(["release", "planar_data_classification", "-o", "r.ipynb"]) == ExitCode.OK
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.ipynb").stat().st_mode) == 0o644


def test_export_to_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "gradescope", "planar_data_classification", "-o", str(tmp_path)]
    assert main(argv) == ExitCode.USAGE
    assert _one_line(capsys.readouterr().err).endswith("is a folder; -o needs a file name")
    assert list(tmp_path.iterdir()) == []
