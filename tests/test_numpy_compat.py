"""``[compat] numpy = "1"``: numpy 1's removed aliases work for a numpy-1 course, as warnings.

A correct notebook written for numpy 1 (tests/data/planar/scenarios/numpy1_aliases.ipynb, made
by make_numpy1.py there) earns full marks under the planar assignment, which declares numpy 1,
and its feedback names each alias once, where it was used. Without ``[compat]`` the aliases
fail as on numpy 2. What the child reports is checked: student code cannot put words of its
own (or hidden inputs) into those warnings.
"""

from __future__ import annotations

import shutil
import types
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy
import pytest

from grader._toml import tomllib
from grader.assignment import Assignment, load_assignment
from grader.errors import AssignmentError
from grader.runner import Grader
from grader.sandbox import npcompat
from grader.student_bundle import student_toml

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SCENARIO = Path(__file__).parent / "data" / "planar" / "scenarios" / "numpy1_aliases.ipynb"
SOLUTION = REPO / "solutions" / "planar_data_classification.ipynb"
# Where the scenario's appended cell uses each alias (its first use).
USED = {"float_": 1, "int": 4, "product": 10, "NaN": 13}


def _planar_copy(tmp_path: Path, compat: str | None) -> Path:
    """The planar assignment in tmp_path, its [compat] table replaced by ``compat``."""
    root = tmp_path / "planar_data_classification"
    shutil.copytree(PLANAR, root)
    toml = root / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('solution = "../../', f'solution = "{REPO}/')
    text = text.replace('mutants = "mutants.toml"\n', "")
    head, _, _ = text.partition("\n[compat]")
    toml.write_text(head + ("\n" + compat + "\n" if compat else "\n"), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def planar() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


def _alias_warnings(warnings: tuple[str, ...]) -> list[str]:
    return [w for w in warnings if "numpy 1 only" in w]


# -- assignment.toml ----------------------------------------------------------------------------
def test_planar_declares_numpy_1_and_deep_initialization_does_not() -> None:
    assert load_assignment(PLANAR).numpy == "1"
    assert load_assignment(REPO / "assignments" / "deep_initialization").numpy == "2"


@pytest.mark.parametrize(
    ("compat", "words"),
    [
        ('[compat]\nnumpy = "3"', '[compat] numpy must be "1" or "2"'),
        ("[compat]\nnumpy = 1", "not 1"),
        ('[compat]\nnumpy = "1"\npython = "2"', "unknown key 'python'"),
        ('compat = "numpy 1"', "[compat] must be a table"),
    ],
)
def test_a_bad_compat_table_is_a_clear_assignment_error(
    tmp_path: Path, compat: str, words: str
) -> None:
    root = _planar_copy(tmp_path, None)
    toml = root / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    if not compat.startswith("["):  # a top-level key must come before any table
        text = compat + "\n" + text
        compat = ""
    toml.write_text(text + compat + "\n", encoding="utf-8")
    with pytest.raises(AssignmentError) as info:
        load_assignment(root)
    assert words in str(info.value)


def test_the_student_bundle_keeps_the_numpy_the_course_targets() -> None:
    # A student's own `grader check` must accept np.int where the course's grade does.
    text, _ = student_toml(load_assignment(PLANAR))
    assert tomllib.loads(text)["compat"] == {"numpy": "1"}


# -- in the child's numpy ------------------------------------------------------------------------
@pytest.fixture
def fake_numpy(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A copy of numpy's namespace to install the aliases on (never the test process's numpy)."""
    fake = types.ModuleType("numpy")
    fake.__dict__.update(vars(numpy))
    monkeypatch.setattr(npcompat, "_USES", {})
    npcompat.install(fake)
    return fake


def test_each_alias_resolves_to_what_numpy_2_spells_instead(fake_numpy: types.ModuleType) -> None:
    np = fake_numpy
    assert np.int is int and np.float is float and np.object is object
    assert np.float_ is numpy.float64 and np.complex_ is numpy.complex128
    assert np.product is numpy.prod and np.cumproduct is numpy.cumprod
    assert np.alltrue is numpy.all and np.round_ is numpy.round
    assert numpy.isnan(np.NaN) and np.Inf == numpy.inf and -numpy.inf == np.NINF
    assert np.asfarray([1, 2]).dtype == numpy.float64
    assert np.in1d([[1, 5], [2, 7]], [5, 7]).tolist() == [False, True, False, True]
    assert set(npcompat.ALIASES) <= {n for n in npcompat.ALIASES if hasattr(np, n)}


def test_other_missing_names_still_fail_as_in_numpy(fake_numpy: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        _ = fake_numpy.no_such_function
    assert fake_numpy.linalg is numpy.linalg  # numpy's own lazy names still go through


def test_uses_are_recorded_once_from_notebook_cells_only(fake_numpy: types.ModuleType) -> None:
    code = "x = np.int(3)\n\ny = np.int(4) + np.float_(1)\n"
    exec(compile("\n" * 4 + code, "<cell 7>", "exec"), {"np": fake_numpy})
    _ = fake_numpy.product  # from this file, not a cell: not the student's to hear about
    assert npcompat.uses() == [["int", 7, 5], ["float_", 7, 7]]


# -- graded end to end ---------------------------------------------------------------------------
def test_a_numpy_1_notebook_scores_full_marks_with_one_warning_per_alias(planar: Grader) -> None:
    result = planar.grade_path(SCENARIO, "numpy1")
    assert result.status == "graded"
    assert [t.id for t in result.tests if t.outcome != "passed"] == []
    assert result.score == 100.0
    warnings = _alias_warnings(result.warnings)
    assert len(warnings) == len(USED)  # once each, though np.int is used twice
    cell = len(nbformat.read(SCENARIO, 4).cells)  # the appended cell, numbered from 1
    for alias, line in USED.items():
        [warning] = [w for w in warnings if f"`np.{alias}`" in w]
        assert warning.startswith(f"cell {cell}, line {line}: ")
        assert f"use `{npcompat.ALIASES[alias]}` instead" in warning


def test_the_reference_solution_gets_no_alias_warning(planar: Grader) -> None:
    result = planar.grade_path(SOLUTION, "solution")
    assert result.score == 100.0 and _alias_warnings(result.warnings) == []


def test_without_compat_the_aliases_fail_as_on_numpy_2(tmp_path: Path) -> None:
    assignment: Assignment = load_assignment(_planar_copy(tmp_path, None))
    assert assignment.numpy == "2"
    with Grader(assignment) as grader:
        result = grader.grade_path(SCENARIO, "numpy1")
    lost = {t.id.split(".")[0] for t in result.tests if t.outcome != "passed"}
    assert {"layer_sizes", "compute_cost"} <= lost
    assert _alias_warnings(result.warnings) == []
    messages = " ".join(t.message for t in result.tests if t.id.startswith("layer_sizes"))
    assert "AttributeError" in messages and "np.int" in messages


FORGER = """
import sys
import numpy as np

def layer_sizes(X, Y):
    record = sys.modules["grader.sandbox.npcompat"]._USES
    record["secret " + repr(X.shape)] = (1, 1)
    record["int"] = (99, 12345) if X.shape[0] > 2 else (CELL, 1)
    record["float"] = (CELL, 1)
    record["prod" + "uct"] = (CELL, 5)
    return (X.shape[0], 4, Y.shape[0])
"""


def test_forged_alias_records_put_no_words_of_the_students_in_feedback(
    planar: Grader, tmp_path: Path
) -> None:
    nb = nbformat.read(SOLUTION, 4)
    cell = str(len(nb.cells) + 1)  # the forger's own cell; its line 1 is `import sys`
    nb.cells.append(nbformat.v4.new_code_cell(FORGER.strip().replace("CELL", cell) + "\n"))
    path = tmp_path / "forger.ipynb"
    nbformat.write(nb, path)
    result = planar.grade_path(path, "forger")
    assert not any("secret" in w for w in result.warnings)
    # A known alias the notebook writes may be claimed, but not at a place that is not in
    # the notebook or that does not write it; an alias it never writes is not believed.
    assert sorted(_alias_warnings(result.warnings)) == sorted(
        [npcompat.alias_warning("int", ""), npcompat.alias_warning("float", "")]
    )
