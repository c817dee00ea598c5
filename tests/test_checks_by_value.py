"""Checks judge values, not bytes: -0.0 is 0.0, any NaN is NaN, byte order is irrelevant."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.expect import expect_close, expect_distinct_rows, expect_not_constant
from grader.runner import Grader
from grader.testing import CheckFailed

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SOLUTION = REPO / "solutions" / "planar_data_classification.ipynb"


def _nan_with_payload(payload: int) -> float:
    value: float = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 | payload))[0]
    return value


def test_rows_differing_only_in_the_sign_of_zero_are_identical() -> None:
    W1 = np.array([[0.0, 0.5, -0.25], [-0.0, 0.5, -0.25], [1.0, 2.0, 3.0]])
    assert W1[0].tobytes() != W1[1].tobytes()  # the premise: the bytes differ
    with pytest.raises(CheckFailed, match="identical"):
        expect_distinct_rows(W1, "W1")


def test_rows_differing_only_in_nan_payload_are_identical() -> None:
    a, b = _nan_with_payload(1), _nan_with_payload(2)
    W1 = np.array([[a, 1.0], [b, 1.0]])
    assert W1[0].tobytes() != W1[1].tobytes()
    with pytest.raises(CheckFailed, match="identical"):
        expect_distinct_rows(W1, "W1")


def test_genuinely_distinct_rows_pass() -> None:
    tiny = np.nextafter(0.0, 1.0)  # the smallest positive float differs from 0.0 by value
    W1 = np.array([[0.0, 1.0], [tiny, 1.0], [-0.0, 2.0], [np.nan, 1.0]])
    expect_distinct_rows(W1, "W1")
    expect_distinct_rows(np.arange(12, dtype=np.int64).reshape(4, 3), "W1")
    big = np.array([[2**53], [2**53 + 1]], dtype=np.int64)  # equal once made float64
    expect_distinct_rows(big, "W1")
    expect_distinct_rows(big.astype(">i8"), "W1")
    with pytest.raises(CheckFailed, match="identical"):
        expect_distinct_rows(np.array([[True, False], [True, False]]), "W1")


def test_an_all_nan_array_is_constant_whatever_the_payloads() -> None:
    W2 = np.array([[_nan_with_payload(1), _nan_with_payload(3), np.nan]])
    with pytest.raises(CheckFailed, match="same"):
        expect_not_constant(W2, "W2")
    with pytest.raises(CheckFailed, match="same"):
        expect_not_constant(np.array([0.0, -0.0, 0.0]), "W2")
    expect_not_constant(np.array([np.nan, 1.0]), "W2")


def test_float32_tolerance_does_not_depend_on_byte_order() -> None:
    expected = np.linspace(0.1, 1.0, 10)
    close32 = (expected * (1 + 3e-5)).astype("<f4")
    expect_close(close32, expected, "A2")  # float32 floor: rtol 1e-4
    expect_close(close32.astype(">f4"), expected, "A2")  # same values, other byte order


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


def _solution_plus(tmp_path: Path, code: str) -> Path:
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    return path


SIGNED_ZERO_ROWS = '''
def initialize_parameters(n_x, n_h, n_y):
    row = np.random.randn(1, n_x) * 0.01
    row[0, :3] = 0.0
    W1 = np.repeat(row, n_h, axis=0)
    for i in range(n_h):  # row i: the signs of its three zeros spell i in binary
        W1[i, :3] = [-0.0 if i >> bit & 1 else 0.0 for bit in range(3)]
    return {"W1": W1, "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}
'''


def test_planar_symmetry_is_judged_on_values(grader: Grader, tmp_path: Path) -> None:
    result = grader.grade_path(_solution_plus(tmp_path, SIGNED_ZERO_ROWS), "signed_zero")
    tests = {t.id: t for t in result.tests}
    verdict = tests["initialize_parameters.symmetry_breaking"]
    assert verdict.outcome == "failed"
    assert "identical" in verdict.message


def test_planar_reference_still_breaks_symmetry(grader: Grader, tmp_path: Path) -> None:
    result = grader.grade_path(_solution_plus(tmp_path, "x = 1\n"), "reference")
    tests = {t.id: t for t in result.tests}
    assert tests["initialize_parameters.symmetry_breaking"].outcome == "passed"
