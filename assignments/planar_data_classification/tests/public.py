"""Public checks for "Planar data classification with one hidden layer".

These are the notebook's own examples: fixed, small inputs with the values the course prints.
Students may read and run them (``grader check``); the hidden checks test much more.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.expect import (
    expect_array,
    expect_binary,
    expect_close,
    expect_finite,
    expect_keys,
    expect_not_constant,
    expect_number,
    expect_sequence,
    expect_shape,
    expect_zeros,
)
from grader.testing import CheckFailed, check

X = np.array([[1.62, -0.61, -0.53], [-1.07, 0.87, -2.3]])
Y = np.array([[1.0, 0.0, 1.0]])


def _parameters(b2: float = 1.13) -> dict[str, np.ndarray]:
    """The example parameters (n_x = 2, n_h = 4, n_y = 1)."""
    return {
        "W1": np.array([[-0.42, -0.06], [-1.22, 0.53], [-0.46, -0.67], [0.74, 0.32]]),
        "b1": np.array([[1.74], [-0.76], [0.32], [-0.25]]),
        "W2": np.array([[1.46, -2.06, -0.32, -0.38]]),
        "b2": np.array([[b2]]),
    }


# forward_propagation(X, _parameters()), rounded to 8 decimals.
CACHE = {
    "Z1": np.array(
        [
            [1.1238, 1.944, 2.1006],
            [-3.3035, 0.4453, -1.3324],
            [0.2917, 0.0177, 2.1048],
            [0.6064, -0.423, -1.3782],
        ]
    ),
    "A1": np.array(
        [
            [0.80888663, 0.95984997, 0.97048685],
            [-0.99730189, 0.41802795, -0.86983468],
            [0.28369874, 0.01769815, 0.97073011],
            [0.541588, -0.39945476, -0.88054756],
        ]
    ),
    "Z2": np.array([[4.06882933, 1.81637277, 4.36274469]]),
    "A2": np.array([[0.98319001, 0.86013032, 0.98741699]]),
}

GRADS = {
    "dW1": np.array([[0.01, -0.02], [0.03, 0.0], [-0.01, 0.05], [0.02, -0.04]]),
    "db1": np.array([[0.001], [-0.002], [0.003], [0.0]]),
    "dW2": np.array([[-0.05, 0.04, 0.01, -0.02]]),
    "db2": np.array([[-0.16]]),
}


def _compare(value: object, expected: dict[str, np.ndarray], what: str) -> None:
    """Every entry of the dict ``expected`` matches ``value``'s, shape included."""
    found = expect_keys(value, list(expected), what)
    for key, correct in expected.items():
        array = expect_array(found[key], key)
        expect_shape(array, correct.shape, key)
        expect_close(array, correct, key, rtol=1e-6, atol=1e-7)


@check("layer_sizes", "example", points=1)
def layer_sizes_example(submission: Any) -> None:
    """The notebook's example: X (5, 3) and Y (2, 3) give (5, 4, 2)."""
    result = submission.layer_sizes(np.ones((5, 3)), np.ones((2, 3)))
    sizes = expect_sequence(result, 3, "layer_sizes's result", names="(n_x, n_h, n_y)")
    if tuple(sizes) != (5, 4, 2):
        raise CheckFailed(
            f"layer_sizes returned {tuple(sizes)} for X of shape (5, 3) and Y of shape (2, 3), "
            "expected (5, 4, 2): n_x = X.shape[0], n_h = 4, n_y = Y.shape[0]"
        )


@check("initialize_parameters", "example", points=2)
def initialize_parameters_example(submission: Any) -> None:
    """initialize_parameters(2, 4, 1): shapes, zero biases, weights not all equal."""
    params = expect_keys(
        submission.initialize_parameters(2, 4, 1), ["W1", "b1", "W2", "b2"], "the parameters"
    )
    shapes = {"W1": (4, 2), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)}
    for key, shape in shapes.items():
        value = expect_array(params[key], key)
        expect_shape(value, shape, key)
        if key.startswith("b"):
            expect_zeros(value, key, hint="use np.zeros")
        else:
            expect_not_constant(value, key, hint="use np.random.randn(...) * 0.01")


