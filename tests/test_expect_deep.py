"""grader.expect.expect_normal_scale: expect_normal that names a known mistake's spread."""

from __future__ import annotations

import numpy as np
import pytest

from grader.expect import MIN_NORMAL_SAMPLES, expect_normal_scale
from grader.testing import CheckFailed

N = MIN_NORMAL_SAMPLES
MISTAKES = [
    (0.05, "that is sqrt(2 / n_this): use the previous layer"),
    (0.02, "did you forget the square root?"),
    (1.0, "did you forget to scale?"),
]


def _normal(std: float, mean: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(mean, std, (100, N // 100))


@pytest.mark.parametrize("seed", range(5))
def test_a_correct_sample_passes(seed: int) -> None:
    expect_normal_scale(_normal(0.1, seed=seed), "W", std=0.1, mistakes=MISTAKES)


def test_a_float32_sample_passes() -> None:
    expect_normal_scale(_normal(0.1).astype(np.float32), "W", std=0.1, mistakes=MISTAKES)


@pytest.mark.parametrize(("std", "advice"), [(s, a) for s, a in MISTAKES])
def test_a_known_mistake_is_named(std: float, advice: str) -> None:
    with pytest.raises(CheckFailed) as info:
        expect_normal_scale(
            _normal(std), "W2", std=0.1, expected="sqrt(2 / n)", mistakes=MISTAKES, hint="other"
        )
    message = str(info.value)
    assert message.startswith("W2 has standard deviation ")
    assert message.endswith(f", expected about 0.1 = sqrt(2 / n): {advice}"), message


def test_the_closest_mistake_wins() -> None:
    mistakes = [(0.3, "far"), (0.21, "closest"), (0.19, "close")]
    with pytest.raises(CheckFailed, match=r": closest$"):
        expect_normal_scale(_normal(0.21), "W", std=0.1, mistakes=mistakes)


def test_an_unknown_spread_gets_the_hint() -> None:
    pattern = r"^W has standard deviation 0\.(29|30)\d*, expected about 0\.1: use randn$"
    with pytest.raises(CheckFailed, match=pattern):
        expect_normal_scale(_normal(0.3), "W", std=0.1, mistakes=MISTAKES, hint="use randn")


def test_a_spread_just_outside_a_mistakes_window_is_not_named() -> None:
    # 0.0425 is 15% below the 0.05 mistake: too far to be that mistake.
    with pytest.raises(CheckFailed) as info:
        expect_normal_scale(_normal(0.0425), "W", std=0.1, mistakes=MISTAKES, hint="use randn")
    assert str(info.value).endswith(": use randn")


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (np.full((100, N // 100), 0.1), r"^W is constant .*: use randn$"),
        (_normal(0.1, mean=0.02), r"^W has mean 0\.02\d*, expected about 0: use randn$"),
        (
            np.random.default_rng(0).uniform(-0.1 * 3**0.5, 0.1 * 3**0.5, N),
            r"^the values of W do not look normally distributed .*: use randn$",
        ),
    ],
)
def test_other_failures_are_expect_normals(values: np.ndarray, pattern: str) -> None:
    with pytest.raises(CheckFailed, match=pattern):
        expect_normal_scale(values, "W", std=0.1, mistakes=MISTAKES, hint="use randn")


def test_non_finite_values_fail_as_in_expect_normal() -> None:
    values = _normal(0.1)
    values[0, 0] = np.nan
    with pytest.raises(CheckFailed, match=r"^W contains 1 NaN"):
        expect_normal_scale(values, "W", std=0.1, mistakes=MISTAKES)


@pytest.mark.parametrize("wrong", [0.085, 0.1, 0.118, 0.0, -0.2])
def test_a_mistake_too_close_to_the_right_spread_is_an_authoring_error(wrong: float) -> None:
    with pytest.raises(ValueError, match="too close to the required"):
        expect_normal_scale(_normal(0.1), "W", std=0.1, mistakes=[(wrong, "x")])


def test_too_small_an_array_is_an_authoring_error() -> None:
    with pytest.raises(ValueError, match="needs >= 20000 entries"):
        expect_normal_scale(_normal(0.1)[:, :10], "W", std=0.1)
