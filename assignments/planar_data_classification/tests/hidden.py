"""Hidden checks for "Planar data classification with one hidden layer".

Every check compares the student's functions with the reference solution (``reference``) on
inputs drawn from ``rng``, or checks properties that any correct solution has whatever its
style. Arguments are passed in the order of the release's stub; the grader binds them by the
stub's parameter names where the student's signature has them (grader.binding). Messages
say what is wrong and what to do, and never show expected values. Advice that gives the
answer's formula is a ``hint(property=..., formula=...)``: students see the formula only when
assignment.toml sets ``hints = "formula"``; the instructor's message always has it. What a
student sees names the arguments and shapes in symbols (``initialize_parameters(n_x, n_h,
n_y)``, ``(n_h, n_x)``): the sizes, rates and iteration counts a check passes are hidden
inputs too. The instructor's message keeps the numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.expect import (
    Name,
    expect_array,
    expect_binary,
    expect_close,
    expect_distinct_rows,
    expect_finite,
    expect_int,
    expect_keys,
    expect_normal,
    expect_not_constant,
    expect_number,
    expect_sequence,
    expect_shape,
    expect_size,
    expect_zeros,
)
from grader.testing import CheckFailed, check, hint, memoised

PARAMS = ("W1", "b1", "W2", "b2")
GRADS = ("dW1", "db1", "dW2", "db2")
CACHE = ("Z1", "A1", "Z2", "A2")


# ---------------------------------------------------------------------------------------------
# Helpers (trusted code: they run in the grader, never in the sandbox)


Shapes = dict[str, tuple[tuple[int, int], str]]
SYMBOLS = {"W1": "(n_h, n_x)", "b1": "(n_h, 1)", "W2": "(n_y, n_h)", "b2": "(n_y, 1)"}
CACHE_SYMBOLS = {"Z1": "(n_h, m)", "A1": "(n_h, m)", "Z2": "(n_y, m)", "A2": "(n_y, m)"}


def _shapes(n_x: int, n_h: int, n_y: int, prefix: str = "") -> Shapes:
    """The shape of each parameter (or gradient, with prefix "d"), in numbers and symbols."""
    numbers = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    return {prefix + key: (numbers[key], SYMBOLS[key]) for key in PARAMS}


def _call(concrete: str, symbolic: str) -> Name:
    """A call as the instructor reads it (with the hidden arguments) and as the student does."""
    return Name(concrete, public=symbolic)


def _random_parameters(rng: np.random.Generator, n_x: int, n_h: int, n_y: int) -> dict[str, Any]:
    """Parameters of a moderate scale, with non-zero biases, so every term of the model shows."""
    return {
        "W1": rng.normal(0, 0.8, (n_h, n_x)),
        "b1": rng.normal(0, 0.5, (n_h, 1)),
        "W2": rng.normal(0, 0.8, (n_y, n_h)),
        "b2": rng.normal(0, 0.5, (n_y, 1)),
    }


def _labels(rng: np.random.Generator, n_y: int, m: int) -> np.ndarray:
    """Random 0/1 labels of shape (n_y, m), as floats."""
    return rng.integers(0, 2, (n_y, m)).astype(np.float64)


def _params_result(value: object, call: str) -> Any:
    """The parameters dict returned by ``call`` (a str or a :class:`Name`), with its four keys."""
    return expect_keys(value, PARAMS, Name(call).within("the dictionary returned by {}"))


def _forward(submission: Any, X: np.ndarray, params: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """Call the student's forward_propagation and check the structure of its result."""
    result = expect_sequence(
        submission.forward_propagation(X, params),
        2,
        "forward_propagation's result",
        names="(A2, cache)",
    )
    A2 = expect_array(result[0], "A2 (the first value returned by forward_propagation)")
    cache = expect_keys(result[1], CACHE, "the cache returned by forward_propagation")
    return A2, cache


