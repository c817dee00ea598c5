"""The deep_initialization checks, run in-process against known submissions.

As in test_planar_checks: submissions are built by exec'ing the reference solution's imports and
function definitions (plus, for a mutant or a style variant, extra code after them, as if
appended in a last cell), wrapped in ``LocalSubmission``, and every check runs with the fixtures
the runner gives it. Numpy's global generator is seeded per check, as the sandbox child does.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from checks_harness import InProcess, failing

from grader.assignment import load_assignment
from grader.release import release_bytes
from grader.testing import LocalSubmission

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "deep_initialization"
SOLUTION = ROOT / "solutions" / "deep_initialization.ipynb"
RELEASE = ASSIGNMENT / "deep_initialization.ipynb"
FUNCTIONS = (
    "initialize_parameters_deep",
    "initialize_parameters_he",
    "initialize_parameters_zeros",
)
REQUIRED_IDS = {
    "initialize_parameters_deep.shapes",
    "initialize_parameters_deep.zero_biases",
    "initialize_parameters_deep.scale",
    "initialize_parameters_deep.symmetry_breaking",
    "initialize_parameters_he.shapes",
    "initialize_parameters_he.zero_biases",
    "initialize_parameters_he.scale",
    "initialize_parameters_he.symmetry_breaking",
    "initialize_parameters_zeros.shapes",
    "initialize_parameters_zeros.values",
}


# ---------------------------------------------------------------------------------------------
# Harness

HARNESS = InProcess("deep_initialization", FUNCTIONS)
PUBLIC, HIDDEN, CHECKS = HARNESS.public, HARNESS.hidden, HARNESS.checks
REFERENCE, MUTANTS, HIDDEN_MODULE = HARNESS.reference, HARNESS.mutants, HARNESS.hidden_module
build_namespace = HARNESS.namespace
submission_from = HARNESS.submission
run_check = HARNESS.run_check
run_all = HARNESS.run_all


def _message(mutant_name: str, check_id: str) -> str:
    """The message the check ``check_id`` gives the mutant ``mutant_name``."""
    mutant = next(m for m in MUTANTS if m["name"] == mutant_name)
    spec = next(s for s in CHECKS if s.id == check_id)
    np.random.seed(0)
    outcome, message = run_check(spec, submission_from(build_namespace(extra=mutant["code"])))
    assert outcome == "failed", (outcome, message)
    return message


# ---------------------------------------------------------------------------------------------
# The assignment and its notebooks


def test_ids_points_and_visibility() -> None:
    ids = [spec.id for spec in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED_IDS
    assert {spec.function for spec in CHECKS} == set(FUNCTIONS)
    assert sum(spec.points for spec in CHECKS) == 100
    assert sum(spec.points for spec in PUBLIC) <= 15  # public checks are worth little
    assert all(spec.id.endswith(".example") for spec in PUBLIC)


def test_the_grader_loads_the_assignment() -> None:
    assignment = load_assignment(ASSIGNMENT)
    assert assignment.id == "deep_initialization"
    assert assignment.functions == FUNCTIONS
    assert assignment.max_score == 100
    assert {c.id for c in assignment.checks} == {s.id for s in CHECKS}
    assert assignment.release == RELEASE.resolve()
    assert assignment.solution == SOLUTION.resolve()
    assert [h.name for h in assignment.helpers] == ["init_utils.py"]


def test_committed_release_is_in_sync_with_the_solution() -> None:
    assert RELEASE.read_text(encoding="utf-8") == release_bytes(SOLUTION)


def test_solution_notebook_is_course_style() -> None:
    nb = nbformat.read(SOLUTION, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["grader"] == {"assignment": "deep_initialization"}
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    headers = [c.source.splitlines()[0] for c in code if c.source.startswith("# GRADED")]
    assert headers == [f"# GRADED FUNCTION: {name}" for name in FUNCTIONS]
    markdown = " ".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "symmetry" in markdown and "same gradient" in markdown


def test_solution_notebook_runs_top_to_bottom(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "notebook"}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)
    out = capsys.readouterr().out
    assert "distinct units per layer, zeros: [1, 1, 1, 1]" in out


# ---------------------------------------------------------------------------------------------
# The check suite itself


def test_reference_passes_every_check() -> None:
    results = run_all(build_namespace())
    assert failing(results) == set(), results


@pytest.mark.parametrize("salt", ["a", "b", "c", "d", "e"])
def test_reference_passes_whatever_the_seed(salt: str) -> None:
    assert failing(run_all(build_namespace(), salt)) == set()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_mutant_fails_exactly_its_ids(mutant: dict[str, Any]) -> None:
    results = run_all(build_namespace(extra=mutant["code"]))
    assert failing(results) == set(mutant["fails"]), {
        k: v for k, v in results.items() if v[0] != "passed"
    }
    for check_id in mutant["fails"]:
        assert results[check_id][0] == "failed", (check_id, results[check_id])
        assert results[check_id][1].strip(), f"{check_id} failed without a message"


def test_every_mutant_names_known_ids() -> None:
    ids = {spec.id for spec in CHECKS}
    names = [m["name"] for m in MUTANTS]
    assert len(names) == len(set(names))
    for mutant in MUTANTS:
        assert mutant["fails"] and set(mutant["fails"]) <= ids, mutant["name"]
        assert mutant["description"]


def test_he_mistakes_are_far_apart_in_every_layer() -> None:
    """HE_SCALE_DIMS's promise: each named mistake is >= 25% from the right scale and from
    every other mistake, so it fails a 10% window by a wide margin and is named unambiguously."""
    dims = HIDDEN_MODULE.HE_SCALE_DIMS
    for layer in range(1, len(dims)):
        right = math.sqrt(2 / dims[layer - 1])
        scales = sorted([right] + [s for s, _ in HIDDEN_MODULE._he_mistakes(dims, layer)])
        ratios = [b / a for a, b in itertools.pairwise(scales)]
        assert min(ratios) >= 1.25, (layer, scales)
        assert dims[layer] * dims[layer - 1] >= 20_000


# ---------------------------------------------------------------------------------------------
# Correct solutions in other styles pass

STYLE_VARIANTS = {
    "default_rng_normal": """
