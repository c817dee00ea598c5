"""The planar assignment graded end to end by the real grader, on course-style notebooks."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader.assignment import load_assignment
from grader.results import SubmissionResult
from grader.runner import Grader

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SOLUTION = REPO / "solutions" / "planar_data_classification.ipynb"
DATA = Path(__file__).parent / "data" / "planar"


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


def outcomes(result: SubmissionResult) -> dict[str, str]:
    return {t.id: t.outcome for t in result.tests}


def with_cells(tmp_path: Path, *sources: str, base: Path = SOLUTION) -> Path:
    nb = copy.deepcopy(nbformat.read(base, as_version=4))
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in sources)
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    return path


def test_reference_earns_full_marks(grader: Grader) -> None:
    result = grader.grade_path(SOLUTION, "reference")
    assert result.status == "graded"
    assert result.score == result.max_score == 100.0
    assert set(outcomes(result).values()) == {"passed"}


def test_untouched_release_scores_zero_with_a_message_per_test(grader: Grader) -> None:
    release = PLANAR / "planar_data_classification.ipynb"
    result = grader.grade_path(release, "release")
    assert result.status == "graded" and result.score == 0.0
    assert len(result.tests) == 23
    for test in result.tests:
        assert test.outcome in ("failed", "error"), test
        assert test.message, test
        assert "Traceback" not in test.message


def test_a_notebook_from_an_older_course_version_earns_full_marks(grader: Grader) -> None:
    # ### START CODE HERE ### markers, asserts inside the functions (A2.shape == (1, m)),
    # compute_cost(A2, Y, parameters), np.random.seed inside initialize_parameters and
    # nn_model, np.round in predict, sklearn/testCases imports that do not exist here.
    result = grader.grade_path(DATA / "course_2018_style.ipynb", "old")
    assert result.score == 100.0, [t for t in result.tests if t.outcome != "passed"]
    assert result.warnings.count("import of 'sklearn' failed: module not installed") == 1
    assert "import of 'testCases_v2' failed: module not installed" in result.warnings


def test_top_level_code_is_never_run(grader: Grader, tmp_path: Path) -> None:
    # If top-level cells ran, loading would hang (and time out) or exit.
    path = with_cells(tmp_path, "while True:\n    pass", "import os\nos._exit(1)",
                      "parameters = nn_model(X, Y, 4, num_iterations=10**9)")
    result = grader.grade_path(path, "training")
    assert result.score == 100.0


def test_a_global_name_from_top_level_code_is_named(grader: Grader, tmp_path: Path) -> None:
    # A name that top-level code binds is computed (tests/test_toplevel_names.py); one that
    # nothing in the notebook binds is named.
    source = (
        "def compute_cost(A2, Y):\n"
        "    m = Y.shape[1]\n"
        "    W1 = weights['W1']\n"
        "    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)\n"
    )
    result = grader.grade_path(with_cells(tmp_path, source), "global")
    messages = {t.id: t.message for t in result.tests if t.function == "compute_cost"}
    assert messages["compute_cost.values"].startswith(
        "`compute_cost` uses the global name `weights`, which the notebook's definitions do "
        "not provide; use only the function's arguments"
    )
    assert outcomes(result)["layer_sizes.values"] == "passed"


@pytest.mark.parametrize(
    "source, failing",
    [
        (  # forgot * 0.01: only the scale check fails
            "def initialize_parameters(n_x, n_h, n_y):\n"
            "    return {'W1': np.random.randn(n_h, n_x), 'b1': np.zeros((n_h, 1)),\n"
            "            'W2': np.random.randn(n_y, n_h), 'b2': np.zeros((n_y, 1))}\n",
            {"initialize_parameters.scale"},
        ),
        (  # forgot + b1
            "def forward_propagation(X, parameters):\n"
            "    A1 = np.tanh(parameters['W1'] @ X)\n"
            "    A2 = sigmoid(parameters['W2'] @ A1 + parameters['b2'])\n"
            "    return A2, {'Z1': parameters['W1'] @ X, 'A1': A1,\n"
            "                'Z2': parameters['W2'] @ A1 + parameters['b2'], 'A2': A2}\n",
            # predict and nn_model are graded with a correct forward_propagation standing in
            {"forward_propagation.example", "forward_propagation.values"},
        ),
    ],
)
def test_lecture_mistakes_lose_exactly_their_checks(
    grader: Grader, tmp_path: Path, source: str, failing: set[str]
) -> None:
    result = grader.grade_path(with_cells(tmp_path, source), "mistake")
    lost = {test_id for test_id, outcome in outcomes(result).items() if outcome != "passed"}
    assert lost == failing


def test_the_scale_message_says_what_to_do(grader: Grader, tmp_path: Path) -> None:
    source = (
        "def initialize_parameters(n_x, n_h, n_y):\n"
        "    return {'W1': np.random.randn(n_h, n_x), 'b1': np.zeros((n_h, 1)),\n"
        "            'W2': np.random.randn(n_y, n_h) * 0.01, 'b2': np.zeros((n_y, 1))}\n"
    )
    result = grader.grade_path(with_cells(tmp_path, source), "scale")
    message = next(t.message for t in result.tests if t.id == "initialize_parameters.scale")
    assert "W1 has standard deviation 1" in message
    assert "0.01" in message
