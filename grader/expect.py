"""Assertion helpers for check authors: each raises ``CheckFailed`` with an actionable message.

A message says what is wrong with the *student's* value (its type, its shape, how many entries
differ and by how much, its statistics) and what to do about it, and never prints expected
values, so the helpers are safe to use in hidden checks. Shapes may be shown: they are part of
every exercise's specification. ``what`` names the value as the student knows it (``"W1"``,
``"the cost returned by compute_cost"``); ``hint`` adds advice specific to the exercise::

    params = expect_keys(submission.initialize_parameters(3, 5, 2), ["W1", "b1"], "parameters")
    W1 = expect_array(params["W1"], "W1")
    expect_shape(W1, (5, 3), "W1", names="(n_h, n_x)")
    expect_close(W1, expected, "W1", hint="W1 = W1 - learning_rate * dW1")
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from grader.testing import CheckFailed

__all__ = [
    "MIN_NORMAL_SAMPLES",
    "describe",
    "expect_array",
    "expect_binary",
    "expect_close",
    "expect_distinct_rows",
    "expect_finite",
    "expect_int",
    "expect_keys",
    "expect_normal",
    "expect_normal_scale",
    "expect_not_constant",
    "expect_number",
    "expect_sequence",
    "expect_shape",
    "expect_size",
    "expect_zeros",
]

Array = npt.NDArray[Any]

# Tolerance floors by dtype: a value computed in float32 (or float16) cannot match a float64
# reference to 1e-8, and rejecting it for that would punish a legitimate choice.
_FLOORS = {np.dtype(np.float32): (1e-4, 1e-6), np.dtype(np.float16): (1e-2, 1e-3)}


def _fail(message: str, hint: str = "") -> CheckFailed:
    """A CheckFailed whose message is ``message``, followed by ``hint`` when there is one."""
    return CheckFailed(f"{message}: {hint}" if hint else message)


def describe(value: object) -> str:
    """How to name a value's type in a message: ``None``, ``list``, ``numpy array of shape (2,)``.

    Args:
        value: any value a student function returned.

    Returns:
        A short description without the value's contents.
    """
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    return type(value).__name__


def expect_array(value: object, what: str, *, hint: str = "") -> Array:
    """``value`` as a numeric numpy array (bool, int or float dtype).

    Args:
        value: the student's value.
        what: its name for the message, e.g. ``"W1"``.
        hint: advice appended to the message.

    Returns:
        ``value``, unchanged.

    Raises:
        CheckFailed: ``value`` is not an ndarray, or holds something other than numbers.
    """
    if not isinstance(value, np.ndarray):
        raise _fail(f"{what} should be a numpy array, got {describe(value)}", hint)
    if value.dtype.kind not in "biuf":
        raise _fail(f"{what} should hold numbers, got a numpy array of dtype {value.dtype}", hint)
    return value


def expect_shape(
    arr: Array, shape: Sequence[int], what: str, *, names: str = "", hint: str = ""
) -> None:
    """Fail unless ``arr.shape`` is exactly ``shape``.

    Args:
        arr: the student's array.
        shape: the required shape.
        what: the array's name for the message.
        names: the shape in symbols, e.g. ``"(n_h, n_x)"``, shown after the numbers.
        hint: advice appended to the message (replaces the generic one).

    Raises:
        CheckFailed: the shapes differ; the message points out a transposed array or a missing
            dimension when that is what happened.
    """
    expected = tuple(shape)
    if arr.shape == expected:
        return
    message = f"{what} has shape {arr.shape}, expected {expected}"
    if names:
        message += f" = {names}"
    if not hint:
        hint = _shape_advice(arr, expected)
    raise _fail(message, hint)


def _shape_advice(arr: Array, expected: tuple[int, ...]) -> str:
    """Generic advice for two common shape mistakes, or an empty string."""
    if arr.ndim == len(expected) and arr.shape == expected[::-1]:
        return "it looks transposed, check the order of the dimensions"
    if arr.size == math.prod(expected) and arr.ndim < len(expected):
        return (
            "it has the right number of entries but too few dimensions; keep the column "
            "dimension, e.g. np.zeros((n, 1)) or np.sum(..., axis=1, keepdims=True)"
        )
    return ""


def expect_size(
    arr: Array, shape: Sequence[int], what: str, *, names: str = "", hint: str = ""
) -> Array:
    """``arr`` reshaped to ``shape``, for checks that test values, not shapes.

    A value check that uses this loses no points for a shape mistake that a separate shape
    check already reports, as long as the number of entries is right.

    Args:
        arr: the student's array.
        shape: the shape to compare in.
        what: the array's name for the message.
        names: the shape in symbols, e.g. ``"(n_h, 1)"``.
        hint: advice appended when the number of entries is wrong.

    Returns:
        A reshaped view of ``arr``.

    Raises:
        CheckFailed: ``arr`` does not have ``prod(shape)`` entries.
    """
    if arr.size != math.prod(shape):
        expect_shape(arr, shape, what, names=names, hint=hint)
    return arr.reshape(tuple(shape))


def expect_keys(value: object, keys: Iterable[str], what: str) -> Mapping[str, Any]:
    """``value`` as a dict holding every key of ``keys`` (extra keys are fine).

    Args:
        value: the student's value.
        keys: the keys it must hold.
        what: its name for the message, e.g. ``"the parameters dictionary"``.

    Returns:
        ``value``, unchanged.

    Raises:
        CheckFailed: ``value`` is not a dict, or lacks some of ``keys``.
    """
    wanted = list(keys)
    if not isinstance(value, Mapping):
        raise CheckFailed(
            f"{what} should be a dict with keys {', '.join(wanted)}, got {describe(value)}"
        )
    missing = [k for k in wanted if k not in value]
    if missing:
        raise CheckFailed(
            f"{what} is missing the key(s) {', '.join(map(repr, missing))}: it should hold "
            f"{', '.join(map(repr, wanted))} (the names are case-sensitive)"
        )
    return value


def expect_sequence(value: object, length: int, what: str, *, names: str = "") -> tuple[Any, ...]:
    """``value`` as a tuple of ``length`` items (a list is accepted too).

    Args:
        value: the student's value.
        length: the number of items required.
        what: its name, e.g. ``"the result of forward_propagation"``.
        names: the items in symbols, e.g. ``"(A2, cache)"``.

    Returns:
        The items as a tuple.

    Raises:
        CheckFailed: ``value`` is not a tuple or list of ``length`` items.
    """
    form = f"a tuple {names}" if names else f"a tuple of {length} values"
    if not isinstance(value, (tuple, list)):
        raise CheckFailed(f"{what} should be {form}, got {describe(value)}")
    if len(value) != length:
        raise CheckFailed(f"{what} should be {form}, got {len(value)} value(s)")
    return tuple(value)


def expect_int(value: object, what: str) -> int:
    """``value`` as an int (numpy integers are accepted; bools and floats are not).

    Raises:
        CheckFailed: ``value`` is not an integer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise CheckFailed(f"{what} should be an integer, got {describe(value)}")
    return int(value)