def initialize_parameters_deep(layer_dims):
    rng = np.random.default_rng()
    return {f"{k}{l}": (rng.normal(0, 0.01, (layer_dims[l], layer_dims[l - 1])) if k == "W"
                        else np.zeros((layer_dims[l], 1)))
            for l in range(1, len(layer_dims)) for k in "Wb"}

def initialize_parameters_he(layer_dims):
    rng = np.random.default_rng()
    parameters = {"L": len(layer_dims), "layer_dims": list(layer_dims)}
    for l in range(1, len(layer_dims)):
        parameters["W%d" % l] = rng.normal(
            scale=(2 / layer_dims[l - 1]) ** 0.5, size=(layer_dims[l], layer_dims[l - 1]))
        parameters["b%d" % l] = np.zeros([layer_dims[l], 1])
    return parameters
""",
    "standard_normal_and_split_sqrt": """
def initialize_parameters_deep(dims):
    params = {}
    for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        params["W" + str(i)] = 0.01 * np.random.standard_normal((n_out, n_in))
        params["b" + str(i)] = np.zeros((n_out, 1))
    return params

def initialize_parameters_he(dims):
    params = {}
    for i in range(1, len(dims)):
        params["W" + str(i)] = np.random.standard_normal((dims[i], dims[i - 1])) * (
            np.sqrt(2) / np.sqrt(dims[i - 1]))
        params["b" + str(i)] = np.zeros((dims[i], 1))
    return params
