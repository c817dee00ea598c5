"""Hidden checks for "Initialising a deep neural network".

The three functions take ``layer_dims`` (the layer sizes, the input layer first) and return
``W1, b1, ..., W{L-1}, b{L-1}``. The checks test properties every correct solution has, whatever
its style (randn, standard_normal or ``default_rng().normal``; a seed inside the function or
not; helpers in other cells; extra keys that are not layer parameters), never the numbers of one
seed. Arguments are passed positionally, as a list. Messages say what is wrong and what to do;
what a student sees names the call and the shapes in symbols (``initialize_parameters_he(
layer_dims)``, ``(layer_dims[1], layer_dims[0])``), never the hidden layer sizes, their number
or a scale computed from them. The instructor's message keeps the numbers.

Statistical tolerances (the ``scale`` checks), with ``grader.expect.expect_normal``'s windows:
the standard deviation within 10%, the mean within 0.05 std, the kurtosis within 0.5 of 3, on
arrays of n >= 20,000 entries. For a correct N(0, std^2) sample, in standard errors (z):

- std: s / std has standard error 1 / sqrt(2n) <= 0.0050, so z >= 20, P ~ 1e-88;
- mean: standard error std / sqrt(n), so z >= 0.05 * sqrt(20000) = 7.07, P = 1.5e-12;
- kurtosis: standard error sqrt(24 / n) <= 0.035, so z >= 14.4 (P ~ 1e-46 in the normal
  approximation; its heavier right tail needs a draw beyond 10 std, P ~ 3e-19).

So each array fails with P < 2e-12. ``initialize_parameters_deep.scale`` tests 3 arrays and
``initialize_parameters_he.scale`` 4, so a correct submission loses points with P < 1.4e-11 in
all, far below 1e-9. The other checks are exact (shapes, zeros) or fail only if two rows of
independent continuous draws are bitwise equal (P < 1e-15). Student code is seeded by the
grader, so the verdict for a given submission is the same on every run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.expect import (
    Name,
    describe,
    expect_array,
    expect_distinct_rows,
    expect_keys,
    expect_normal_scale,
    expect_not_constant,
    expect_shape,
    expect_size,
    expect_zeros,
)
from grader.testing import CheckFailed, check, hint

DEEP = "initialize_parameters_deep"
HE = "initialize_parameters_he"
ZEROS = "initialize_parameters_zeros"

# Depths 2 (one layer of parameters) to 6, square and non-square layers, single units.
SHAPE_DIMS = [[5, 4, 3], [3, 1], [4, 9], [4, 9, 2], [7, 5, 4, 6, 3, 1], [2, 3, 5, 8, 13, 1]]
BIAS_DIMS = [6, 11, 4, 7, 3, 2]
SYMMETRY_DIMS = [4, 6, 5, 3, 2, 1]
# Every weight matrix of the scale checks has >= MIN_NORMAL_SAMPLES (20,000) entries.
DEEP_SCALE_DIMS = [250, 120, 300, 80]  # 30,000, 36,000 and 24,000 weights
# He: adjacent sizes differ by a factor >= 2.5, so sqrt(2 / layer_dims[l]) (this layer instead
# of the previous one) is >= 37% off. In every layer the right scale and the mistakes named in
# _he_mistakes are pairwise >= 25% apart (test_deep_checks checks this): a mistaken sample's
# standard deviation, within 1 / sqrt(2n) <= 0.5% per standard error of the mistaken value,
# is >= 20% from the right one (>= 20 standard errors outside the 10% window) and within
# 10% of exactly one named mistake, so it fails and is named unambiguously.
HE_SCALE_DIMS = [100, 400, 150, 600, 100]  # 40,000, 60,000, 90,000 and 60,000 weights

SYMMETRY_HINT = hint(
    property="units of a layer that start with the same incoming weights compute the same "
    "function and receive the same gradient at every step, so they never become different and "
    "the layer behaves like a single unit; draw the weights at random",
    formula="np.random.randn(...) * scale",
)
_DRAW = "np.random.randn(layer_dims[l], layer_dims[l - 1])"


# ---------------------------------------------------------------------------------------------
# Helpers (trusted code: they run in the grader, never in the sandbox)


def _keys(layers: int) -> list[str]:
    """W1, b1, ..., W{L-1}, b{L-1} for a network with ``layers`` = len(layer_dims)."""
    return [f"{kind}{layer}" for layer in range(1, layers) for kind in "Wb"]


def _parameters(submission: Any, function: str, layer_dims: list[int]) -> Mapping[str, Any]:
    """Call ``function(layer_dims)``; its result must hold every layer's W and b."""
    value = getattr(submission, function)(list(layer_dims))
    what = _call(function, layer_dims).within("the dictionary returned by {}")
    keys = _keys(len(layer_dims))
    advice = _layers_advice(len(layer_dims))
    if isinstance(value, Mapping) and not any(key in value for key in keys):
        store = (
            "holds none of the layers' parameters: store them in the loop, "
            "parameters['W' + str(l)] = ... and parameters['b' + str(l)] = ..."
        )
        raise CheckFailed(
            f"{what} {store}; {advice}", public=f"{what.public} {store}; {advice.public}"
        )
    try:
        return expect_keys(value, keys, what)
    except CheckFailed as exc:
        # The keys expected, or missing, would tell the number of layers, a hidden input.
        if not isinstance(value, Mapping):
            got = describe(value, shape=False)
            public = f"{what.public} should be a dict, got {got}; {advice.public}"
            raise CheckFailed(str(exc), public=public) from None
        public = f"{what.public} is missing some layers' parameters; {advice.public}"
        raise CheckFailed(f"{exc}; {advice}", public=public) from None