def expect_number(value: object, what: str, *, hint: str = "") -> float:
    """``value`` as a float: a Python or numpy number, or a 0-d array.

    Args:
        value: the student's value.
        what: its name for the message.
        hint: advice appended when ``value`` is an array with dimensions (e.g. a (1, 1) array).

    Returns:
        ``float(value)``.

    Raises:
        CheckFailed: ``value`` is not a single real number.
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and value.dtype.kind in "iuf":
            return float(value)
        raise _fail(f"{what} should be a single number, got {describe(value)}", hint)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise _fail(f"{what} should be a single number, got {describe(value)}", hint)
    return float(value)


def expect_finite(arr: Array | float, what: str, *, hint: str = "") -> None:
    """Fail if ``arr`` holds NaN or infinite values.

    Raises:
        CheckFailed: some entries are NaN or infinite (the message counts them).
    """
    values = np.asarray(arr)
    if values.dtype.kind != "f":
        return
    nan = int(np.count_nonzero(np.isnan(values)))
    inf = int(np.count_nonzero(np.isinf(values)))
    if nan or inf:
        hint = hint or "look for a division by zero, a log of 0 or an overflow"
        where = f" out of {values.size} entries" if values.ndim else ""
        raise _fail(f"{what} contains {nan} NaN and {inf} infinite value(s){where}", hint)


def expect_close(
    actual: Array | float,
    expected: Array | float,
    what: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Fail unless ``actual`` matches ``expected`` entry by entry within the tolerances.

    The test is ``|actual - expected| <= atol + rtol * |expected|`` (numpy.isclose). When
    ``actual`` is float32 or float16 the tolerances are raised to what that precision allows.
    The message counts the differing entries and gives the largest difference (for arrays),
    never the expected values.

    Args:
        actual: the student's value (call :func:`expect_array`/:func:`expect_shape` first).
        expected: the correct value, same shape.
        what: the value's name for the message.
        rtol: relative tolerance.
        atol: absolute tolerance.
        hint: advice appended to the message.

    Raises:
        CheckFailed: shapes differ, ``actual`` is not finite, or some entries differ.
    """
    a = np.asarray(actual)
    e = np.asarray(expected, dtype=np.float64)
    rtol_floor, atol_floor = _FLOORS.get(a.dtype, (0.0, 0.0))
    rtol, atol = max(rtol, rtol_floor), max(atol, atol_floor)
    if a.shape != e.shape:
        expect_shape(a, e.shape, what)
    expect_finite(a, what, hint=hint)
    a = a.astype(np.float64)
    bad = ~np.isclose(a, e, rtol=rtol, atol=atol)
    if not bad.any():
        return
    if a.ndim == 0:
        raise _fail(f"{what} differs from the correct value", hint)
    largest = float(np.max(np.abs(a - e)))
    raise _fail(
        f"{what} differs from the correct value at {int(bad.sum())} of {a.size} entries "
        f"(largest difference {largest:.3g})",
        hint,
    )


