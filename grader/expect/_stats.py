"""Expectations on distributions: weights drawn as N(mean, std^2), with safe tolerances."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from grader.expect._common import Array, fail, public_name
from grader.expect._values import expect_finite

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


def expect_normal(
    arr: Array, what: str, *, std: float, mean: float = 0.0, expected: str = "", hint: str = ""
) -> None:
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
        expected: how ``std`` is computed, e.g. ``"sqrt(2 / layer_dims[0])"``: shown after
            it, and instead of it in the public message (a number computed from the check's
            inputs would show them).
        hint: advice appended to the message, e.g. how to draw the values.

    Raises:
        CheckFailed: a statistic is out of range.
        ValueError: ``arr`` is too small for the tolerances to be safe (a check-authoring bug).
    """
    if arr.size < MIN_NORMAL_SAMPLES:
        raise ValueError(f"expect_normal needs >= {MIN_NORMAL_SAMPLES} entries, got {arr.size}")
    values = np.asarray(arr, dtype=np.float64).ravel()
    expect_finite(values, what, hint=hint)
    shown = public_name(what)
    if np.all(values == values[0]):
        raise fail(
            f"{what} is constant (every entry is {values[0]:.3g})",
            hint,
            public=f"{shown} is constant (every entry is the same)",
        )
    m = float(values.mean())
    centred = values - m
    squares = centred * centred  # not centred**4 below: a float power is ~10x slower
    s = float(np.sqrt(squares.mean()))
    if abs(s / std - 1) > _STD_RTOL:
        message, public = _wrong_std(what, s, std, expected)
        raise fail(message, hint, public=public)
    if abs(m - mean) > _MEAN_TOL * std:
        raise fail(
            f"{what} has mean {m:.3g}, expected about {mean:.3g}",
            hint,
            public=f"{shown} has the wrong mean, expected about {mean:.3g}",
        )
    kurtosis = float(np.mean(squares * squares) / s**4)
    if abs(kurtosis - 3) > _KURTOSIS_TOL:
        raise fail(
            f"the values of {what} do not look normally distributed (kurtosis {kurtosis:.2f}; "
            "a normal distribution has 3, a uniform one 1.8)",
            hint,
            public=f"the values of {shown} do not look normally distributed",
        )


def _wrong_std(what: str, s: float, std: float, expected: str) -> tuple[str, str]:
    """The full and the public message for a standard deviation ``s`` instead of ``std``.

    With a formula (``expected``) the public message gives the formula without its value: the
    value is computed from the check's inputs. Without one, ``std`` is the exercise's constant.
    """
    message = f"{what} has standard deviation {s:.3g}, expected about {std:.3g}"
    public = f"{public_name(what)} has the wrong standard deviation, expected "
    if expected:
        return f"{message} = {expected}", public + expected
    return message, f"{public}about {std:.3g}"


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
        expected: how ``std`` is computed, e.g. ``"sqrt(2 / layer_dims[1])"``: shown after
            it, and instead of it in the public message (see :func:`expect_normal`).
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
            message, public = _wrong_std(what, s, std, expected)
            # The named mistake stays in the public message: one of a few fixed sentences.
            raise fail(message, _explain(s, mistakes) or hint, public=public)
    expect_normal(arr, what, std=std, mean=mean, expected=expected, hint=hint)


def _explain(s: float, mistakes: Sequence[tuple[float, str]]) -> str:
    """The advice of the mistake whose standard deviation is closest to ``s`` within 10%."""
    near = [(abs(math.log(s / wrong)), advice) for wrong, advice in mistakes]
    near = [(distance, advice) for distance, advice in near if distance <= math.log1p(_STD_RTOL)]
    return min(near)[1] if near else ""
