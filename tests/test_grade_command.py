"""``grader grade`` end to end: every report, progress, resume, table, exit codes, Ctrl-C."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import grader.commands.grade as grade_command
from grader.cli import ExitCode, main
from grader.results import GradingRun

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
WRONG = "def add(a, b):\n    return a - b\n\ndef scale(v):\n    return v * 7\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default cache lives in the current directory


def make_subs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"s{i:03d}.py").write_text((CORRECT if i % 2 == 0 else WRONG) + f"# {i}\n")
    return folder


def test_every_report_is_written_and_parses_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = make_subs(tmp_path / "subs", 4)
    (subs / "broken.ipynb").write_text("{")
    out = tmp_path / "out"
    argv = [
        "grade",
        TINY,
        str(subs),
        "-j",
        "2",
        "--parallel",
        "processes",
        "--json",
        f"{out}/r.json",
        "--csv",
        f"{out}/g.csv",
        "--junit",
        f"{out}/j.xml",
        "--gradescope",
        f"{out}/gs",
        "--feedback",
        f"{out}/fb",
        "--summary",
        f"{out}/summary.md",
    ]
    assert main(argv) == ExitCode.OK
    ids = ["broken", "s000", "s001", "s002", "s003"]

    doc = json.loads((out / "r.json").read_text())
    run = GradingRun.from_dict(doc)
    assert [s.id for s in run.submissions] == ids
    assert [s.score for s in run.submissions] == [0.0, 6.0, 0.0, 6.0, 0.0]
    assert (doc["partial"], doc["planned"]) == (False, 5)

    rows = list(csv.DictReader(io.StringIO((out / "g.csv").read_text(), newline="")))
    assert [(r["id"], r["score"], r["add"], r["scale"]) for r in rows][:2] == [
        ("broken", "0", "", ""),
        ("s000", "6", "3", "3"),
    ]

    root = ET.parse(out / "j.xml").getroot()
    assert [s.get("name") for s in root] == ids
    assert root.get("tests") == str(1 + 4 * 3)

    for sub_id in ids:
        gs = json.loads((out / "gs" / sub_id / "results.json").read_text())
        assert "score" in gs
        assert (out / "fb" / f"{sub_id}.md").read_text().startswith("# Tiny test assignment")
        assert "<html" in (out / "fb" / f"{sub_id}.html").read_text()

    summary = (out / "summary.md").read_text()
    assert "## Score distribution" in summary and "Partial" not in summary
    printed = capsys.readouterr()
    assert "Summary: Tiny test assignment" in printed.out
    assert printed.out.index("s003") < printed.out.index("Summary:")  # table first
    assert not list(out.rglob("*.part"))


def test_progress_lines_when_not_a_terminal_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = make_subs(tmp_path / "subs", 6)
    assert main(["grade", TINY, str(subs), "-j", "2"]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "graded 6/6 (" in err
    assert "grader: 6 graded, 0 from the cache" in err
    assert (tmp_path / ".grader-cache").is_dir()

    (subs / "s001.py").write_text(CORRECT + "# fixed\n")
    assert main(["grade", TINY, str(subs), "-j", "2"]) == ExitCode.OK
    assert "grader: 1 graded, 5 from the cache" in capsys.readouterr().err
    assert main(["grade", TINY, str(subs), "-j", "2", "--force"]) == ExitCode.OK
    assert "grader: 6 graded, 0 from the cache" in capsys.readouterr().err


def test_no_cache_writes_no_cache_and_quiet_shows_no_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = make_subs(tmp_path / "subs", 2)
    assert main(["grade", TINY, str(subs), "--no-cache", "-q", "-j", "1"]) == ExitCode.OK
    assert not (tmp_path / ".grader-cache").exists()
    assert "graded 2/2" not in capsys.readouterr().err


def test_single_submission_shows_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "me.py"
    path.write_text(WRONG)
    assert main(["grade", TINY, str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "add.example (failed): add(1, 2) should be 3" in out
    assert "scale.values (failed): scale returns the wrong array" in out


def test_large_runs_print_only_the_summary_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grade_command, "TABLE_LIMIT", 2)
    subs = make_subs(tmp_path / "subs", 3)
    assert main(["grade", TINY, str(subs)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "s001" not in out and "Summary:" in out
    assert main(["grade", TINY, str(subs), "--table"]) == ExitCode.OK
    assert "s001" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, code",
    [
        (["--fail-under", "5"], ExitCode.CHECKS_FAILED),
        (["--fail-under", "0"], ExitCode.OK),
        (["--jobs", "0"], ExitCode.USAGE),
        (["--parallel", "fibers"], ExitCode.USAGE),
    ],
)
def test_exit_codes(tmp_path: Path, extra: list[str], code: int) -> None:
    subs = make_subs(tmp_path / "subs", 2)
    assert main(["grade", TINY, str(subs), *extra]) == code


def test_ctrl_c_keeps_what_is_graded_and_exits_130(tmp_path: Path) -> None:
    subs = make_subs(tmp_path / "subs", 80)
    argv = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        TINY,
        str(subs),
        "-j",
        "1",
        "--json",
        "r.json",
        "--csv",
        "g.csv",
        "--summary",
        "s.md",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: grading is under way
    assert first.startswith("graded "), first
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err

    doc = json.loads((tmp_path / "r.json").read_text())
    done = len(doc["submissions"])
    assert doc["partial"] is True and 0 < done < 80
    gradebook = (tmp_path / "g.csv").read_text()
    assert len(list(csv.reader(io.StringIO(gradebook, newline="")))) == done + 1
    assert "Partial run" in (tmp_path / "s.md").read_text()

    rerun = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == ExitCode.OK, rerun.stderr
    assert f"grader: {80 - done} graded, {done} from the cache" in rerun.stderr
    assert len(json.loads((tmp_path / "r.json").read_text())["submissions"]) == 80


def test_strict_refuses_when_a_layer_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import grader.runner
    from grader.sandbox.host import Zygote

    class WeakZygote(Zygote):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "disable": ["network"]})

    monkeypatch.setattr(grader.runner, "Zygote", WeakZygote)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "correct.py").write_text(CORRECT)
    argv = ["grade", TINY, str(tmp_path / "correct.py"), "--no-cache", "-j", "1"]
    assert main([*argv, "--strict"]) == 5
    assert "strict mode: isolation layers missing" in capsys.readouterr().err
    assert main(argv) == 0
    assert "warning: network isolation unavailable" in capsys.readouterr().err


def test_a_single_submission_prints_what_to_fix_and_no_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wrong.py").write_text(WRONG)
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    assert main(["grade", TINY, "wrong.py", "--no-cache", "-q"]) == 0
    out = capsys.readouterr().out
    assert "add.values (failed): add returns the wrong sum" in out
    assert "Score distribution" not in out
    assert main(["grade", TINY, "broken.ipynb", "--no-cache", "-q"]) == 0
    out = capsys.readouterr().out
    assert "invalid: the file is not a valid notebook" in out
    assert "re-download the notebook" in out  # the whole reason, not the table's cut
