"""What every expectation helper shares: the array type, failures with hints, describe()."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from grader.testing import CheckFailed

__all__ = ["Array", "describe", "fail"]

Array = npt.NDArray[Any]


def fail(message: str, hint: str = "") -> CheckFailed:
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


