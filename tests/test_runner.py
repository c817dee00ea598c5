"""The runner on a tiny assignment: scores, outcomes, messages and invalid files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch import plan_submissions
from grader.runner import Grader

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
SUBS = DATA / "submissions" / "tiny"


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(TINY)) as g:
        yield g


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def outcomes(result: object) -> dict[str, str]:
    return {t.id: t.outcome for t in result.tests}  # type: ignore[attr-defined]


def test_correct_submission_gets_full_marks(grader: Grader) -> None:
    result = grader.grade_path(SUBS / "correct.py", "correct")
    assert result.status == "graded"
    assert result.score == result.max_score == 6.0
    assert outcomes(result) == {"add.example": "passed", "add.values": "passed",
                                "scale.values": "passed"}
    assert [t.visibility for t in result.tests] == ["visible", "hidden", "hidden"]


def test_one_broken_function_costs_only_its_own_checks(grader: Grader) -> None:
    result = grader.grade_path(SUBS / "wrong_add.py", "wrong")
    assert outcomes(result) == {"add.example": "failed", "add.values": "failed",
                                "scale.values": "timeout"}
    by_id = {t.id: t for t in result.tests}
    assert by_id["add.example"].message == "add(1, 2) should be 3"
    assert by_id["scale.values"].message == "`scale` timed out after 2 s"
    assert result.score == 0.0


def test_missing_function_is_reported_as_missing(grader: Grader, tmp_path: Path) -> None:
    path = write(tmp_path, "half.py", "def add(a, b):\n    return a + b\n")
    result = grader.grade_path(path, "half")
    assert outcomes(result)["scale.values"] == "missing"
    assert "no function `scale` was found" in result.tests[-1].message
    assert result.score == 3.0


def test_exceptions_name_the_function_type_and_place(grader: Grader, tmp_path: Path) -> None:
    src = "def add(a, b):\n    return a + c\n\ndef scale(x):\n    x[9]\n"
    path = write(tmp_path, "boom.py", src)
    result = grader.grade_path(path, "boom")
    messages = {t.id: t.message for t in result.tests}
    assert messages["add.values"] == (
        "`add` uses the global name `c`, which the notebook's definitions do not provide; "
        "use only the function's arguments (cell 1, line 2)"
    )
    assert messages["scale.values"].startswith("`scale` raised IndexError")
    assert "cell 1, line 5" in messages["scale.values"]
    assert {t.outcome for t in result.tests} == {"error"}


def test_checks_get_a_stub_hint_when_the_region_is_empty(grader: Grader, tmp_path: Path) -> None:
    stub = (
        "def add(a, b):\n    # YOUR CODE STARTS HERE\n\n    # YOUR CODE ENDS HERE\n"
        "    return total\n"
    )
    result = grader.grade_path(write(tmp_path, "stub.py", stub), "stub")
    assert result.tests[0].message.startswith(
        "`add` is not implemented yet: the code between `# YOUR CODE STARTS HERE` and "
        "`# YOUR CODE ENDS HERE` is still empty (`add` uses the global name `total`"
    )


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("empty.ipynb", "", "empty"),
        ("truncated.ipynb", '{"cells": [', "JSON"),
        ("future.ipynb", '{"nbformat": 99, "nbformat_minor": 0, "cells": []}', "nbformat"),
    ],
)
def test_invalid_files_become_invalid_results(
    grader: Grader, tmp_path: Path, name: str, content: str, words: str
) -> None:
    result = grader.grade_path(write(tmp_path, name, content), "bad")
    assert result.status == "invalid"
    assert result.score == 0.0 and result.tests == ()
    assert result.error is not None and words in result.error
    assert "Traceback" not in result.error


def test_import_failures_are_warnings(grader: Grader, tmp_path: Path) -> None:
    imports = "import sklearn_missing\nfrom testCases_v2 import *\n"
    text = imports + (SUBS / "correct.py").read_text()
    result = grader.grade_path(write(tmp_path, "imports.py", text), "imports")
    assert result.score == result.max_score
    assert "import of 'sklearn_missing' failed: module not installed" in result.warnings
    assert "import of 'testCases_v2' failed: module not installed" in result.warnings


def test_grading_is_deterministic_and_independent(grader: Grader) -> None:
    first = grader.grade_path(SUBS / "correct.py", "a").to_dict()
    grader.grade_path(SUBS / "wrong_add.py", "b")
    again = grader.grade_path(SUBS / "correct.py", "a").to_dict()
    for doc in (first, again):
        doc.pop("duration_s")
        for t in doc["tests"]:
            t.pop("duration_s")
    assert first == again


def test_public_only_grading_runs_only_visible_checks() -> None:
    with Grader(load_assignment(TINY), visibility="visible") as g:
        result = g.grade_path(SUBS / "correct.py", "c")
    assert [t.id for t in result.tests] == ["add.example"]
    assert result.max_score == 1.0


def test_submission_ids_come_from_files_or_student_folders(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    write(tmp_path / "alice", "hw.ipynb", "{}")
    write(tmp_path, "bob.ipynb", "{}")
    (tmp_path / "carol" / "deep").mkdir(parents=True)
    write(tmp_path / "carol" / "deep", "x.py", "")
    write(tmp_path, "notes.txt", "")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints", "bob-checkpoint.ipynb", "{}")
    plan = plan_submissions([tmp_path, tmp_path / "bob.ipynb"])
    assert [sid for sid, _ in plan] == ["alice", "bob", "carol", "bob-2"]


def test_helper_scripts_beside_a_notebook_are_not_submissions(tmp_path: Path) -> None:
    # A downloaded Coursera workspace: the notebook plus the course's helper modules.
    (tmp_path / "alice").mkdir()
    write(tmp_path / "alice", "Planar.ipynb", "{}")
    write(tmp_path / "alice", "planar_utils.py", "")
    write(tmp_path / "alice", "testCases_v2.py", "")
    (tmp_path / "bob").mkdir()
    write(tmp_path / "bob", "solution.py", "")  # a folder of scripts only: graded
    write(tmp_path, ".hidden.ipynb", "{}")
    plan = plan_submissions([tmp_path])
    assert [(sid, p.name) for sid, p in plan] == [("alice", "Planar.ipynb"), ("bob", "solution.py")]
