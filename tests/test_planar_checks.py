"""The planar_data_classification checks, run in-process against known submissions.

The sandboxed runner is not needed here: submissions are built by exec'ing the reference
solution's definitions (plus, for a mutant or a style variant, extra code after them, as if
appended in a last cell) and wrapped in ``LocalSubmission``. Every check then runs with the same
fixtures the runner gives it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from checks_harness import InProcess, failing

from grader.testing import LocalSubmission

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = ROOT / "assignments" / "planar_data_classification"
SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"
FUNCTIONS = (
    "layer_sizes",
    "initialize_parameters",
    "forward_propagation",
    "compute_cost",
    "backward_propagation",
    "update_parameters",
    "nn_model",
    "predict",
)
REQUIRED_IDS = {
    "layer_sizes.values",
    "initialize_parameters.shapes",
    "initialize_parameters.zero_biases",
    "initialize_parameters.scale",
    "initialize_parameters.symmetry_breaking",
    "forward_propagation.shapes",
    "forward_propagation.values",
    "compute_cost.values",
    "backward_propagation.shapes",
    "backward_propagation.values",
    "update_parameters.values",
    "nn_model.trains",
    "predict.values",
}


# ---------------------------------------------------------------------------------------------
# Harness


HARNESS = InProcess("planar_data_classification", FUNCTIONS)
PUBLIC, HIDDEN, CHECKS = HARNESS.public, HARNESS.hidden, HARNESS.checks
REFERENCE, MUTANTS = HARNESS.reference, HARNESS.mutants
build_namespace = HARNESS.namespace
submission_from = HARNESS.submission
run_check = HARNESS.run_check
run_all = HARNESS.run_all


# ---------------------------------------------------------------------------------------------
# The check suite itself


def test_ids_points_and_visibility() -> None:
    ids = [spec.id for spec in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED_IDS
    assert {spec.function for spec in CHECKS} == set(FUNCTIONS)
    assert sum(spec.points for spec in CHECKS) == 100
    assert sum(spec.points for spec in PUBLIC) <= 15  # public checks are worth little
    assert all(spec.id.endswith(".example") for spec in PUBLIC)


def test_reference_passes_every_check() -> None:
    results = run_all(build_namespace())
    assert failing(results) == set(), results


@pytest.mark.parametrize("salt", ["a", "b", "c", "d", "e"])
def test_reference_passes_whatever_the_rng(salt: str) -> None:
    assert failing(run_all(build_namespace(), salt)) == set()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_mutant_fails_exactly_its_ids(mutant: dict[str, Any]) -> None:
    results = run_all(build_namespace(extra=mutant["code"]))
    assert failing(results) == set(mutant["fails"]), {
        k: v for k, v in results.items() if v[0] != "passed"
    }
    for check_id in mutant["fails"]:
        assert results[check_id][1].strip(), f"{check_id} failed without a message"


def test_every_mutant_names_known_ids() -> None:
    ids = {spec.id for spec in CHECKS}
    names = [m["name"] for m in MUTANTS]
    assert len(names) == len(set(names))
    for mutant in MUTANTS:
        assert mutant["fails"] and set(mutant["fails"]) <= ids, mutant["name"]
        assert mutant["description"]


# ---------------------------------------------------------------------------------------------
# Correct solutions in other styles pass

STYLE_VARIANTS = {
    "matmul_operator": '''
def forward_propagation(X, parameters):
    W1, b1, W2, b2 = (parameters[k] for k in ("W1", "b1", "W2", "b2"))
    Z1 = W1 @ X + b1
    A1 = np.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "X": X}

def backward_propagation(params, cache, inputs, labels):
    m = inputs.shape[1]
    dZ2 = cache["A2"] - labels
    dZ1 = (params["W2"].T @ dZ2) * (1 - cache["A1"] ** 2)
    return {"dW1": dZ1 @ inputs.T / m, "db1": dZ1.mean(axis=1, keepdims=True),
            "dW2": dZ2 @ cache["A1"].T / m, "db2": dZ2.mean(axis=1).reshape(-1, 1),
            "dZ1": dZ1, "dZ2": dZ2}
''',
    "default_rng_normal": '''
def initialize_parameters(n_x, n_h, n_y):
    rng = np.random.default_rng()
    return {"W1": rng.normal(0, 0.01, (n_h, n_x)), "b1": np.zeros((n_h, 1)),
            "W2": rng.normal(0, 0.01, size=(n_y, n_h)), "b2": np.zeros((n_y, 1)),
            "sizes": (n_x, n_h, n_y)}
''',
    "standard_normal": '''
def initialize_parameters(a, b, c):
    return {"W1": np.random.standard_normal((b, a)) * 0.01, "b1": np.zeros((b, 1)),
            "W2": 0.01 * np.random.standard_normal((c, b)), "b2": np.zeros([c, 1])}
''',
    "seed_inside": '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
''',
    "helpers_and_renamed_parameters": '''
def tanh_prime(a):
    return 1 - np.power(a, 2)

def linear(W, A, b):
    return np.dot(W, A) + b

def layer_sizes(inputs, labels):
    return inputs.shape[0], 4, labels.shape[0]

def forward_propagation(inputs, params):
    Z1 = linear(params["W1"], inputs, params["b1"])
    A1 = np.tanh(Z1)
    Z2 = linear(params["W2"], A1, params["b2"])
    return sigmoid(Z2), dict(Z1=Z1, A1=A1, Z2=Z2, A2=sigmoid(Z2))

def backward_propagation(p, c, x, y):
    m = x.shape[1]
    dZ2 = c["A2"] - y
    dZ1 = np.multiply(np.dot(p["W2"].T, dZ2), tanh_prime(c["A1"]))
    grads = {}
    grads["dW1"] = (1 / m) * np.dot(dZ1, x.T)
    grads["db1"] = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    grads["dW2"] = (1 / m) * np.dot(dZ2, c["A1"].T)
    grads["db2"] = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    return grads
''',
    "three_argument_cost_and_copying_update": '''
import copy

def compute_cost(A2, Y, parameters):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply((1 - Y), np.log(1 - A2))
    return np.squeeze(-np.sum(logprobs) / m)

def update_parameters(parameters, grads, learning_rate=1.2):
    parameters = copy.deepcopy(parameters)
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] -= learning_rate * grads["d" + key]
    return parameters

def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y, parameters)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate=1.2)
        if print_cost and i % 1000 == 0:
            print(cost)
    return parameters
''',
    "zero_d_cost_int_predictions": """
