"""``grader export gradescope``: the zip's layout, and run_autograder against a fake /autograder.

The fast tests run the zip's ``run_autograder`` with this interpreter (the grader is already
installed here); the slow one installs the zip with its own ``setup.sh`` into a fresh virtual
environment first, as Gradescope does (it needs the package index for numpy and friends).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import load_assignment
from grader.cli import ExitCode, main
from grader.export import autograde, build_wheel, find_submission

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"
SOLUTION = ROOT / "solutions" / f"{PLANAR}.ipynb"
RELEASE = ROOT / "assignments" / PLANAR / f"{PLANAR}.ipynb"
COURSE = f"course/assignments/{PLANAR}"

# Gradescope's documented results.json fields (gradescope-autograders.readthedocs.io, "specs").
TOP_LEVEL = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_FIELDS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_results(doc: dict[str, Any]) -> None:
    """``doc`` uses only Gradescope's fields, with the documented types and values."""
    assert set(doc) <= TOP_LEVEL, set(doc) - TOP_LEVEL
    assert isinstance(doc["score"], float)
    assert isinstance(doc.get("execution_time", 0), (int, float))
    assert isinstance(doc["output"], str) and doc["output"]
    assert doc.get("visibility", "visible") in VISIBILITIES
    assert doc.get("stdout_visibility", "hidden") in VISIBILITIES
    for test in doc["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and isinstance(test["number"], str)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITIES
        assert isinstance(test["output"], str)
    if doc["tests"]:
        assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]))