def expect_zeros(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail unless every entry of ``arr`` is exactly zero.

    Raises:
        CheckFailed: some entries are not zero (the message counts them).
    """
    nonzero = int(np.count_nonzero(arr))
    if nonzero:
        raise _fail(
            f"{what} should be all zeros, but {nonzero} of {arr.size} entries are not", hint
        )


def expect_binary(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail unless every entry of ``arr`` is 0 or 1 (bool, int or float dtype).

    Raises:
        CheckFailed: some entries are neither 0 nor 1.
    """
    other = int(np.count_nonzero((arr != 0) & (arr != 1)))
    if other:
        raise _fail(
            f"{what} should hold only 0 and 1, but {other} of {arr.size} entries are other values",
            hint,
        )


def expect_not_constant(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail if every entry of ``arr`` (with at least two entries) is the same.

    Raises:
        CheckFailed: ``arr`` is constant.
    """
    if arr.size > 1 and np.all(arr == arr.flat[0]):
        raise _fail(f"every entry of {what} is the same", hint)


def expect_distinct_rows(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail if two rows of the 2-D array ``arr`` are identical.

    Raises:
        CheckFailed: names the first pair of identical rows.
    """
    seen: dict[bytes, int] = {}
    rows = np.ascontiguousarray(arr, dtype=np.float64)
    for index, row in enumerate(rows):
        first = seen.setdefault(row.tobytes(), index)
        if first != index:
            raise _fail(f"rows {first} and {index} of {what} are identical", hint)


# expect_normal's tolerances, and why a correct N(mean, std^2) sample of n >= MIN_NORMAL_SAMPLES
# entries fails them with probability far below 1e-9 (z = tolerance / standard error):
# - mean within 0.05 std: the sample mean has standard error std / sqrt(n), so
#   z >= 0.05 * sqrt(20000) = 7.07 and P(|Z| > 7.07) = 1.5e-12.
# - standard deviation within 10%: s / std has standard error 1 / sqrt(2n) <= 0.005, so
#   z >= 20 and P ~ 1e-88.
# - kurtosis within 0.5 of 3: the sample kurtosis has standard error sqrt(24 / n) <= 0.035,
#   so z >= 14.4 (P ~ 1e-46 in the normal approximation). Its right tail is heavier than
#   normal, but raising the fourth moment of 20000 draws by 0.5 std^4 takes about one draw
#   beyond 10 std (P ~ 20000 * 1.5e-23 = 3e-19) or thousands of moderate excesses.
# Together: below 2e-12 per array. A uniform sample has kurtosis 1.8 and fails.
MIN_NORMAL_SAMPLES = 20_000
_MEAN_TOL = 0.05  # in units of std
_STD_RTOL = 0.10
_KURTOSIS_TOL = 0.5


def expect_normal(arr: Array, what: str, *, std: float, mean: float = 0.0, hint: str = "") -> None:
    """Fail unless the entries of ``arr`` look like independent draws from N(mean, std^2).

    Checks, in this order, that the entries are not all equal, their standard deviation
    (within 10%), their mean (within 0.05 std) and their kurtosis (within 0.5 of 3, which
    rejects uniform draws scaled to the right spread). The tolerances are sized so that a
    correct sample fails with probability below 1e-11 (see the comment above the constants).

    Args:
        arr: the student's array, with at least :data:`MIN_NORMAL_SAMPLES` entries.
        what: its name for the message.
        std: the required standard deviation (shown in the message as "about ...").
        mean: the required mean.
        hint: advice appended to the message, e.g. how to draw the values.

    Raises:
        CheckFailed: a statistic is out of range.
        ValueError: ``arr`` is too small for the tolerances to be safe (a check-authoring bug).
    """
    if arr.size < MIN_NORMAL_SAMPLES:
        raise ValueError(f"expect_normal needs >= {MIN_NORMAL_SAMPLES} entries, got {arr.size}")
    values = np.asarray(arr, dtype=np.float64).ravel()
    expect_finite(values, what, hint=hint)
    if np.all(values == values[0]):
        raise _fail(f"{what} is constant (every entry is {values[0]:.3g})", hint)
    centred = values - values.mean()
    s = float(np.sqrt(np.mean(centred**2)))
    if abs(s / std - 1) > _STD_RTOL:
        raise _fail(f"{what} has standard deviation {s:.3g}, expected about {std:.3g}", hint)
    m = float(values.mean())
    if abs(m - mean) > _MEAN_TOL * std:
        raise _fail(f"{what} has mean {m:.3g}, expected about {mean:.3g}", hint)
    kurtosis = float(np.mean(centred**4) / s**4)
    if abs(kurtosis - 3) > _KURTOSIS_TOL:
        raise _fail(
            f"the values of {what} do not look normally distributed (kurtosis {kurtosis:.2f}; "
            "a normal distribution has 3, a uniform one 1.8)",
            hint,
        )


# A known mistake must put the standard deviation at least this far (relative) from the right
# one: a mistaken sample's s lies within a few 1 / sqrt(2n) <= 0.5% of the mistaken value, so
# it is outside expect_normal's 10% window by >= 9 standard errors, and a correct sample (well
# inside the window) can never be mistaken for it.
_MISTAKE_SEPARATION = 2 * _STD_RTOL


def expect_normal_scale(
    arr: Array,
    what: str,
    *,
    std: float,
    mistakes: Sequence[tuple[float, str]] = (),
    expected: str = "",
    mean: float = 0.0,
    hint: str = "",
) -> None:
    """Like :func:`expect_normal`, and a wrong spread that a known mistake explains is named.

    When the standard deviation of ``arr`` is outside :func:`expect_normal`'s 10% window and
    within 10% of one of the ``mistakes``' standard deviations (the closest one, on a log
    scale), the message gives that mistake's advice instead of ``hint``; otherwise this is
    :func:`expect_normal`, with the same tolerances and failure probability::

        expect_normal_scale(W2, "W2", std=0.1, expected="sqrt(2 / layer_dims[1])",
                            mistakes=[(0.02, "did you forget the square root?")])

    Args:
        arr: the student's array, with at least :data:`MIN_NORMAL_SAMPLES` entries.
        what: its name for the message.
        std: the required standard deviation.
        mistakes: ``(standard deviation, advice)`` for each known mistake.
        expected: how ``std`` is computed, shown after it (e.g. ``"sqrt(2 / layer_dims[1])"``).
        mean: the required mean.
        hint: advice for any other failure.

    Raises:
        CheckFailed: a statistic is out of range.
        ValueError: ``arr`` is too small, or a mistake's standard deviation is within 20% of
            ``std`` (check-authoring bugs: the mistake could not be told apart reliably).
    """
    for wrong, _ in mistakes:
        if not wrong > 0 or abs(math.log(wrong / std)) < math.log1p(_MISTAKE_SEPARATION):
            raise ValueError(
                f"expect_normal_scale: the mistake with standard deviation {wrong:.3g} is too "
                f"close to the required {std:.3g} to be told apart"
            )
    values = np.asarray(arr, dtype=np.float64).ravel()
    if arr.size >= MIN_NORMAL_SAMPLES and np.all(np.isfinite(values)) and np.ptp(values) > 0:
        s = float(np.std(values))
        if abs(s / std - 1) > _STD_RTOL:
            message = f"{what} has standard deviation {s:.3g}, expected about {std:.3g}"
            if expected:
                message += f" = {expected}"
            raise _fail(message, _explain(s, mistakes) or hint)
    expect_normal(arr, what, std=std, mean=mean, hint=hint)


def _explain(s: float, mistakes: Sequence[tuple[float, str]]) -> str:
    """The advice of the mistake whose standard deviation is closest to ``s`` within 10%."""
    near = [(abs(math.log(s / wrong)), advice) for wrong, advice in mistakes]
    near = [(distance, advice) for distance, advice in near if distance <= math.log1p(_STD_RTOL)]
    return min(near)[1] if near else ""
