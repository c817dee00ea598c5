"""Assertion helpers for check authors: each raises ``CheckFailed`` with an actionable message.

A message says what is wrong with the *student's* value (its type, its shape, how many entries
differ and by how much, its statistics) and what to do about it, and never prints expected
values, so the helpers are safe to use in hidden checks. Expected shapes may be shown: they are
part of every exercise's specification. Numbers taken from the student's value (its shape, the
count of wrong entries, a difference, a statistic) could encode a hidden input that the
function saw, so each failure also carries a ``public`` message without them, which students
see when the check is hidden (``CheckFailed.public``).

``what`` names the value as the student knows it (``"W1"``, ``"the cost returned by
compute_cost"``); ``hint`` adds advice specific to the exercise::

    params = expect_keys(submission.initialize_parameters(3, 5, 2), ["W1", "b1"], "parameters")
    W1 = expect_array(params["W1"], "W1")
    expect_shape(W1, (5, 3), "W1", names="(n_h, n_x)")
    expect_close(W1, expected, "W1", hint="W1 = W1 - learning_rate * dW1")
"""

from __future__ import annotations

from grader.expect._common import describe
from grader.expect._stats import MIN_NORMAL_SAMPLES, expect_normal, expect_normal_scale
from grader.expect._values import (
    expect_array,
    expect_binary,
    expect_close,
    expect_distinct_rows,
    expect_finite,
    expect_int,
    expect_keys,
    expect_not_constant,
    expect_number,
    expect_sequence,
    expect_shape,
    expect_size,
    expect_zeros,
)

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