def _cost(submission: Any, A2: np.ndarray, Y: np.ndarray, params: dict[str, Any]) -> float:
    """Call compute_cost as (A2, Y), or as (A2, Y, parameters) for the older course version."""
    signature = submission.signature("compute_cost")
    if signature.accepts(2):
        value = submission.compute_cost(A2, Y)
    elif signature.accepts(3):
        value = submission.compute_cost(A2, Y, params)
    else:
        raise CheckFailed("compute_cost should take two arguments: compute_cost(A2, Y)")
    cost = expect_number(
        value,
        "the cost returned by compute_cost",
        hint=hint(
            property="return a plain number, not an array",
            formula="cost = float(np.squeeze(cost))",
        ),
    )
    expect_finite(cost, "the cost returned by compute_cost")
    return cost


@memoised  # the same inputs for every submission: computed once per worker
def _numeric_gradients(
    reference: Any, params: dict[str, Any], X: np.ndarray, Y: np.ndarray
) -> dict[str, np.ndarray]:
    """Central finite-difference gradients of the reference cost with respect to each parameter.

    With eps = 1e-6 and a cost of order 1, truncation (eps^2 * J''' ~ 1e-12) and rounding
    (1e-16 / eps ~ 1e-10) errors are far below the tolerances used against these values.
    """
    eps = 1e-6

    def cost(p: dict[str, Any]) -> float:
        A2, _ = reference.forward_propagation(X, p)
        return float(reference.compute_cost(A2, Y))

    grads = {}
    for key in PARAMS:
        grad = np.zeros_like(params[key])
        for index in np.ndindex(grad.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][index] += eps
            up = cost(shifted)
            shifted[key][index] -= 2 * eps
            grad[index] = (up - cost(shifted)) / (2 * eps)
        grads["d" + key] = grad
    return grads


