"""What every expectation helper shares: the array type, failures with hints, describe()."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from grader.testing import CheckFailed

__all__ = ["Array", "describe", "fail"]

Array = npt.NDArray[Any]


def fail(message: str, hint: str = "", *, public: str | None = None) -> CheckFailed:
    """A CheckFailed whose message is ``message``, followed by ``hint`` when there is one.

    ``public`` is the message for a hidden check when ``message`` shows something the
    student's code chose (its values, their counts or statistics); the hint follows it too.
    """
    full = f"{message}: {hint}" if hint else message
    if public is None:
        return CheckFailed(full)
    return CheckFailed(full, public=f"{public}: {hint}" if hint else public)


def describe(value: object, *, shape: bool = True) -> str:
    """How to name a value's type in a message: ``None``, ``list``, ``numpy array of shape (2,)``.

    Args:
        value: any value a student function returned.
        shape: give an array's shape (the student's code chose it: a hidden check's public
            message leaves it out).

    Returns:
        A short description without the value's contents.
    """
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}" if shape else "a numpy array"
    return type(value).__name__