@pytest.fixture(scope="module")
def fake_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stands for the grader wheel where the test does not install it."""
    path = tmp_path_factory.mktemp("wheel") / "grader-0.1.0-py3-none-any.whl"
    path.write_bytes(b"not installed by the fast tests")
    return path


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory, fake_wheel: Path) -> Path:
    out = tmp_path_factory.mktemp("export") / "autograder.zip"
    argv = ["export", "gradescope", PLANAR, "-o", str(out), "--wheel", str(fake_wheel)]
    assert main(argv) == ExitCode.OK
    return out


def unpack(archive: Path, root: Path) -> Path:
    """Lay the zip out as Gradescope does: /autograder/source, run_autograder, submission/."""
    source = root / "source"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(source)
        for info in zf.infolist():  # extractall drops the permission bits
            os.chmod(source / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path, bin_dir: Path) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "GRADER_AUTOGRADER_ROOT": str(root)}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [str(root / "run_autograder")],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = root / "results" / "results.json"
    assert results.is_file(), done.stderr
    return done.returncode, json.loads(results.read_text(encoding="utf-8"))


@pytest.fixture
def this_python(tmp_path: Path) -> Path:
    """A bin/ folder whose ``python3`` is this interpreter (which has the grader installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A wrapper, not a symlink: a symlinked venv interpreter would not find its pyvenv.cfg.
    wrapper = bin_dir / "python3"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return bin_dir


def test_the_zip_holds_the_scripts_the_wheel_and_the_whole_assignment(
    autograder_zip: Path,
) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        script = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "wheels/grader-0.1.0-py3-none-any.whl"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert {
        f"{COURSE}/assignment.toml",
        f"{COURSE}/tests/hidden.py",
        f"{COURSE}/tests/public.py",
        f"{COURSE}/planar_utils.py",
        f"course/solutions/{PLANAR}.ipynb",  # ../../solutions, at the same relative place
    } <= names
    assert not any("__pycache__" in n for n in names)
    assert f'--assignment "$ROOT/source/{COURSE}"' in script
    assert "--hidden-visibility after_published" in script
    assert 'ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"' in script


def test_the_reference_scores_full_marks_through_run_autograder(
    autograder_zip: Path, tmp_path: Path, this_python: Path
) -> None:
    root = unpack(autograder_zip, tmp_path / "autograder")
    shutil.copy2(SOLUTION, root / "submission" / f"{PLANAR}.ipynb")
    code, doc = run_autograder(root, this_python)
    assert code == 0
    assert_gradescope_results(doc)
    assert doc["score"] == 100.0
    assert {t["status"] for t in doc["tests"]} == {"passed"}
    visibility = {t["name"]: t["visibility"] for t in doc["tests"]}
    assert visibility["initialize_parameters.scale"] == "after_published"
    assert visibility["initialize_parameters.example"] == "visible"
    assert len(doc["tests"]) == len(load_assignment(PLANAR).checks)


def test_a_broken_notebook_scores_0_with_an_explanation(
    autograder_zip: Path, tmp_path: Path, this_python: Path
) -> None:
    root = unpack(autograder_zip, tmp_path / "autograder")
    (root / "submission" / f"{PLANAR}.ipynb").write_text('{"cells": [', encoding="utf-8")
    code, doc = run_autograder(root, this_python)
    assert code == 0
    assert_gradescope_results(doc)
    assert doc["score"] == 0.0 and doc["tests"] == []
    assert "could not be graded" in doc["output"]
    assert "JSON is broken" in doc["output"]


def test_the_unfilled_release_scores_0_test_by_test(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy2(RELEASE, root / "submission" / "mine.ipynb")
    assert autograde(root, ROOT / "assignments" / PLANAR, hidden_visibility="hidden") == 0
    doc = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_gradescope_results(doc)
    assert doc["score"] == 0.0 and doc["tests"]
    assert {t["visibility"] for t in doc["tests"]} == {"visible", "hidden"}


def test_no_notebook_scores_0_and_says_what_to_upload(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "notes.txt").write_text("hi", encoding="utf-8")
    assert autograde(root, ROOT / "assignments" / PLANAR) == 0
    doc = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_gradescope_results(doc)
    assert doc["score"] == 0.0
    assert (
        doc["output"]
        == f"No notebook (.ipynb) was found in your submission: upload {PLANAR}.ipynb."
    )


def test_among_several_notebooks_the_release_name_wins(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / f"{PLANAR}.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "z.ipynb").write_text("{}", encoding="utf-8")
    chosen, notes = find_submission(tmp_path, load_assignment(PLANAR))
    assert chosen == tmp_path / f"{PLANAR}.ipynb"
    assert notes == [f"Several files were submitted; graded {PLANAR}.ipynb (not a.ipynb)."]


def test_bad_arguments_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.zip")
    assert main(["export", "moodle", PLANAR, "-o", out]) == ExitCode.USAGE
    missing = str(tmp_path / "none.whl")
    assert main(["export", "gradescope", PLANAR, "-o", out, "--wheel", missing]) == ExitCode.USAGE
    assert "no such wheel" in capsys.readouterr().err


@pytest.mark.slow
def test_setup_sh_installs_into_a_fresh_venv_and_grades(tmp_path: Path) -> None:
    # About 25 s here: builds the real wheel, creates a venv, and setup.sh pip-installs the
    # grader with numpy, nbformat, nbconvert and pytest (from the index, or pip's cache).
    wheel = build_wheel(tmp_path / "wheel")
    archive = tmp_path / "autograder.zip"
    argv = ["export", "gradescope", PLANAR, "-o", str(archive), "--wheel", str(wheel)]
    assert main(argv) == ExitCode.OK
    root = unpack(archive, tmp_path / "autograder")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    assert "grader 0.1.0 installed" in setup.stdout
    where = subprocess.run(
        [str(bin_dir / "python3"), "-c", "import grader; print(grader.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(env_dir)), where  # the wheel, not this checkout
    shutil.copy2(SOLUTION, root / "submission" / "submitted.ipynb")
    code, doc = run_autograder(root, bin_dir)
    assert code == 0
    assert_gradescope_results(doc)
    assert doc["score"] == 100.0
    (root / "submission" / "submitted.ipynb").write_text("not json", encoding="utf-8")
    code, doc = run_autograder(root, bin_dir)
    assert code == 0 and doc["score"] == 0.0 and "could not be graded" in doc["output"]