def _two_blobs(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """An easy, separable data set: two clusters of m/2 points that only a biased model splits.

    Each point is its class centre, (0.5, 0.5) or (3, 3), plus noise clipped to [-1, 1] per
    coordinate, so the classes never overlap (the gap along the diagonal is >= 0.7). Both
    centres lie on the same ray from the origin: a network that was never trained (tiny
    weights, zero biases, hence a boundary through the origin) gets at most about 87%.
    """
    Y = np.repeat([0.0, 1.0], m // 2).reshape(1, m)
    X = np.where(Y == 1, 3.0, 0.5) + np.clip(rng.normal(0, 0.5, (2, m)), -1, 1)
    return X, Y


# ---------------------------------------------------------------------------------------------
# layer_sizes


@check("layer_sizes", "values", points=5)
def layer_sizes_values(submission: Any, rng: np.random.Generator) -> None:
    """n_x and n_y come from the shapes of X and Y; n_h is 4."""
    for n_x, n_y, m in [(5, 2, 7), (3, 1, 1), (12, 4, 20)]:
        X, Y = rng.normal(size=(n_x, m)), _labels(rng, n_y, m)
        result = expect_sequence(
            submission.layer_sizes(X, Y), 3, "layer_sizes's result", names="(n_x, n_h, n_y)"
        )
        got = [expect_int(v, name) for v, name in zip(result, ("n_x", "n_h", "n_y"), strict=True)]
        where = f"for X of shape {X.shape} and Y of shape {Y.shape}"
        # The public messages leave out the returned number (the student's code chose it) and
        # the shapes of X and Y (hidden inputs).
        if got[0] != n_x:
            advice = "n_x is the number of input features, the number of rows of X (X.shape[0])"
            raise CheckFailed(
                f"layer_sizes returned n_x = {got[0]} {where}: {advice}",
                public=f"layer_sizes returned a wrong n_x: {advice}",
            )
        if got[1] != 4:
            raise CheckFailed(
                f"layer_sizes returned n_h = {got[1]}: set n_h = 4 in this exercise",
                public="layer_sizes returned a wrong n_h: set n_h = 4 in this exercise",
            )
        if got[2] != n_y:
            advice = "n_y is the number of outputs, the number of rows of Y (Y.shape[0])"
            raise CheckFailed(
                f"layer_sizes returned n_y = {got[2]} {where}: {advice}",
                public=f"layer_sizes returned a wrong n_y: {advice}",
            )


# ---------------------------------------------------------------------------------------------
# initialize_parameters

_DRAW_HINT = hint(
    property="draw the weights from a standard normal distribution (not a uniform one), "
    "scaled by 0.01",
    formula="np.random.randn(rows, columns) * 0.01",
)
_SYMMETRY_HINT = hint(
    property="hidden units that start with the same weights compute the same function and "
    "receive the same gradient at every step, so they never become different and the layer "
    "behaves like a single unit; initialise the weights with small random values",
    formula="np.random.randn(...) * 0.01",
)


@check("initialize_parameters", "shapes", points=5)
def initialize_parameters_shapes(submission: Any) -> None:
    """W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1) for several layer sizes."""
    for n_x, n_h, n_y in [(3, 5, 2), (7, 2, 1), (1, 6, 3)]:
        call = _call(
            f"initialize_parameters({n_x}, {n_h}, {n_y})", "initialize_parameters(n_x, n_h, n_y)"
        )
        params = _params_result(submission.initialize_parameters(n_x, n_h, n_y), call)
        for key, (shape, names) in _shapes(n_x, n_h, n_y).items():
            what = call.within(f"{key} from {{}}")
            expect_shape(expect_array(params[key], what), shape, what, names=names)


@check("initialize_parameters", "zero_biases", points=3)
def initialize_parameters_zero_biases(submission: Any) -> None:
    """b1 and b2 are exactly zero."""
    params = _params_result(submission.initialize_parameters(3, 5, 2), "initialize_parameters")
    for key, rows in (("b1", "n_h"), ("b2", "n_y")):
        value = expect_array(params[key], key)
        advice = hint(
            property=f"initialise it with zeros, a ({rows}, 1) column",
            formula=f"np.zeros(({rows}, 1))",
        )
        expect_zeros(value, key, hint=advice)


@check("initialize_parameters", "scale", points=5)
def initialize_parameters_scale(submission: Any) -> None:
    """Weights look like N(0, 0.01^2): mean, standard deviation and kurtosis on large layers.

    W1 and W2 have 20,000 entries each, grader.expect.MIN_NORMAL_SAMPLES, so a correct solution
    fails with probability below 1e-11 per array (see expect_normal's tolerances). Larger
    layers would only cost time: drawing 300,000 legacy normals takes the student ~12 ms.
    """
    n_x, n_h, n_y = 100, 200, 100
    params = _params_result(
        submission.initialize_parameters(n_x, n_h, n_y), "initialize_parameters"
    )
    for key, (shape, names) in _shapes(n_x, n_h, n_y).items():
        if key.startswith("W"):
            value = expect_size(expect_array(params[key], key), shape, key, names=names)
            expect_normal(value, key, std=0.01, hint=_DRAW_HINT)


def _rows(W: np.ndarray, shape: tuple[int, int], what: str, names: str) -> np.ndarray:
    """``W`` as rows of incoming weights: reshaped to ``shape`` when it has that many entries,
    else as returned when it is a matrix of at least two rows (a shape mistake, which the
    shapes check judges, does not hide whether the units that were returned differ)."""
    if W.size != np.prod(shape) and W.ndim == 2 and W.shape[0] >= 2:
        return W
    return expect_size(W, shape, what, names=names)


@check("initialize_parameters", "symmetry_breaking", points=3)
def initialize_parameters_symmetry_breaking(submission: Any) -> None:
    """No two hidden units start with the same incoming weights; W2 is not constant.

    Judged on the rows returned, whatever their number: shapes are the shapes check's.
    """
    n_x, n_h, n_y = 4, 6, 3
    params = _params_result(
        submission.initialize_parameters(n_x, n_h, n_y), "initialize_parameters"
    )
    W1 = _rows(expect_array(params["W1"], "W1"), (n_h, n_x), "W1", "(n_h, n_x)")
    expect_distinct_rows(W1, "W1", hint=_SYMMETRY_HINT)
    W2 = expect_array(params["W2"], "W2")
    expect_not_constant(W2, "W2", hint=_SYMMETRY_HINT)


# ---------------------------------------------------------------------------------------------
# forward_propagation

# One output unit (n_y = 1) throughout, as in the course: its notebooks of several years end
# forward_propagation with `assert(A2.shape == (1, X.shape[1]))`, so a correct course solution
# must not fail for an n_y the exercise never uses. initialize_parameters.shapes covers n_y > 1.
_FORWARD_SIZES = [(2, 4, 1, 7), (5, 3, 1, 13), (3, 6, 1, 9), (4, 2, 1, 1)]
_FORWARD_HINTS = {
    "Z1": hint(
        property="check the hidden layer's linear step: the product of W1 and X, then b1",
        formula="Z1 = np.dot(W1, X) + b1",
    ),
    "A1": hint(property="check the hidden layer's activation (tanh)", formula="A1 = np.tanh(Z1)"),
    "Z2": hint(
        property="check the output layer's linear step: it starts from A1, not X",
        formula="Z2 = np.dot(W2, A1) + b2",
    ),
    "A2": hint(
        property="check the output layer's activation (sigmoid)", formula="A2 = sigmoid(Z2)"
    ),
}


@check("forward_propagation", "shapes", points=5)
def forward_propagation_shapes(submission: Any, rng: np.random.Generator) -> None:
    """A2 is (n_y, m); the cache holds Z1, A1 (n_h, m) and Z2, A2 (n_y, m)."""
    for n_x, n_h, n_y, m in _FORWARD_SIZES:
        X = rng.normal(size=(n_x, m))
        A2, cache = _forward(submission, X, _random_parameters(rng, n_x, n_h, n_y))
        expect_shape(A2, (n_y, m), "A2", names="(n_y, m)")
        for key in CACHE:
            rows, names = (n_h, "(n_h, m)") if key.endswith("1") else (n_y, "(n_y, m)")
            value = expect_array(cache[key], f"cache['{key}']")
            expect_shape(value, (rows, m), f"cache['{key}']", names=names)


@check("forward_propagation", "values", points=10)
def forward_propagation_values(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """Z1, A1, Z2, A2 (in the cache) and the returned A2 match the reference."""
    for n_x, n_h, n_y, m in _FORWARD_SIZES:
        X = rng.normal(size=(n_x, m))
        params = _random_parameters(rng, n_x, n_h, n_y)
        A2, cache = _forward(submission, X, params)
        expected_A2, expected = reference.forward_propagation(X, params)
        for key in CACHE:
            what = f"cache['{key}']"
            value = expect_array(cache[key], what)
            value = expect_size(value, expected[key].shape, what, names=CACHE_SYMBOLS[key])
            expect_close(value, expected[key], what, hint=_FORWARD_HINTS[key])
        A2 = expect_size(A2, expected_A2.shape, "A2", names=CACHE_SYMBOLS["A2"])
        expect_close(A2, expected_A2, "A2", hint=_FORWARD_HINTS["A2"])


# ---------------------------------------------------------------------------------------------
# compute_cost


@check("compute_cost", "values", points=7)
def compute_cost_values(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """The cross-entropy cost, as a number, for several m (integer labels once)."""
    for m, integer_labels in [(7, False), (23, True), (1, False)]:
        A2 = rng.uniform(0.02, 0.98, (1, m))
        Y = _labels(rng, 1, m)
        if integer_labels:
            Y = Y.astype(np.int64)
        params = _random_parameters(rng, 2, 3, 1)
        cost = _cost(submission, A2, Y, params)
        expect_close(
            cost,
            reference.compute_cost(A2, Y),
            "the cost returned by compute_cost",
            hint=hint(
                property="check the cross-entropy: its sign, both log terms, and the average "
                "over all m examples",
                formula="cost = -(1/m) * sum(Y * log(A2) + (1 - Y) * log(1 - A2)), summed over "
                "all m",
            ),
        )


# ---------------------------------------------------------------------------------------------
# backward_propagation

_BACKWARD_SIZES = [(3, 5, 1, 8), (2, 4, 1, 6), (4, 3, 1, 1)]  # n_y = 1: see _FORWARD_SIZES
_BACKWARD_HINTS = {
    "dW2": hint(
        property="check the output layer's error dZ2 and the average over the m examples",
        formula="dW2 = np.dot(dZ2, A1.T) / m with dZ2 = A2 - Y",
    ),
    "db2": hint(
        property="check that it sums the output layer's error over the examples (one value "
        "per unit) and averages over m",
        formula="db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
    ),
    "dW1": hint(
        property="check the derivative of tanh and how the error flows back through W2",
        formula="dW1 = np.dot(dZ1, X.T) / m with dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
    ),
    "db1": hint(
        property="check that it sums the hidden layer's error over the examples (one value "
        "per unit) and averages over m",
        formula="db1 = np.sum(dZ1, axis=1, keepdims=True) / m",
    ),
}


def _backward_case(
    reference: Any, rng: np.random.Generator, sizes: tuple[int, int, int, int]
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray]:
    """Parameters, the reference's cache, X and Y: a forward bug cannot leak into backward."""
    n_x, n_h, n_y, m = sizes
    X, Y = rng.normal(size=(n_x, m)), _labels(rng, n_y, m)
    params = _random_parameters(rng, n_x, n_h, n_y)
    _, cache = reference.forward_propagation(X, params)
    return params, cache, X, Y


def _backward(submission: Any, params: Any, cache: Any, X: Any, Y: Any) -> Any:
    """Call the student's backward_propagation and check the keys of its result."""
    grads = submission.backward_propagation(params, cache, X, Y)
    return expect_keys(grads, GRADS, "the grads dictionary returned by backward_propagation")


@check("backward_propagation", "shapes", points=5)
def backward_propagation_shapes(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """Each gradient has the shape of its parameter; db1 and db2 are column vectors."""
    for sizes in _BACKWARD_SIZES:
        params, cache, X, Y = _backward_case(reference, rng, sizes)
        grads = _backward(submission, params, cache, X, Y)
        n_x, n_h, n_y, _ = sizes
        for key, (shape, names) in _shapes(n_x, n_h, n_y, prefix="d").items():
            value = expect_array(grads[key], key)
            expect_shape(value, shape, key, names=f"{names}, the shape of {key[1:]}")


@check("backward_propagation", "values", points=12)
def backward_propagation_values(
    submission: Any, reference: Any, rng: np.random.Generator
) -> None:
    """Gradients match the reference and a finite-difference gradient of the cost."""
    for sizes in _BACKWARD_SIZES:
        params, cache, X, Y = _backward_case(reference, rng, sizes)
        grads = _backward(submission, params, cache, X, Y)
        expected = reference.backward_propagation(params, cache, X, Y)
        numeric = _numeric_gradients(reference, params, X, Y)
        for key in ("dW2", "db2", "dW1", "db1"):
            value = expect_array(grads[key], key)
            value = expect_size(value, expected[key].shape, key, names=SYMBOLS[key[1:]])
            expect_close(value, expected[key], key, hint=_BACKWARD_HINTS[key])
            expect_close(
                value,
                numeric[key],
                f"{key} (compared with a finite-difference gradient of the cost)",
                rtol=1e-4,
                atol=1e-7,
                hint=_BACKWARD_HINTS[key],
            )


# ---------------------------------------------------------------------------------------------
# update_parameters


def _update_case(
    rng: np.random.Generator, n_x: int, n_h: int, n_y: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Random parameters and gradients of matching shapes."""
    params = _random_parameters(rng, n_x, n_h, n_y)
    grads = {"d" + k: rng.normal(0, 0.3, v.shape) for k, v in params.items()}
    return params, grads


def _compare_parameters(value: object, expected: dict[str, Any], call: str) -> None:
    """Every parameter in ``value`` matches ``expected``."""
    params = _params_result(value, call)
    for key in PARAMS:
        got = expect_array(params[key], key)
        got = expect_size(got, expected[key].shape, key, names=SYMBOLS[key])
        rule = hint(
            property=f"one step of gradient descent moves {key} against its gradient d{key}, "
            "scaled by the learning rate",
            formula=f"{key} = {key} - learning_rate * d{key}",
        )
        expect_close(got, expected[key], f"the updated {key}", hint=rule)


@check("update_parameters", "values", points=6)
def update_parameters_values(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """One gradient-descent step with the learning rate passed in."""
    if not submission.signature("update_parameters").accepts(3):
        raise CheckFailed("update_parameters should take (parameters, grads, learning_rate=1.2)")
    for (n_x, n_h, n_y), rate in [((3, 5, 1), 0.5), ((2, 4, 2), 0.05)]:
        params, grads = _update_case(rng, n_x, n_h, n_y)
        value = submission.update_parameters(params, grads, rate)
        expected = reference.update_parameters(params, grads, rate)
        call = _call(
            f"update_parameters(..., learning_rate={rate})",
            "update_parameters(parameters, grads, learning_rate)",
        )
        _compare_parameters(value, expected, call)


@check("update_parameters", "default_learning_rate", points=2)
def update_parameters_default_learning_rate(
    submission: Any, reference: Any, rng: np.random.Generator
) -> None:
    """Called without a learning rate, the step uses the default 1.2."""
    if not submission.signature("update_parameters").accepts(2):
        raise CheckFailed(
            "update_parameters(parameters, grads) should work: give learning_rate a default, "
            "def update_parameters(parameters, grads, learning_rate=1.2)"
        )
    params, grads = _update_case(rng, 3, 4, 1)
    value = submission.update_parameters(params, grads)
    try:
        _compare_parameters(value, reference.update_parameters(params, grads), "update_parameters")
    except CheckFailed as exc:
        note = " (the default learning_rate should be 1.2)"
        public = None if exc.public is None else exc.public + note
        formula = None if exc.public_formula is None else exc.public_formula + note
        raise CheckFailed(f"{exc}{note}", public=public, public_formula=formula) from None


# ---------------------------------------------------------------------------------------------
# nn_model


@check("nn_model", "shapes", points=3)
def nn_model_shapes(submission: Any, rng: np.random.Generator) -> None:
    """The returned parameters have the shapes of an (n_x, n_h, n_y) network, n_h as passed."""
    n_x, n_h, m = 3, 5, 30
    X, Y = rng.normal(size=(n_x, m)), np.repeat([[0.0, 1.0]], m // 2, axis=0).reshape(1, m)
    call = _call(f"nn_model(X, Y, {n_h}, 10)", "nn_model(X, Y, n_h, num_iterations)")
    params = _params_result(submission.nn_model(X, Y, n_h, 10, False), call)
    for key, (shape, names) in _shapes(n_x, n_h, 1).items():
        what = call.within(f"{key} from {{}}")
        value = expect_array(params[key], what)
        expect_shape(
            value,
            shape,
            what,
            names=names,
            hint="build the hidden layer with the n_h passed to nn_model (not layer_sizes's 4) "
            "and take n_x and n_y from layer_sizes(X, Y)",
        )
        expect_finite(value, what)


@check("nn_model", "trains", points=10)
def nn_model_trains(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """150 iterations on two separable clusters: >= 95% accuracy and a cost below 0.1.

    Accuracy and cost are measured with the reference's predict and forward pass on the
    returned parameters. Any correct implementation gets there from any N(0, 0.01^2) start:
    the reference, re-run (batched, same arithmetic) on 200,000 random data sets and
    initialisations, was at 100% accuracy from iteration 24 at the latest and stayed there;
    starting weights of scale 1e-12 (a correct start that small has probability far below
    1e-9) to 0.1 reached 100% by iteration 55. After 150 iterations the cost was at most
    0.0085 over 2,500 data sets with starts of scale 1e-6, 0.01 and 0.1, and at most 0.0078
    over 800 with scale 1e-12: a margin of over 10x to the 0.1 threshold. (300 iterations
    gave <= 0.0043 but cost every graded submission ~8 ms more.) An untrained network gets at
    most about 87%, so a loop that never updates fails.
    """
    X, Y = _two_blobs(rng, 40)
    call = _call("nn_model(X, Y, 4, 150)", "nn_model(X, Y, n_h, num_iterations)")
    params = _params_result(submission.nn_model(X, Y, 4, 150, False), call)
    for key, (shape, names) in _shapes(2, 4, 1).items():
        value = expect_array(params[key], key)
        expect_shape(value, shape, call.within(f"{key} from {{}}"), names=names)
        expect_finite(value, f"{key} from nn_model")
    predictions = np.asarray(reference.predict(params, X), dtype=np.float64)
    accuracy = float(np.mean(predictions == Y))
    with np.errstate(all="ignore"):
        A2, _ = reference.forward_propagation(X, params)
        cost = float(reference.compute_cost(A2, Y))
    if accuracy < 0.95 or not cost < 0.1:
        advice = (
            "check that each iteration calls forward_propagation, compute_cost, "
            "backward_propagation and update_parameters, and that nn_model returns the updated "
            "parameters"
        )
        raise CheckFailed(
            f"after 150 iterations on an easy, separable data set, the parameters returned by "
            f"nn_model classify {accuracy:.0%} of the training points correctly and have a cost "
            f"of {cost:.3g}; a correct model classifies all of them and its cost is close to 0: "
            f"{advice}",
            public="after training on an easy, separable data set, the parameters returned by "
            f"{call.public} do not classify the training points correctly: a correct model "
            f"classifies all of them and its cost is close to 0: {advice}",
        )


# ---------------------------------------------------------------------------------------------
# predict


_PREDICT_HINT = hint(
    property="predict 1 where the output probability is above 0.5, 0 elsewhere",
    formula="use predictions = (A2 > 0.5)",
)


@check("predict", "values", points=7)
def predict_values(submission: Any, reference: Any, rng: np.random.Generator) -> None:
    """Predictions are a (1, m) array of 0/1 equal to A2 > 0.5 (bool, int or float)."""
    for n_x, n_h, m in [(2, 4, 200), (5, 3, 150)]:
        X = rng.normal(size=(n_x, m))
        params = _random_parameters(rng, n_x, n_h, 1)
        params["b1"] = rng.normal(0, 1.0, (n_h, 1))
        # Centre the output so that about half the predictions are 1: many examples sit near
        # the threshold, where any error in the forward pass changes a prediction.
        _, cache = reference.forward_propagation(X, params)
        params["b2"] = params["b2"] - np.median(cache["Z2"])
        predictions = expect_array(submission.predict(params, X), "the predictions")
        expect_shape(predictions, (1, m), "the predictions", names="(1, m)")
        expect_binary(predictions, "the predictions", hint=_PREDICT_HINT)
        expected = np.asarray(reference.predict(params, X), dtype=np.float64)
        wrong = int(np.count_nonzero(predictions.astype(np.float64) != expected))
        if wrong:
            advice = "run forward_propagation and predict 1 where A2 > 0.5, 0 elsewhere"
            raise CheckFailed(
                f"predict returned the wrong class for {wrong} of {m} examples: {advice}",
                public=f"predict returned the wrong class for some examples: {advice}",
            )
