"""``grader check`` runs no code from the student's folder: the assignment a notebook's metadata
names is an id, looked up only among installed assignments, never a path or ./assignments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.assignment import resolve_assignment
from grader.cli import ExitCode, main
from grader.errors import UsageError
from grader.installed import ENV_VAR, bundled_assignments

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"
SOLUTION = ROOT / "solutions" / f"{PLANAR}.ipynb"
TINY = ROOT / "tests" / "data" / "assignments" / "tiny"


def evil_assignment(folder: Path, marker: Path, assignment_id: str = "evil") -> Path:
    """An assignment whose test module writes ``marker`` when it is imported."""
    (folder / "tests").mkdir(parents=True)
    (folder / "assignment.toml").write_text(
        f'id = "{assignment_id}"\nfunctions = ["layer_sizes"]\npublic_tests = ["tests/public.py"]\n'
    )
    (folder / "tests" / "public.py").write_text(
        f"open({str(marker)!r}, 'w').write('the grader ran this')\n"
    )
    return folder


def student_notebook(folder: Path, assignment: str) -> Path:
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    nb["metadata"] = {"grader": {"assignment": assignment}}
    path = folder / "student.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The student's folder, the current directory, with ./assignments/evil in it."""
    folder = tmp_path / "work"
    evil_assignment(folder / "assignments" / "evil", tmp_path / "marker")
    evil_assignment(tmp_path / "elsewhere", tmp_path / "marker")
    evil_assignment(folder / "here", tmp_path / "marker")
    monkeypatch.chdir(folder)
    monkeypatch.delenv(ENV_VAR, raising=False)
    return folder


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../elsewhere", "names the assignment '../elsewhere' in its metadata, which is not an"),
        ("ABSOLUTE", "which is not an assignment id (letters, digits"),
        ("assignments/evil", "which is not an assignment id"),
        (".", "names the assignment '.' in its metadata"),
        ("here/", "which is not an assignment id"),
        ("evil", "./assignments/evil in the current folder is not loaded on a notebook's say-so"),
        ("evil\x00", "which is not an assignment id"),
    ],
)
def test_metadata_never_loads_code_from_a_path_or_the_current_folder(
    work: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = name.replace("ABSOLUTE", str(work.parent / "elsewhere"))
    path = student_notebook(work, name)
    assert main(["check", str(path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "pass --assignment" in err
    assert "Traceback" not in err
    assert not (work.parent / "marker").exists()


def test_a_folder_in_the_current_directory_never_shadows_a_bundled_assignment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "marker"
    evil_assignment(tmp_path / "assignments" / PLANAR, marker, PLANAR)
    monkeypatch.chdir(tmp_path)
    path = student_notebook(tmp_path, PLANAR)
    assert main(["check", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "8/8 public tests passed" in out
    assert f"note: ./assignments/{PLANAR} in the current folder was not used" in out
    assert not marker.exists()


def test_an_id_typed_by_the_user_is_refused_when_two_folders_have_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil_assignment(tmp_path / "assignments" / PLANAR, tmp_path / "marker", PLANAR)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="names two different assignments"):
        resolve_assignment(PLANAR)
    # Named as a folder, either is fine: that is the user's choice.
    assert resolve_assignment(f"assignments/{PLANAR}") == tmp_path / "assignments" / PLANAR
    assert resolve_assignment(str(bundled_assignments() / PLANAR)).name == PLANAR


def test_the_explicit_search_path_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    course = tmp_path / "course"
    shutil.copytree(TINY, course / "tiny")
    monkeypatch.setenv(ENV_VAR, os.pathsep.join(["", str(course)]))
    nb = tmp_path / "me.ipynb"
    nb.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"grader": {"assignment": "tiny"}},
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": "def add(x, y):\n    return x + y\n"}],
    }))
    assert main(["check", str(nb)]) == ExitCode.OK
    assert "Tiny test assignment: public tests on me.ipynb" in capsys.readouterr().out
    monkeypatch.setenv(ENV_VAR, "relative/folder")
    assert main(["check", str(nb)]) == ExitCode.USAGE
    assert "must list absolute folders" in capsys.readouterr().err


def test_a_fifo_given_to_check_never_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hostile_files import fifo_released_after

    with fifo_released_after(tmp_path / "pipe.ipynb", 5.0):
        code = main(["check", str(tmp_path / "pipe.ipynb")])
    assert code == ExitCode.INVALID_SUBMISSION
    assert "is a named pipe (FIFO), not a regular file" in capsys.readouterr().err


def test_a_deeply_nested_notebook_is_explained_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The quick look for the metadata parses the file first: it must not crash on it.
    path = tmp_path / "deep.ipynb"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["check", str(path)]) == ExitCode.INVALID_SUBMISSION
    err = capsys.readouterr().err
    assert "nested too deeply" in err
    assert "Traceback" not in err


def test_python_m_grader_imports_nothing_from_the_student_s_folder(tmp_path: Path) -> None:
    # `python -m` puts the current folder first on sys.path.
    for module in ("argparse", "json", "numpy"):
        (tmp_path / f"{module}.py").write_text(
            f"open({str(tmp_path / (module + '.ran'))!r}, 'w').close()\n"
        )
    shutil.copy(SOLUTION, tmp_path / "nb.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    done = subprocess.run(
        [sys.executable, "-m", "grader", "check", "nb.ipynb"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert sorted(p.name for p in tmp_path.glob("*.ran")) == []
    assert done.returncode == ExitCode.OK, done.stderr