def compute_cost(A2, Y):
    m = Y.shape[1]
    return -(np.dot(Y, np.log(A2).T) + np.dot(1 - Y, np.log(1 - A2).T)).reshape(()) / m

def predict(parameters, X):
    A2, _ = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(int)
""",
    "float_predictions_and_float32": """
def predict(parameters, X):
    return np.round(forward_propagation(X, parameters)[0])

def forward_propagation(X, parameters):
    p = {k: v.astype(np.float32) for k, v in parameters.items()}
    Z1 = np.dot(p["W1"], X.astype(np.float32)) + p["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(p["W2"], A1) + p["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
""",
    "numpy_float_cost_no_seed_in_nn_model": """
def compute_cost(A2, Y):
    return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))

def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x, n_y = X.shape[0], Y.shape[0]
    parameters = initialize_parameters(n_x, n_h, n_y)
    for _ in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        parameters = update_parameters(parameters, backward_propagation(parameters, cache, X, Y))
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


def test_release_stubs_raise_student_errors_not_crashes() -> None:
    release = ASSIGNMENT / "planar_data_classification.ipynb"
    submission = submission_from(build_namespace(release))
    for spec in CHECKS:
        outcome, message = run_check(spec, submission)
        assert outcome in ("failed", "error"), (spec.id, outcome)
        assert message, spec.id


def test_missing_function_is_a_student_error() -> None:
    submission = LocalSubmission({})
    for spec in CHECKS:
        assert run_check(spec, submission)[0] == "error", spec.id


def test_hidden_messages_show_no_expected_values() -> None:
    """A wrong backward pass is told where it is wrong, not what the right numbers are."""
    mutant = next(m for m in MUTANTS if m["name"] == "backward_no_1_over_m")
    outcome, message = run_check(
        next(s for s in HIDDEN if s.id == "backward_propagation.values"),
        submission_from(build_namespace(extra=mutant["code"])),
    )
    assert outcome == "failed"
    assert "differs from the correct value at" in message
    assert "[" not in message  # no arrays printed


def test_cost_as_matrix_gets_the_squeeze_hint() -> None:
    mutant = next(m for m in MUTANTS if m["name"] == "cost_as_1x1_array")
    spec = next(s for s in HIDDEN if s.id == "compute_cost.values")
    outcome, message = run_check(spec, submission_from(build_namespace(extra=mutant["code"])))
    assert outcome == "failed"
    assert "(1, 1)" in message and "float(np.squeeze(cost))" in message


def test_scale_message_names_the_fix() -> None:
    mutant = next(m for m in MUTANTS if m["name"] == "no_scale")
    spec = next(s for s in HIDDEN if s.id == "initialize_parameters.scale")
    _, message = run_check(spec, submission_from(build_namespace(extra=mutant["code"])))
    assert re.match(r"W1 has standard deviation (0\.9|1\.)", message), message
    assert "expected about 0.01" in message and "* 0.01" in message


def test_symmetry_message_explains_why() -> None:
    mutant = next(m for m in MUTANTS if m["name"] == "identical_rows")
    spec = next(s for s in HIDDEN if s.id == "initialize_parameters.symmetry_breaking")
    _, message = run_check(spec, submission_from(build_namespace(extra=mutant["code"])))
    assert "identical" in message and "same gradient" in message


# ---------------------------------------------------------------------------------------------
# Cost of the checks


def test_nn_model_check_is_cheap() -> None:
    import time

    spec = next(s for s in HIDDEN if s.id == "nn_model.trains")
    submission = submission_from(build_namespace())
    start = time.perf_counter()
    assert run_check(spec, submission) == ("passed", "")
    assert time.perf_counter() - start < 0.5  # about 20 ms of numpy work; generous for CI
