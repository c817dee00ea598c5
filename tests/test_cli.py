"""The command line: exit codes, output and the JSON it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.results import GradingRun

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
SUBS = str(DATA / "submissions" / "tiny")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `grade` keeps a result cache in the working directory: never in the repository.
    monkeypatch.chdir(tmp_path)


def test_grade_writes_the_results_contract_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.json"
    assert main(["grade", TINY, SUBS, "--json", str(out), "-j", "2"]) == ExitCode.OK
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1
    assert doc["assignment"] == {"id": "tiny", "title": "Tiny test assignment", "max_score": 6.0}
    run = GradingRun.from_dict(doc)
    assert [(s.id, s.score) for s in run.submissions] == [("correct", 6.0), ("wrong_add", 0.0)]
    printed = capsys.readouterr().out
    assert "correct" in printed and "wrong_add" in printed


def test_fail_under_turns_low_scores_into_exit_1(tmp_path: Path) -> None:
    assert main(["grade", TINY, SUBS, "--fail-under", "5"]) == ExitCode.CHECKS_FAILED
    assert main(["grade", TINY, f"{SUBS}/correct.py", "--fail-under", "5"]) == ExitCode.OK


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (["grade", TINY, "/no/such/file.ipynb"], ExitCode.USAGE, "no such file"),
        (["grade", "/no/such/assignment", SUBS], ExitCode.USAGE, "assignment.toml"),
        (["grade", "no_such_assignment", SUBS], ExitCode.USAGE, "no assignment at"),
        (["frobnicate"], ExitCode.USAGE, "invalid choice"),
        (["grade", TINY], ExitCode.USAGE, "required"),
    ],
)
def test_errors_map_to_documented_exit_codes_without_tracebacks(
    argv: list[str], code: int, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["grade", TINY, str(tmp_path)]) == ExitCode.USAGE


def test_python_dash_m_grader_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("grader ")