def _layers_advice(layers: int) -> Name:
    """Which keys a network with ``layers`` = len(layer_dims) has, and how to loop over them."""
    keys = "W1, b1" if layers == 2 else f"W1, b1, ..., W{layers - 1}, b{layers - 1}"
    loop = "loop with for l in range(1, L), L = len(layer_dims)"
    return Name(
        f"layer_dims has {layers} entries, the input layer included, so the parameters are "
        f"{keys}: {loop}",
        public="layer_dims has L entries, the input layer included, so the parameters are "
        f"W1, b1, ..., W(L-1), b(L-1): {loop}",
    )


def _call(function: str, layer_dims: list[int]) -> Name:
    """How the call looks in a message: ``initialize_parameters_he([2, 4, 1])`` for the
    instructor, ``initialize_parameters_he(layer_dims)`` for the student."""
    return Name(f"{function}({layer_dims})", public=f"{function}(layer_dims)")


def _shape_names(layer: int) -> tuple[str, str]:
    """The shapes of W{layer} and b{layer} in symbols."""
    return f"(layer_dims[{layer}], layer_dims[{layer - 1}])", f"(layer_dims[{layer}], 1)"


def _weights(
    submission: Any, function: str, layer_dims: list[int], *, as_returned: bool = False
) -> list[tuple[int, str, np.ndarray]]:
    """``(l, name, W{l})`` for every layer, each W reshaped to its shape (shapes are checked
    by the ``shapes`` check, so a transposed matrix is not punished twice). ``as_returned``:
    a W with another number of entries is kept as it is when it is a matrix of two rows or
    more (for checks of the rows themselves)."""
    params = _parameters(submission, function, layer_dims)
    call = _call(function, layer_dims)
    weights = []
    for layer in range(1, len(layer_dims)):
        what = call.within(f"W{layer} from {{}}")
        shape = (layer_dims[layer], layer_dims[layer - 1])
        W = expect_array(params[f"W{layer}"], what)
        if not (as_returned and W.size != np.prod(shape) and W.ndim == 2 and W.shape[0] >= 2):
            W = expect_size(W, shape, what, names=_shape_names(layer)[0])
        weights.append((layer, what, W))
    return weights


