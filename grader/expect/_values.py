"""Expectations on types, shapes and values: what a student returned, and how it differs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.expect._common import Array, describe, fail, public_name
from grader.testing import CheckFailed, Hint

# Tolerance floors by float width in bytes: a value computed in float32 (or float16) cannot
# match a float64 reference to 1e-8, and rejecting it for that would punish a legitimate
# choice. Keyed by width, not by dtype, so a big-endian float32 gets the same floor.
_FLOORS = {4: (1e-4, 1e-6), 2: (1e-2, 1e-3)}


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
    shown = public_name(what)
    if not isinstance(value, np.ndarray):
        got = f"should be a numpy array, got {describe(value)}"
        raise fail(f"{what} {got}", hint, public=f"{shown} {got}")
    if value.dtype.kind not in "biuf":
        got = f"should hold numbers, got a numpy array of dtype {value.dtype}"
        raise fail(f"{what} {got}", hint, public=f"{shown} {got}")
    return value


def expect_shape(
    arr: Array, shape: Sequence[int], what: str, *, names: str = "", hint: str = ""
) -> None:
    """Fail unless ``arr.shape`` is exactly ``shape``.

    Args:
        arr: the student's array.
        shape: the required shape.
        what: the array's name for the message.
        names: the shape in symbols, e.g. ``"(n_h, n_x)"``, shown after the numbers; the
            public message shows only the symbols (the numbers come from the check's inputs).
        hint: advice appended to the message (replaces the generic one).

    Raises:
        CheckFailed: the shapes differ; the message points out a transposed array or a missing
            dimension when that is what happened.
    """
    expected = tuple(shape)
    if arr.shape == expected:
        return
    message = f"{what} has shape {arr.shape}, expected {expected}"
    # A hidden check's sizes are hidden inputs: its student sees the shape in symbols only.
    public = f"{public_name(what)} has the wrong shape"
    if names:
        message += f" = {names}"
        public += f", expected {names}"
    if not hint:
        hint = _shape_advice(arr, expected)
    raise fail(message, hint, public=public)


def _shape_advice(arr: Array, expected: tuple[int, ...]) -> str:
    """Generic advice for two common shape mistakes, or an empty string."""
    if arr.ndim == len(expected) and arr.shape == expected[::-1]:
        return "it looks transposed, check the order of the dimensions"
    if arr.size == math.prod(expected) and arr.ndim < len(expected):
        return Hint(
            "it has the right number of entries but too few dimensions; keep the column "
            "dimension",
            "e.g. np.zeros((n, 1)) or np.sum(..., axis=1, keepdims=True)",
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
        names: the shape in symbols, e.g. ``"(n_h, 1)"`` (see :func:`expect_shape`).
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
    shown = public_name(what)
    if not isinstance(value, Mapping):
        form = f"should be a dict with keys {', '.join(wanted)}, got"
        raise fail(
            f"{what} {form} {describe(value)}",
            public=f"{shown} {form} {describe(value, shape=False)}",
        )
    missing = [k for k in wanted if k not in value]
    if missing:
        # The keys are the grader's own names, not the student's: the public message has them.
        lacks = (
            f"is missing the key(s) {', '.join(map(repr, missing))}: it should hold "
            f"{', '.join(map(repr, wanted))} (the names are case-sensitive)"
        )
        raise CheckFailed(f"{what} {lacks}", public=f"{shown} {lacks}")
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
    shown = public_name(what)
    if not isinstance(value, (tuple, list)):
        raise fail(
            f"{what} should be {form}, got {describe(value)}",
            public=f"{shown} should be {form}, got {describe(value, shape=False)}",
        )
    if len(value) != length:
        raise fail(
            f"{what} should be {form}, got {len(value)} value(s)",
            public=f"{shown} should be {form}, got another number of values",
        )
    return tuple(value)


def expect_int(value: object, what: str) -> int:
    """``value`` as an int (numpy integers are accepted; bools and floats are not).

    Raises:
        CheckFailed: ``value`` is not an integer.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise fail(
            f"{what} should be an integer, got {describe(value)}",
            public=f"{public_name(what)} should be an integer, got {describe(value, shape=False)}",
        )
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
    shown = public_name(what)
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and value.dtype.kind in "iuf":
            return float(value)
        raise fail(
            f"{what} should be a single number, got {describe(value)}",
            hint,
            public=f"{shown} should be a single number, got {describe(value, shape=False)}",
        )
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        got = f"should be a single number, got {describe(value)}"
        raise fail(f"{what} {got}", hint, public=f"{shown} {got}")
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
        raise fail(
            f"{what} contains {nan} NaN and {inf} infinite value(s){where}",
            hint,
            public=f"{public_name(what)} contains NaN or infinite values",
        )


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
    width = a.dtype.itemsize if a.dtype.kind == "f" else 0
    rtol_floor, atol_floor = _FLOORS.get(width, (0.0, 0.0))
    rtol, atol = max(rtol, rtol_floor), max(atol, atol_floor)
    if a.shape != e.shape:
        expect_shape(a, e.shape, what)
    expect_finite(a, what, hint=hint)
    a = a.astype(np.float64)
    # numpy.isclose's test, written out: isclose's generality costs ~60 us a call, and checks
    # make dozens of calls per submission. A non-finite expected value never matches (``a``
    # is finite here).
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
        bad = ~(diff <= atol + rtol * np.abs(e)) | ~np.isfinite(e)
    if not bad.any():
        return
    public = f"{public_name(what)} differs from the correct value"
    if a.ndim == 0:
        raise fail(f"{what} differs from the correct value", hint, public=public)
    largest = float(np.max(diff))
    raise fail(
        f"{what} differs from the correct value at {int(bad.sum())} of {a.size} entries "
        f"(largest difference {largest:.3g})",
        hint,
        public=public,
    )


def expect_zeros(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail unless every entry of ``arr`` is exactly zero.

    Raises:
        CheckFailed: some entries are not zero (the message counts them).
    """
    nonzero = int(np.count_nonzero(arr))
    if nonzero:
        raise fail(
            f"{what} should be all zeros, but {nonzero} of {arr.size} entries are not",
            hint,
            public=f"{public_name(what)} should be all zeros, but some entries are not",
        )


def expect_binary(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail unless every entry of ``arr`` is 0 or 1 (bool, int or float dtype).

    Raises:
        CheckFailed: some entries are neither 0 nor 1.
    """
    other = int(np.count_nonzero((arr != 0) & (arr != 1)))
    if other:
        raise fail(
            f"{what} should hold only 0 and 1, but {other} of {arr.size} entries are other values",
            hint,
            public=f"{public_name(what)} should hold only 0 and 1, but some entries are other "
            "values",
        )


def expect_not_constant(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail if every entry of ``arr`` (with at least two entries) is the same.

    Entries are compared by value: NaN counts as equal to NaN, so an all-NaN array is
    constant.

    Raises:
        CheckFailed: ``arr`` is constant.
    """
    if arr.size > 1 and not _by_value(arr).any():
        raise fail(
            f"every entry of {what} is the same",
            hint,
            public=f"every entry of {public_name(what)} is the same",
        )


def expect_distinct_rows(arr: Array, what: str, *, hint: str = "") -> None:
    """Fail if two rows of the 2-D array ``arr`` are identical.

    Rows are compared by value, not by their bytes: ``-0.0`` equals ``0.0``, and a NaN equals
    any other NaN (whatever its payload) in the same column, so rows that differ only there
    are identical weights.

    Raises:
        CheckFailed: names the first pair of identical rows.
    """
    seen: dict[bytes, int] = {}
    rows = _canonical(np.asarray(arr))
    for index, row in enumerate(rows):
        first = seen.setdefault(row.tobytes(), index)
        if first != index:
            raise fail(
                f"rows {first} and {index} of {what} are identical",
                hint,
                public=f"two rows of {public_name(what)} are identical",
            )


def _canonical(values: Array) -> Array:
    """A copy of ``values`` whose bytes are equal exactly when the values are.

    Integers and booleans are kept in their own (native-order) dtype: in float64, distinct
    integers beyond 2**53 would collide. Floats become float64; adding ``0.0`` turns ``-0.0``
    into ``0.0`` (IEEE 754: -0 + 0 = +0), and every NaN becomes the one default NaN, so
    hashing the bytes of the result compares values.
    """
    if values.dtype.kind != "f":
        return np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("="))
    out = np.ascontiguousarray(values, dtype=np.float64) + 0.0
    out[np.isnan(out)] = np.nan
    return out


def _by_value(arr: Array) -> Array:
    """Which entries of ``arr`` differ in value from its first entry (NaN equals NaN)."""
    flat = np.asarray(arr).ravel()
    first = flat[0]
    differ = flat != first
    if flat.dtype.kind == "f":
        differ &= ~(np.isnan(flat) & np.isnan(first))
    return np.asarray(differ)
