"""What every expectation helper shares: the array type, failures with hints, describe()."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from grader.testing import CheckFailed, Hint

__all__ = ["Array", "Name", "describe", "fail", "public_name"]

Array = npt.NDArray[Any]


class Name(str):
    """A value's name for messages, with the form a student sees when the check is hidden.

    A hidden check names a value by the call that made it, and the concrete call shows the
    check's hidden inputs: ``Name("W1 from initialize_parameters(3, 5, 2)",
    public="W1 from initialize_parameters(n_x, n_h, n_y)")`` is its full text wherever a
    ``what`` goes (the instructor's message keeps the concrete call), and the helpers put
    ``public`` in the message a student sees.
    """

    public: str

    def __new__(cls, full: str, public: str | None = None) -> Name:
        name = super().__new__(cls, full)
        name.public = public_name(full) if public is None else public
        return name

    def within(self, template: str) -> Name:
        """This name put in ``template`` at ``{}``, in both forms: ``"W1 from {}"``."""
        return Name(template.format(str(self)), public=template.format(self.public))


def public_name(what: str) -> str:
    """How a hidden check's public message names ``what``: its ``public`` form if it is a Name."""
    return what.public if isinstance(what, Name) else str(what)


def fail(message: str, hint: str = "", *, public: str | None = None) -> CheckFailed:
    """A CheckFailed whose message is ``message``, followed by ``hint`` when there is one.

    ``public`` is the message for a hidden check when ``message`` shows something the
    student's code chose (its values, their counts or statistics); the hint follows it too.
    A :class:`~grader.testing.Hint` follows it as its property only, or whole for an
    assignment whose hint level is ``"formula"``; ``message`` always has it whole.
    """
    full = f"{message}: {hint}" if hint else message
    if isinstance(hint, Hint):
        shown = message if public is None else public
        return CheckFailed(
            full,
            public=f"{shown}: {hint.at('property')}",
            public_formula=f"{shown}: {hint.at('formula')}",
        )
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


