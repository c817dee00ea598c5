"""Public checks for "Initialising a deep neural network".

These are the notebook's own examples: small networks whose parameters the notebook prints.
Students may read and run them (``grader check``); the hidden checks test much more.
"""

from __future__ import annotations

from typing import Any

from grader.expect import expect_array, expect_keys, expect_not_constant, expect_shape, expect_zeros
from grader.testing import CheckFailed, check


def _example(submission: Any, function: str, layer_dims: list[int], weights_hint: str) -> None:
    """The shapes for ``layer_dims``, zero biases, and weights not constant (or zero)."""
    L = len(layer_dims)
    keys = [f"{kind}{layer}" for layer in range(1, L) for kind in "Wb"]
    what = f"the dictionary returned by {function}({layer_dims})"
    value = getattr(submission, function)(list(layer_dims))
    if isinstance(value, dict) and not value:
        raise CheckFailed(
            f"{what} is empty: store each layer's parameters in it, "
            "parameters['W' + str(l)] = ... and parameters['b' + str(l)] = ..., "
            "for l in range(1, L)"
        )
    params = expect_keys(value, keys, what)
    for layer in range(1, L):
        W = expect_array(params[f"W{layer}"], f"W{layer}")
        expect_shape(W, (layer_dims[layer], layer_dims[layer - 1]), f"W{layer}")
        b = expect_array(params[f"b{layer}"], f"b{layer}")
        expect_shape(b, (layer_dims[layer], 1), f"b{layer}")
        expect_zeros(b, f"b{layer}", hint="use np.zeros((layer_dims[l], 1))")
        if function == "initialize_parameters_zeros":
            expect_zeros(W, f"W{layer}", hint=weights_hint)
        else:
            expect_not_constant(W, f"W{layer}", hint=weights_hint)


@check("initialize_parameters_deep", "example", points=2)
def initialize_parameters_deep_example(submission: Any) -> None:
    """The notebook's example, layer_dims = [5, 4, 3]."""
    _example(
        submission,
        "initialize_parameters_deep",
        [5, 4, 3],
        "use np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01",
    )


@check("initialize_parameters_he", "example", points=2)
def initialize_parameters_he_example(submission: Any) -> None:
    """The notebook's example, layer_dims = [2, 4, 1]."""
    _example(
        submission,
        "initialize_parameters_he",
        [2, 4, 1],
        "use np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])",
    )


@check("initialize_parameters_zeros", "example", points=2)
def initialize_parameters_zeros_example(submission: Any) -> None:
    """The notebook's example, layer_dims = [3, 2, 1]."""
    _example(
        submission,
        "initialize_parameters_zeros",
        [3, 2, 1],
        "use np.zeros((layer_dims[l], layer_dims[l - 1]))",
    )