""",
    "seed_inside_like_the_course": """
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01
        parameters['b' + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters

def initialize_parameters_he(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt(
            2. / layers_dims[l-1])
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters
""",
    "helper_in_another_cell_math_sqrt_float32": """
import math

def _layer(n_out, n_in, scale):
    return (np.random.randn(n_out, n_in) * scale).astype(np.float32), np.zeros((n_out, 1))

def initialize_parameters_deep(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)], parameters["b" + str(l)] = _layer(
            layer_dims[l], layer_dims[l - 1], 0.01)
    return parameters

def initialize_parameters_he(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        W, b = _layer(layer_dims[l], layer_dims[l - 1], math.sqrt(2 / layer_dims[l - 1]))
        parameters.update({"W" + str(l): W, "b" + str(l): b})
    return parameters
""",
    "normal_function_and_int_zeros": """
def initialize_parameters_he(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2 / layer_dims[l - 1])
        parameters["W" + str(l)] = np.random.normal(0, std, size=(layer_dims[l], layer_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1), dtype=int)
    return parameters

def initialize_parameters_zeros(layer_dims):
    shapes = list(zip(layer_dims[1:], layer_dims[:-1]))
    parameters = {}
    for l, (rows, cols) in enumerate(shapes, 1):
        parameters[f"W{l}"] = np.zeros((rows, cols), dtype=np.int64)
        parameters[f"b{l}"] = np.zeros((rows, 1), dtype=np.int64)
    return parameters
""",
    "zeros_like_and_tuple_shapes": """
def initialize_parameters_zeros(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters['W' + str(l)] = np.zeros(shape=(layer_dims[l], layer_dims[l - 1]))
        parameters['b' + str(l)] = np.zeros_like(np.empty((layer_dims[l], 1)))
    parameters["description"] = "all zeros"
    return parameters
""",
}


@pytest.mark.parametrize("code", STYLE_VARIANTS.values(), ids=STYLE_VARIANTS.keys())
def test_style_variant_passes(code: str) -> None:
    results = run_all(build_namespace(extra=code))
    assert failing(results) == set(), results


# ---------------------------------------------------------------------------------------------
# Broken submissions fail readably


def _stubs() -> dict[str, Callable[..., Any]]:
    return {name: (lambda *args, **kwargs: None) for name in FUNCTIONS}


def test_stubs_returning_none_fail_every_check_readably() -> None:
    submission = LocalSubmission(_stubs())
    for spec in CHECKS:
        outcome, message = run_check(spec, submission)
        assert outcome == "failed", (spec.id, outcome, message)
        assert "None" in message and len(message) < 300, (spec.id, message)


def test_release_stubs_fail_every_check_with_a_message() -> None:
    submission = submission_from(build_namespace(RELEASE))
    for spec in CHECKS:
        outcome, message = run_check(spec, submission)
        assert outcome == "failed", (spec.id, outcome)
        expected = "is empty: store each layer's" if spec in PUBLIC else "holds none of"
        assert expected in message, (spec.id, message)


@pytest.mark.parametrize("value", [np.zeros((2, 2)), [1, 2], "W1", {"W1": 1}, {"W1": [[0.0]]}])
def test_odd_return_values_fail_every_check(value: object) -> None:
    submission = LocalSubmission({name: (lambda layer_dims: value) for name in FUNCTIONS})
    for spec in CHECKS:
        outcome, message = run_check(spec, submission)
        assert outcome == "failed" and message, (spec.id, outcome)


def test_missing_function_is_a_student_error() -> None:
    submission = LocalSubmission({})
    for spec in CHECKS:
        assert run_check(spec, submission)[0] == "error", spec.id


def test_raising_function_is_a_student_error() -> None:
    def broken(layer_dims: list[int]) -> None:
        raise IndexError("list index out of range")

    submission = LocalSubmission(dict.fromkeys(FUNCTIONS, broken))
    for spec in CHECKS:
        outcome, message = run_check(spec, submission)
        assert outcome == "error" and "IndexError" in message, spec.id


# ---------------------------------------------------------------------------------------------
# Messages name the mistake


def test_he_with_this_layer_says_so() -> None:
    message = _message("he_this_layer", "initialize_parameters_he.scale")
    assert re.match(
        r"W1 from initialize_parameters_he\(\[100, 400, 150, 600, 100\]\) has standard deviation "
        r"0\.07\d*, expected about 0\.141 = sqrt\(2 / layer_dims\[0\]\): that is "
        r"sqrt\(2 / layer_dims\[1\]\), the size of this layer: scale by "
        r"np\.sqrt\(2 / layer_dims\[l - 1\]\), the size of the previous layer$",
        message,
    ), message


def test_he_without_sqrt_says_so() -> None:
    message = _message("he_no_sqrt", "initialize_parameters_he.scale")
    assert "that is 2 / layer_dims[0]: did you forget the square root?" in message, message


def test_he_xavier_and_constant_say_so() -> None:
    assert "(Xavier initialisation)" in _message("he_xavier", "initialize_parameters_he.scale")
    message = _message("he_constant_0_01", "initialize_parameters_he.scale")
    assert "the 0.01 of initialize_parameters_deep" in message


def test_he_uniform_is_told_it_is_not_normal() -> None:
    message = _message("he_uniform", "initialize_parameters_he.scale")
    assert "do not look normally distributed" in message and "normal, not uniform" in message


def test_deep_scale_messages() -> None:
    message = _message("deep_no_scale", "initialize_parameters_deep.scale")
    assert re.match(r"W1 from .* has standard deviation (0\.9|1\.)", message), message
    assert message.endswith("expected about 0.01: did you forget to multiply by 0.01?")
    message = _message("deep_scale_0_1", "initialize_parameters_deep.scale")
    assert message.endswith("that is 0.1: multiply by 0.01"), message


def test_off_by_one_layers_are_explained() -> None:
    message = _message("deep_extra_layer_zero", "initialize_parameters_deep.shapes")
    assert message.endswith(
        "has the key(s) 'W0', 'b0'; layer_dims has 3 entries, the input layer included, so the "
        "parameters are W1, b1, ..., W2, b2: loop with for l in range(1, L), L = len(layer_dims)"
    ), message
    message = _message("deep_missing_last_layer", "initialize_parameters_deep.shapes")
    assert "is missing the key(s) 'W2', 'b2'" in message and "range(1, L)" in message


def test_shape_messages_use_layer_dims() -> None:
    message = _message("he_transposed_W", "initialize_parameters_he.shapes")
    assert "expected (4, 5) = (layer_dims[1], layer_dims[0]): it looks transposed" in message


def test_symmetry_message_explains_why() -> None:
    message = _message("deep_identical_rows", "initialize_parameters_deep.symmetry_breaking")
    assert "identical" in message and "same gradient" in message


def test_hidden_messages_show_no_arrays() -> None:
    for mutant in MUTANTS:
        results = run_all(build_namespace(extra=mutant["code"]))
        for outcome, message in results.values():
            assert outcome == "passed" or "[[" not in message, (mutant["name"], message)
