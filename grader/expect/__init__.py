"""Assertion helpers for check authors: each raises ``CheckFailed`` with an actionable message.

A message says what is wrong with the *student's* value (its type, its shape, how many entries
differ and by how much, its statistics) and what to do about it, and never prints expected
values, so the helpers are safe to use in hidden checks. Numbers taken from the student's value
(its shape, the count of wrong entries, a difference, a statistic) could encode a hidden input
that the function saw, and numbers taken from a hidden check's inputs (the sizes it passed, an
expected shape or standard deviation computed from them) are hidden inputs themselves, so each
failure also carries a ``public`` message without either, which students see when the check is
hidden (``CheckFailed.public``): expected shapes appear there in symbols only (``names``).

``what`` names the value as the student knows it (``"W1"``, ``"the cost returned by
compute_cost"``); a :class:`Name` gives it a public form too, for a name that shows the check's
inputs. ``hint`` adds advice specific to the exercise; advice that gives the answer's formula is
a ``grader.testing.hint(property=..., formula=...)``, whose formula a hidden check's student
sees only when the assignment sets ``hints = "formula"``::

    call = Name("initialize_parameters(3, 5, 2)", public="initialize_parameters(n_x, n_h, n_y)")
    value = submission.initialize_parameters(3, 5, 2)
    params = expect_keys(value, ["W1", "b1"], call.within("the dictionary returned by {}"))
    what = call.within("W1 from {}")
    W1 = expect_array(params["W1"], what)
    expect_shape(W1, (5, 3), what, names="(n_h, n_x)")
    expect_close(W1, expected, "W1", hint="W1 = W1 - learning_rate * dW1")
"""

from __future__ import annotations

from grader.expect._common import Name, describe, public_name
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
    "Name",
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
    "public_name",
]