@check("forward_propagation", "example", points=2)
def forward_propagation_example(submission: Any) -> None:
    """The notebook's example: A2 and the cache for fixed X and parameters."""
    result = submission.forward_propagation(X, _parameters())
    A2, cache = expect_sequence(result, 2, "forward_propagation's result", names="(A2, cache)")
    A2 = expect_array(A2, "A2")
    expect_shape(A2, (1, 3), "A2")
    expect_close(A2, CACHE["A2"], "A2", rtol=1e-6, atol=1e-7)
    _compare(cache, CACHE, "the cache")


@check("compute_cost", "example", points=1)
def compute_cost_example(submission: Any) -> None:
    """The notebook's example: the cost of three predictions is about 0.693059."""
    A2 = np.array([[0.5002307, 0.49985831, 0.50023963]])
    labels = np.array([[1, 0, 0]])
    if submission.signature("compute_cost").accepts(2):
        value = submission.compute_cost(A2, labels)
    else:
        value = submission.compute_cost(A2, labels, _parameters())
    cost = expect_number(
        value, "the cost", hint="return a plain number, e.g. cost = float(np.squeeze(cost))"
    )
    expect_finite(cost, "the cost")
    if abs(cost - 0.6930587610394646) > 1e-7:
        raise CheckFailed(f"compute_cost returned {cost:.8f} for the example, expected 0.69305876")


@check("backward_propagation", "example", points=2)
def backward_propagation_example(submission: Any) -> None:
    """The notebook's example: gradients for the example's cache."""
    grads = submission.backward_propagation(_parameters(), CACHE, X, Y)
    expected = {
        "dW1": np.array(
            [
                [-0.02448536, 0.03250175],
                [0.29630816, -0.42895269],
                [0.05857823, -0.08173732],
                [0.05810275, -0.08209539],
            ]
        ),
        "db1": np.array([[0.02975429], [-0.48524788], [-0.08999232], [-0.08970261]]),
        "dW2": np.array([[0.26659568, 0.12908943, -0.00058699, -0.1138691]]),
        "db2": np.array([[0.27691244]]),
    }
    _compare(grads, expected, "the grads")


@check("update_parameters", "example", points=1)
def update_parameters_example(submission: Any) -> None:
    """The notebook's example: one step with the default learning rate 1.2."""
    expected = {
        "W1": np.array([[-0.432, -0.036], [-1.256, 0.53], [-0.448, -0.73], [0.716, 0.368]]),
        "b1": np.array([[1.7388], [-0.7576], [0.3164], [-0.25]]),
        "W2": np.array([[1.52, -2.108, -0.332, -0.356]]),
        "b2": np.array([[1.322]]),
    }
    _compare(submission.update_parameters(_parameters(), GRADS), expected, "the parameters")


@check("predict", "example", points=1)
def predict_example(submission: Any) -> None:
    """The notebook's example: three predictions, [[1, 0, 1]]."""
    predictions = expect_array(submission.predict(_parameters(b2=-2.0), X), "the predictions")
    expect_shape(predictions, (1, 3), "the predictions")
    expect_binary(predictions, "the predictions", hint="use predictions = (A2 > 0.5)")
    if not np.array_equal(predictions.astype(float), [[1.0, 0.0, 1.0]]):
        raise CheckFailed(
            f"predict returned {predictions.astype(int).tolist()} for the example, expected "
            "[[1, 0, 1]]: predict 1 where A2 > 0.5"
        )


@check("nn_model", "example", points=2)
def nn_model_example(submission: Any) -> None:
    """A short run on the example: the parameters have the right shapes and are finite."""
    params = expect_keys(
        submission.nn_model(X, Y, 4, 20, False), ["W1", "b1", "W2", "b2"], "nn_model's result"
    )
    shapes = {"W1": (4, 2), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)}
    for key, shape in shapes.items():
        value = expect_array(params[key], key)
        expect_shape(value, shape, f"{key} from nn_model(X, Y, 4, 20)")
        expect_finite(value, key)
