"""grader.release: solution notebook -> student release, and the committed release is in sync."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.errors import AssignmentError
from grader.release import END_MARKER, START_MARKER, make_release, release_bytes, strip_solution

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "planar_data_classification"
SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"
RELEASE = ASSIGNMENT / "planar_data_classification.ipynb"

CELL = """# GRADED FUNCTION: f

def f(x):
    # (≈ 1 line of code)
    # y = ...
    # YOUR CODE STARTS HERE
    y = x + 1
    z = y * 2
    # YOUR CODE ENDS HERE
    return z"""

STUB = """# GRADED FUNCTION: f

def f(x):
    # (≈ 1 line of code)
    # y = ...
    # YOUR CODE STARTS HERE

    # YOUR CODE ENDS HERE
    return z"""


def test_strip_solution_keeps_markers_hints_and_indentation() -> None:
    assert strip_solution(CELL) == STUB


def test_strip_solution_handles_several_regions_and_no_region() -> None:
    source = (
        f"{START_MARKER}\na = 1\n{END_MARKER}\nkeep = 1\n  {START_MARKER}\n  b = 2\n  {END_MARKER}"
    )
    assert strip_solution(source) == (
        f"{START_MARKER}\n\n{END_MARKER}\nkeep = 1\n  {START_MARKER}\n\n  {END_MARKER}"
    )
    assert strip_solution("x = 1\n") == "x = 1\n"
    assert strip_solution(f"{START_MARKER}\n{END_MARKER}") == f"{START_MARKER}\n\n{END_MARKER}"


@pytest.mark.parametrize(
    ("source", "pattern"),
    [
        (f"x = 1\n{END_MARKER}", "line 2: '# YOUR CODE ENDS HERE' without"),
        (f"{START_MARKER}\n{START_MARKER}\n{END_MARKER}", "line 2: .* inside the region opened"),
        (f"a\n{START_MARKER}\nx = 1", "line 2: .* is never closed"),
    ],
)
def test_unbalanced_markers_raise(source: str, pattern: str) -> None:
    with pytest.raises(AssignmentError, match=f"^code cell 3, {pattern}"):
        strip_solution(source, "code cell 3")


def _solution_like() -> nbformat.NotebookNode:
    code = new_code_cell(CELL, execution_count=4, metadata={"tags": ["graded"], "scrolled": True})
    code.outputs = [new_output("stream", name="stdout", text="hi\n")]
    nb = new_notebook(cells=[new_markdown_cell(f"Write between `{START_MARKER}` lines"), code])
    nb.metadata = {"grader": {"assignment": "demo"}}
    return nb


def test_make_release_is_pure_and_clears_outputs() -> None:
    solution = _solution_like()
    before = copy.deepcopy(solution)
    release = make_release(solution)
    assert solution == before
    code = release.cells[1]
    assert code.source == STUB
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"tags": ["graded"]}  # output-only metadata ("scrolled") dropped
    assert code.id == solution.cells[1].id
    assert release.cells[0] == solution.cells[0]  # markdown untouched, markers in text included
    assert release.metadata == {"grader": {"assignment": "demo"}}
    nbformat.validate(release)


def test_make_release_names_the_cell_on_bad_markers() -> None:
    nb = _solution_like()
    nb.cells.append(new_code_cell(f"x = 1\n{START_MARKER}"))
    with pytest.raises(AssignmentError, match=r"code cell 2 \(cell 3 of the notebook\), line 2"):
        make_release(nb)


def test_release_bytes_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "solution.ipynb"
    nbformat.write(_solution_like(), str(path))
    text = release_bytes(path)
    assert text.endswith("\n")
    assert release_bytes(str(path)) == text  # stable
    data = json.loads(text)
    assert "".join(data["cells"][1]["source"]) == STUB


def test_release_bytes_refuses_broken_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.ipynb"
    with pytest.raises(AssignmentError, match="cannot read solution notebook"):
        release_bytes(missing)
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(AssignmentError, match="cannot read solution notebook"):
        release_bytes(bad)


# ---------------------------------------------------------------------------------------------
# The committed planar assignment


def test_committed_release_is_in_sync_with_the_solution() -> None:
    assert RELEASE.read_text(encoding="utf-8") == release_bytes(SOLUTION), (
        "regenerate the release: python -c 'from grader.release import release_bytes; ...'"
    )


def test_planar_release_has_empty_stubs_for_every_graded_function() -> None:
    release = nbformat.read(RELEASE, as_version=4)
    solution = nbformat.read(SOLUTION, as_version=4)
    graded = [c.source for c in release.cells if c.source.startswith("# GRADED FUNCTION:")]
    assert len(graded) == 8
    for source in graded:
        lines = source.split("\n")
        starts = [i for i, ln in enumerate(lines) if ln.strip() == START_MARKER]
        assert starts
        for i in starts:
            assert lines[i + 1] == "" and lines[i + 2].strip() == END_MARKER
    assert "np.random.randn(n_h, n_x) * 0.01" not in nbformat.writes(release)
    assert "np.random.randn(n_h, n_x) * 0.01" in nbformat.writes(solution)


def test_solution_notebook_is_course_shaped() -> None:
    nb = nbformat.read(SOLUTION, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["grader"] == {"assignment": "planar_data_classification"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    headers = [c.source.split("\n")[0] for c in code if c.source.startswith("# GRADED")]
    functions = [h.removeprefix("# GRADED FUNCTION: ") for h in headers]
    assert functions == [
        "layer_sizes",
        "initialize_parameters",
        "forward_propagation",
        "compute_cost",
        "backward_propagation",
        "update_parameters",
        "nn_model",
        "predict",
    ]
    assert any("from planar_utils import" in c.source for c in code)


def test_assignment_toml_points_at_existing_files() -> None:
    from grader._toml import tomllib

    data = tomllib.loads((ASSIGNMENT / "assignment.toml").read_text(encoding="utf-8"))
    assert data["id"] == "planar_data_classification"
    for key in ("release", "solution", "mutants"):
        assert (ASSIGNMENT / data[key]).is_file(), key
    for key in ("helpers", "public_tests", "hidden_tests"):
        assert all((ASSIGNMENT / p).is_file() for p in data[key]), key
    assert len(data["functions"]) == 8


def test_planar_utils_needs_only_numpy_and_leaves_global_rng_alone() -> None:
    sys.path.insert(0, str(ASSIGNMENT))
    try:
        import numpy as np
        import planar_utils

        state = np.random.get_state()[1].copy()
        X, Y = planar_utils.load_planar_dataset()
        X2, _ = planar_utils.load_planar_dataset()
        extra = planar_utils.load_extra_datasets()
        assert (np.random.get_state()[1] == state).all()
    finally:
        sys.path.remove(str(ASSIGNMENT))
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert set(np.unique(Y)) == {0, 1} and (X == X2).all()
    assert len(extra) == 5 and all(x.shape == (200, 2) and y.shape == (200,) for x, y in extra)
    assert planar_utils.sigmoid(0) == 0.5
    if importlib.util.find_spec("matplotlib") is None:  # plotting is the only use of matplotlib
        with pytest.raises(ImportError):
            planar_utils.plot_decision_boundary(lambda x: x[:, 0] > 0, X, Y)
