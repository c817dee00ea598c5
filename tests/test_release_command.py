"""``grader release``: regenerate the student notebook, or --check that it is up to date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.release import release_bytes

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"
SOLUTION_LINE = "W1 = np.random.randn(n_h, n_x) * 0.01"


def copy_course(tmp_path: Path) -> Path:
    target = tmp_path / "assignments" / PLANAR
    shutil.copytree(ROOT / "assignments" / PLANAR, target)
    (tmp_path / "solutions").mkdir()
    shutil.copy2(ROOT / "solutions" / f"{PLANAR}.ipynb", tmp_path / "solutions")
    return target


def test_the_committed_release_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release", PLANAR, "--check"]) == ExitCode.OK
    assert "is up to date" in capsys.readouterr().out


def test_check_fails_on_a_stale_release_and_release_regenerates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_course(tmp_path)
    release = folder / f"{PLANAR}.ipynb"
    solution = tmp_path / "solutions" / f"{PLANAR}.ipynb"
    nb = json.loads(solution.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] += "\nA sentence added to the solution after the last release.\n"
    solution.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    before = release.read_bytes()

    assert main(["release", str(folder), "--check"]) == ExitCode.CHECKS_FAILED
    out = capsys.readouterr().out
    assert f"is out of date: run `grader release {folder}` to regenerate it from " in out
    assert release.read_bytes() == before  # --check writes nothing

    assert main(["release", str(folder)]) == ExitCode.OK
    assert "wrote " in capsys.readouterr().out
    assert release.read_text(encoding="utf-8") == release_bytes(solution)
    assert "A sentence added to the solution" in release.read_text(encoding="utf-8")

    assert main(["release", str(folder), "--check"]) == ExitCode.OK
    assert main(["release", str(folder)]) == ExitCode.OK
    assert "already up to date" in capsys.readouterr().out


def test_output_goes_elsewhere_and_holds_no_solution(tmp_path: Path) -> None:
    folder = copy_course(tmp_path)
    committed = (folder / f"{PLANAR}.ipynb").read_bytes()
    out = tmp_path / "out" / "student.ipynb"
    solution_text = (tmp_path / "solutions" / f"{PLANAR}.ipynb").read_text(encoding="utf-8")
    assert SOLUTION_LINE in solution_text

    assert main(["release", str(folder), "-o", str(out)]) == ExitCode.OK
    text = out.read_text(encoding="utf-8")
    assert (folder / f"{PLANAR}.ipynb").read_bytes() == committed
    assert SOLUTION_LINE not in text
    nb = json.loads(text)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    hidden = (folder / "tests" / "hidden.py").read_text(encoding="utf-8")
    assert "def initialize_parameters_scale" in hidden
    assert "initialize_parameters_scale" not in text
    assert nb["metadata"]["grader"]["assignment"] == PLANAR
    assert main(["release", str(folder), "--check", "-o", str(out)]) == ExitCode.OK


def test_check_of_a_missing_output_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_course(tmp_path)
    missing = tmp_path / "missing.ipynb"
    assert main(["release", str(folder), "--check", "-o", str(missing)]) == ExitCode.CHECKS_FAILED
    assert f"is missing: run `grader release {folder} -o {missing}`" in capsys.readouterr().out
    assert not missing.exists()


def test_an_assignment_without_release_or_solution_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny = str(ROOT / "tests" / "data" / "assignments" / "tiny")  # solution.py, no release
    assert main(["release", tiny]) == ExitCode.USAGE
    assert "no 'release' in its assignment.toml; pass -o FILE" in capsys.readouterr().err