def _check_shapes(submission: Any, function: str) -> None:
    """Exactly the keys W1, b1, ..., and each W and b of the right shape, for several depths."""
    for layer_dims in SHAPE_DIMS:
        call = _call(function, layer_dims)
        params = _parameters(submission, function, layer_dims)
        layers = len(layer_dims)
        extra = sorted(
            key for key in params if re.fullmatch(r"[Wb]\d+", str(key)) and key not in _keys(layers)
        )
        if extra:
            advice = _layers_advice(layers)
            raise CheckFailed(
                f"the dictionary returned by {call} has the key(s) {', '.join(map(repr, extra))}"
                f"; {advice}",
                # The student's code chose the keys' names: a hidden check does not echo them.
                public=f"the dictionary returned by {call.public} has keys for layers that do "
                f"not exist; {advice.public}",
            )
        for layer in range(1, layers):
            w_names, b_names = _shape_names(layer)
            for key, shape, names in (
                (f"W{layer}", (layer_dims[layer], layer_dims[layer - 1]), w_names),
                (f"b{layer}", (layer_dims[layer], 1), b_names),
            ):
                what = call.within(f"{key} from {{}}")
                expect_shape(expect_array(params[key], what), shape, what, names=names)


def _check_zero_biases(submission: Any, function: str) -> None:
    """Every bias of a six-layer network is exactly zero."""
    params = _parameters(submission, function, BIAS_DIMS)
    call = _call(function, BIAS_DIMS)
    for layer in range(1, len(BIAS_DIMS)):
        what = call.within(f"b{layer} from {{}}")
        b = expect_array(params[f"b{layer}"], what)
        b = expect_size(b, (BIAS_DIMS[layer], 1), what, names=_shape_names(layer)[1])
        advice = hint(
            property="initialise the biases with zeros, a (layer_dims[l], 1) column",
            formula="np.zeros((layer_dims[l], 1))",
        )
        expect_zeros(b, what, hint=advice)


def _check_symmetry_breaking(submission: Any, function: str) -> None:
    """In every layer no two units have the same incoming weights, and no W is constant.

    Judged on the rows returned: a W of the wrong shape (hard-coded sizes, say) that is a
    matrix of at least two rows is judged as it is, since its shape is the shapes check's.
    """
    for _, what, W in _weights(submission, function, SYMMETRY_DIMS, as_returned=True):
        expect_not_constant(W, what, hint=SYMMETRY_HINT)
        expect_distinct_rows(W, what, hint=SYMMETRY_HINT)


# ---------------------------------------------------------------------------------------------
# initialize_parameters_deep


@check(DEEP, "shapes", points=8)
def initialize_parameters_deep_shapes(submission: Any) -> None:
    """W{l} (layer_dims[l], layer_dims[l-1]) and b{l} (layer_dims[l], 1), for l = 1..L-1."""
    _check_shapes(submission, DEEP)


@check(DEEP, "zero_biases", points=4)
def initialize_parameters_deep_zero_biases(submission: Any) -> None:
    """Every bias is zero."""
    _check_zero_biases(submission, DEEP)


@check(DEEP, "scale", points=14)
def initialize_parameters_deep_scale(submission: Any) -> None:
    """Every layer's weights look like N(0, 0.01^2) (see the module docstring for the odds)."""
    for layer, what, W in _weights(submission, DEEP, DEEP_SCALE_DIMS):
        expect_normal_scale(
            W,
            what,
            std=0.01,
            mistakes=[
                (1.0, "did you forget to multiply by 0.01?"),
                (0.1, "that is 0.1: multiply by 0.01"),
            ],
            hint=hint(
                property=f"draw W{layer} from a standard normal distribution (normal, not "
                "uniform), scaled by 0.01",
                formula=f"{_DRAW} * 0.01",
            ),
        )


@check(DEEP, "symmetry_breaking", points=6)
def initialize_parameters_deep_symmetry_breaking(submission: Any) -> None:
    """The weights are random: no two units of a layer start the same."""
    _check_symmetry_breaking(submission, DEEP)


# ---------------------------------------------------------------------------------------------
# initialize_parameters_he

_HE_RULE = "np.sqrt(2 / layer_dims[l - 1])"


