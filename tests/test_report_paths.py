"""Report paths: refused before grading when unusable, never a .part left, written 0666 - umask."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import grader.batch
from grader.cli import ExitCode, main
from grader.reports import write_report
from grader.reports.stream import JsonStream

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
SUBS = str(DATA / "submissions" / "tiny")
OUTPUT_ERROR = 74  # literal: these tests also run against the code before the change


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _never_grade(*args: object, **kwargs: object) -> None:
    raise AssertionError("grading started although a report path is unusable")


def _everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    "option, target, words",
    [
        ("--json", "folder", "is a folder; --json needs a file name"),
        ("--csv", "new/", "names a folder (it ends in /); --csv needs a file"),
        ("--junit", "afile/x.xml", "cannot be created: {root}/afile is not a folder"),
        ("--summary", "afile/deeper/s.md", "cannot be created: {root}/afile is not a folder"),
        ("--feedback", "afile", "is a file; --feedback needs a folder"),
        ("--gradescope", "afile", "is a file; --gradescope needs a folder"),
        ("--cache", "afile", "is a file; --cache needs a folder"),
        ("--summary", "/dev/null", "is not a regular file; --summary needs a file name"),
    ],
)
def test_an_unusable_path_is_refused_before_grading(
    option: str,
    target: str,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("keep me")
    before = _everything(tmp_path)
    monkeypatch.setattr(grader.batch, "run_batch", _never_grade)
    assert main(["grade", TINY, SUBS, option, target]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err == f"grader: error: {option} {target}: {words.format(root=tmp_path)}\n"
    assert _everything(tmp_path) == before  # nothing created, nothing left behind
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_a_folder_nobody_can_write_is_refused_even_for_root(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(grader.batch, "run_batch", _never_grade)
    assert main(["grade", TINY, SUBS, "--json", "/proc/r.json"]) == ExitCode.USAGE
    assert capsys.readouterr().err.startswith("grader: error: --json /proc/r.json: cannot write in")


def test_two_reports_on_one_path_are_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(grader.batch, "run_batch", _never_grade)
    assert main(["grade", TINY, SUBS, "--json", "r", "--csv", "./r"]) == ExitCode.USAGE
    assert "--json and --csv both name ./r" in capsys.readouterr().err


def test_a_report_failing_late_exits_74_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def disk_full(self: JsonStream, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(JsonStream, "finish", disk_full)
    argv = ["grade", TINY, SUBS, "-q", "--json", "r.json", "--csv", "g.csv", "--summary", "s.md"]
    assert main(argv) == OUTPUT_ERROR
    err = capsys.readouterr().err
    assert err == "grader: error: cannot write the --json report r.json: No space left on device\n"
    assert "correct" in (tmp_path / "g.csv").read_text()
    assert (tmp_path / "s.md").is_file()
    assert not list(tmp_path.rglob("*.part"))


def test_a_rename_failing_late_leaves_no_part_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_replace = os.replace

    def refuse_csv(src: str, dst: str) -> None:
        if str(dst).endswith(".csv"):
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_csv)
    assert main(["grade", TINY, SUBS, "-q", "--csv", "g.csv", "--json", "r.json"]) == OUTPUT_ERROR
    assert "cannot write the --csv report" in capsys.readouterr().err
    assert (tmp_path / "r.json").is_file()
    assert not (tmp_path / "g.csv").exists()
    assert not list(tmp_path.rglob("*.part"))


def test_a_per_student_report_failing_mid_batch_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from grader.reports.stream import FeedbackStream

    def gone(self: FeedbackStream, sub: object) -> None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "fb/x.md")

    monkeypatch.setattr(FeedbackStream, "add", gone)
    argv = ["grade", TINY, SUBS, "-q", "-j", "1", "--feedback", "fb", "--csv", "g.csv"]
    assert main(argv) == OUTPUT_ERROR
    err = capsys.readouterr().err
    assert "cannot write the --feedback report fb/x.md: No such file or directory" in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("*.part"))


@pytest.mark.usefixtures("umask_022")
def test_reports_are_readable_by_the_course_staff(tmp_path: Path) -> None:
    # Missing parent folders are created (friendlier than refusing), with the umask too.
    argv = ["grade", TINY, SUBS, "-q", "--json", "new/a/r.json", "--csv", "g.csv"]
    argv += ["--junit", "j.xml", "--summary", "s.md", "--feedback", "fb", "--gradescope", "gs"]
    assert main(argv) == ExitCode.OK
    assert json.loads((tmp_path / "new" / "a" / "r.json").read_text())["partial"] is False
    assert stat.S_IMODE((tmp_path / "new" / "a").stat().st_mode) == 0o755
    files = [p for p in tmp_path.rglob("*") if p.is_file() and ".grader-cache" not in p.parts]
    assert len(files) == 4 + 2 * 2 + 2  # four reports, .md and .html each, results.json each
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(0o644)}


def test_write_report_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        private = write_report(tmp_path / "private.md", "x")
        os.umask(0o002)
        shared = write_report(tmp_path / "shared.md", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664


def test_a_report_never_overwrites_a_submission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.py").write_text((Path(SUBS) / "correct.py").read_text())
    monkeypatch.setattr(grader.batch, "run_batch", _never_grade)
    assert main(["grade", TINY, str(subs), "--json", "subs/ann.py"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert (
        err
        == "grader: error: --json subs/ann.py: is a submission being graded; choose another file\n"
    )
    assert (subs / "ann.py").read_text().startswith("# %%")


def test_an_unwritable_default_cache_says_how_to_do_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".grader-cache").write_text("not a folder")
    monkeypatch.setattr(grader.batch, "run_batch", _never_grade)
    assert main(["grade", TINY, SUBS]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.endswith("needs a folder (pass --cache DIR elsewhere, or --no-cache)\n")
