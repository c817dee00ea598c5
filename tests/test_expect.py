"""grader.expect: each helper passes good values and fails bad ones with an actionable message."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader.expect import (
    MIN_NORMAL_SAMPLES,
    describe,
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
from grader.testing import CheckFailed


def test_describe_names_types_without_contents() -> None:
    assert describe(None) == "None"
    assert describe([1, 2]) == "list"
    assert describe(np.zeros((2, 3))) == "a numpy array of shape (2, 3)"


def test_expect_array() -> None:
    arr = np.ones(3)
    assert expect_array(arr, "W1") is arr
    assert expect_array(np.array([True]), "mask").dtype == bool
    with pytest.raises(CheckFailed, match=r"^W1 should be a numpy array, got list$"):
        expect_array([1.0], "W1")
    with pytest.raises(CheckFailed, match=r"should hold numbers.*<U1"):
        expect_array(np.array(["a"]), "W1")
    with pytest.raises(CheckFailed, match=r"got None: use np.zeros"):
        expect_array(None, "b1", hint="use np.zeros")


def test_expect_shape_messages() -> None:
    expect_shape(np.zeros((4, 2)), (4, 2), "W1")
    with pytest.raises(CheckFailed) as info:
        expect_shape(np.zeros((2, 4)), (4, 2), "W1", names="(n_h, n_x)")
    assert str(info.value).startswith("W1 has shape (2, 4), expected (4, 2) = (n_h, n_x)")
    assert "transposed" in str(info.value)
    with pytest.raises(CheckFailed, match="keepdims=True"):
        expect_shape(np.zeros(4), (4, 1), "db1")
    with pytest.raises(CheckFailed, match=r"use n_h$"):
        expect_shape(np.zeros((3, 3)), (4, 2), "W1", hint="use n_h")


def test_expect_size_reshapes_or_fails() -> None:
    assert expect_size(np.zeros(4), (4, 1), "db1").shape == (4, 1)
    with pytest.raises(CheckFailed, match=r"db1 has shape \(3,\), expected \(4, 1\)"):
        expect_size(np.zeros(3), (4, 1), "db1")


def test_expect_keys() -> None:
    params = {"W1": 1, "b1": 2, "extra": 3}
    assert expect_keys(params, ["W1", "b1"], "parameters") is params
    with pytest.raises(CheckFailed, match="parameters is missing the key\\(s\\) 'b1'"):
        expect_keys({"W1": 1, "B1": 2}, ["W1", "b1"], "parameters")
    with pytest.raises(CheckFailed, match="should be a dict with keys W1, b1, got tuple"):
        expect_keys((1, 2), ["W1", "b1"], "parameters")


def test_expect_sequence() -> None:
    assert expect_sequence([1, 2], 2, "result") == (1, 2)
    with pytest.raises(CheckFailed, match=r"should be a tuple \(A2, cache\), got 3 value"):
        expect_sequence((1, 2, 3), 2, "result", names="(A2, cache)")
    with pytest.raises(CheckFailed, match="got None"):
        expect_sequence(None, 2, "result")


def test_expect_int_and_number() -> None:
    assert expect_int(np.int64(3), "n_x") == 3
    for bad in (True, 3.0, "3"):
        with pytest.raises(CheckFailed, match="should be an integer"):
            expect_int(bad, "n_x")
    assert expect_number(0.5, "cost") == 0.5
    assert expect_number(np.float32(0.5), "cost") == 0.5
    assert expect_number(np.array(0.25), "cost") == 0.25
    with pytest.raises(CheckFailed) as info:
        expect_number(np.array([[0.7]]), "cost", hint="use float(np.squeeze(cost))")
    assert str(info.value) == (
        "cost should be a single number, got a numpy array of shape (1, 1): "
        "use float(np.squeeze(cost))"
    )
    for bad in (None, "0.5", np.array([0.5]), True):
        with pytest.raises(CheckFailed):
            expect_number(bad, "cost")


def test_expect_finite() -> None:
    expect_finite(np.array([1.0, 2.0]), "A2")
    expect_finite(np.array([1, 2]), "n")
    with pytest.raises(CheckFailed, match="A2 contains 1 NaN and 1 infinite value\\(s\\) out of 3"):
        expect_finite(np.array([np.nan, np.inf, 1.0]), "A2")


def test_expect_close_counts_without_showing_expected_values() -> None:
    expected = np.linspace(0.1234567, 0.9876543, 40).reshape(4, 10)
    expect_close(expected + 1e-12, expected, "A2")
    actual = expected.copy()
    actual[0, :3] += 0.12
    with pytest.raises(CheckFailed) as info:
        expect_close(actual, expected, "A2", hint="A2 = sigmoid(Z2)")
    message = str(info.value)
    assert message == (
        "A2 differs from the correct value at 3 of 40 entries (largest difference 0.12): "
        "A2 = sigmoid(Z2)"
    )
    with pytest.raises(CheckFailed) as info:
        expect_close(0.7, 0.6931471805599453, "the cost")
    assert re.search(r"\d\.\d{3}", str(info.value)) is None


def test_expect_close_shape_and_nan() -> None:
    with pytest.raises(CheckFailed, match="has shape"):
        expect_close(np.zeros((2, 3)), np.zeros((3, 2)), "Z1")
    with pytest.raises(CheckFailed, match="NaN"):
        expect_close(np.array([np.nan]), np.array([0.0]), "Z1")


def test_expect_close_float32_tolerance() -> None:
    expected = np.random.default_rng(0).normal(size=(5, 7))
    expect_close(expected.astype(np.float32), expected, "A1")
    with pytest.raises(CheckFailed):
        expect_close(expected.astype(np.float32) * 1.001, expected, "A1")
    with pytest.raises(CheckFailed):
        expect_close(expected * (1 + 1e-4), expected, "A1")  # float64 gets no floor


def test_expect_zeros_binary_constant_rows() -> None:
    expect_zeros(np.zeros((3, 1)), "b1")
    with pytest.raises(CheckFailed, match="b1 should be all zeros, but 1 of 3 entries are not"):
        expect_zeros(np.array([0.0, 0.1, 0.0]), "b1")
    expect_binary(np.array([True, False]), "predictions")
    expect_binary(np.array([0.0, 1.0]), "predictions")
    with pytest.raises(CheckFailed, match="1 of 3 entries are other values"):
        expect_binary(np.array([0, 1, 2]), "predictions")
    expect_not_constant(np.array([1.0, 2.0]), "W2")
    expect_not_constant(np.array([1.0]), "W2")
    with pytest.raises(CheckFailed, match="every entry of W2 is the same"):
        expect_not_constant(np.full((1, 4), 0.01), "W2")
    expect_distinct_rows(np.eye(3), "W1")
    with pytest.raises(CheckFailed, match="rows 0 and 2 of W1 are identical: why"):
        expect_distinct_rows(np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]]), "W1", hint="why")


@pytest.mark.parametrize("seed", range(5))
def test_expect_normal_passes_correct_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    expect_normal(rng.normal(0, 0.01, MIN_NORMAL_SAMPLES), "W1", std=0.01)
    expect_normal(rng.standard_normal((300, 400)) * 0.01, "W1", std=0.01)
    expect_normal(rng.normal(2.0, 0.5, 50_000), "W", std=0.5, mean=2.0)


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda r: np.zeros(50_000), "W1 is constant \\(every entry is 0\\)"),
        (lambda r: np.full(50_000, 0.01), "constant"),
        (lambda r: r.standard_normal(50_000), "standard deviation (0\\.99|1\\.0)"),
        (lambda r: r.standard_normal(50_000) * 0.1, "standard deviation (0\\.099|0\\.10)"),
        (lambda r: r.standard_normal(50_000) * 100, "standard deviation (99|100)"),
        (lambda r: r.random(50_000) * 0.01, "standard deviation 0.00289"),
        (lambda r: r.uniform(-0.01732, 0.01732, 50_000), "kurtosis 1.8"),
        (lambda r: r.normal(0.002, 0.01, 50_000), "mean 0\\.00[12]"),
    ],
)
def test_expect_normal_rejects(make: object, pattern: str) -> None:
    values = make(np.random.default_rng(1))  # type: ignore[operator]
    with pytest.raises(CheckFailed, match=pattern) as info:
        expect_normal(values, "W1", std=0.01, hint="multiply np.random.randn(...) by 0.01")
    assert str(info.value).endswith(": multiply np.random.randn(...) by 0.01")


def test_expect_normal_refuses_small_samples() -> None:
    with pytest.raises(ValueError, match="needs >= 20000"):
        expect_normal(np.ones(100), "W1", std=0.01)


@pytest.mark.parametrize("rtol, atol", [(1e-5, 1e-8), (1e-3, 0.0), (0.0, 1e-2)])
def test_expect_close_agrees_with_numpy_isclose(rtol: float, atol: float) -> None:
    rng = np.random.default_rng(3)
    expected = rng.normal(size=2000) * rng.choice([1e-6, 1.0, 1e6], size=2000)
    actual = expected * (1 + rng.choice([0, 1e-7, 1e-4, 1e-2], size=2000)) + rng.choice(
        [0, 1e-9, 1e-3], size=2000
    )
    for a, e in zip(actual, expected, strict=True):
        agrees = bool(np.isclose(a, e, rtol=rtol, atol=atol))
        try:
            expect_close(np.array([a]), np.array([e]), "x", rtol=rtol, atol=atol)
            passed = True
        except CheckFailed:
            passed = False
        assert passed == agrees, (a, e)
    with pytest.raises(CheckFailed):
        expect_close(np.array([1.0]), np.array([np.inf]), "x")
    with pytest.raises(CheckFailed):
        expect_close(np.array([1.0]), np.array([np.nan]), "x")