def _he_mistakes(layer_dims: list[int], layer: int) -> list[tuple[float, str]]:
    """The standard deviation each common He mistake gives W{layer}, and what to say."""
    previous, this = layer_dims[layer - 1], layer_dims[layer]
    return [
        (
            math.sqrt(2 / this),
            f"that is sqrt(2 / layer_dims[{layer}]), the size of this layer: scale by "
            f"{_HE_RULE}, the size of the previous layer",
        ),
        (
            2 / previous,
            f"that is 2 / layer_dims[{layer - 1}]: did you forget the square root? "
            f"Multiply by {_HE_RULE}",
        ),
        (
            2 / this,
            f"that is 2 / layer_dims[{layer}]: did you forget the square root? And use the "
            f"size of the previous layer: multiply by {_HE_RULE}",
        ),
        (
            math.sqrt(1 / previous),
            f"that is sqrt(1 / layer_dims[{layer - 1}]) (Xavier initialisation): He "
            f"initialisation has a 2 there, multiply by {_HE_RULE}",
        ),
        (
            0.01,
            f"that is the 0.01 of initialize_parameters_deep: He initialisation multiplies by "
            f"{_HE_RULE} instead",
        ),
        (1.0, f"did you forget to multiply by {_HE_RULE}?"),
    ]


@check(HE, "shapes", points=8)
def initialize_parameters_he_shapes(submission: Any) -> None:
    """W{l} (layer_dims[l], layer_dims[l-1]) and b{l} (layer_dims[l], 1), for l = 1..L-1."""
    _check_shapes(submission, HE)


@check(HE, "zero_biases", points=4)
def initialize_parameters_he_zero_biases(submission: Any) -> None:
    """Every bias is zero."""
    _check_zero_biases(submission, HE)


@check(HE, "scale", points=24)
def initialize_parameters_he_scale(submission: Any) -> None:
    """Each W{l} looks like N(0, 2 / layer_dims[l-1]); common mistakes are named.

    See the module docstring for the odds, and HE_SCALE_DIMS for why the mistakes are told
    apart.
    """
    for layer, what, W in _weights(submission, HE, HE_SCALE_DIMS):
        expect_normal_scale(
            W,
            what,
            std=math.sqrt(2 / HE_SCALE_DIMS[layer - 1]),
            expected=f"sqrt(2 / layer_dims[{layer - 1}])",
            mistakes=_he_mistakes(HE_SCALE_DIMS, layer),
            hint=hint(
                property=f"draw W{layer} from a standard normal distribution (normal, not "
                "uniform), scaled by the He factor of the previous layer's size",
                formula=f"{_DRAW} * {_HE_RULE}",
            ),
        )


@check(HE, "symmetry_breaking", points=6)
def initialize_parameters_he_symmetry_breaking(submission: Any) -> None:
    """The weights are random: no two units of a layer start the same."""
    _check_symmetry_breaking(submission, HE)


# ---------------------------------------------------------------------------------------------
# initialize_parameters_zeros


_W_ZEROS = "(layer_dims[l], layer_dims[l - 1])"


@check(ZEROS, "shapes", points=8)
def initialize_parameters_zeros_shapes(submission: Any) -> None:
    """W{l} (layer_dims[l], layer_dims[l-1]) and b{l} (layer_dims[l], 1), for l = 1..L-1."""
    _check_shapes(submission, ZEROS)


@check(ZEROS, "values", points=12)
def initialize_parameters_zeros_values(submission: Any) -> None:
    """Every weight and every bias is exactly zero."""
    params = _parameters(submission, ZEROS, BIAS_DIMS)
    call = _call(ZEROS, BIAS_DIMS)
    for layer in range(1, len(BIAS_DIMS)):
        w_names, b_names = _shape_names(layer)
        for key, shape, names, rule in (
            (f"W{layer}", (BIAS_DIMS[layer], BIAS_DIMS[layer - 1]), w_names, _W_ZEROS),
            (f"b{layer}", (BIAS_DIMS[layer], 1), b_names, "(layer_dims[l], 1)"),
        ):
            what = call.within(f"{key} from {{}}")
            value = expect_size(expect_array(params[key], what), shape, what, names=names)
            advice = hint(property=f"use zeros of shape {rule}", formula=f"np.zeros({rule})")
            expect_zeros(value, what, hint=advice)
