"""Bind a check's arguments as the exercise's stub names them, not by position alone.

Checks call ``submission.f(*args)`` in the order of the release's stub. A student whose
signature has an extra parameter (``nn_model(X, Y, n_h, learning_rate, num_iterations,
print_cost)``) would get, positionally, the iteration count as its learning rate and ``False``
as its iteration count, and be graded on a model that never trained. So each argument goes to
the student's parameter of the stub's name where the student has one (by keyword), and by
position where the student renamed it (``params`` for ``parameters``) or where no name is
known. When that cannot be done without a conflict the call is positional, as before.

Only names cross here, never values: the warning a student reads quotes the two signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from grader.testing import Signature

__all__ = ["Binding", "bind", "signature_warning"]

_SHOWN = 12  # parameters a warning lists before eliding the rest


class Binding(NamedTuple):
    """The arguments to send, and whether any of them goes by name."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    by_name: bool


def bind(
    stub: Sequence[str], student: Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Binding:
    """Map ``args`` (in the stub's order) onto the student's parameters by the stub's names.

    An argument stays positional while the student's parameter at its place has the stub's
    name, or the student has no parameter of that name (a rename); from the first argument
    whose name sits elsewhere in the student's signature, arguments go by keyword. A name the
    student lacks after that point, a keyword that would fill a place already filled, or a
    name the check passes itself makes the whole call positional (the old behaviour).
    """
    plain = Binding(tuple(args), dict(kwargs), False)
    names = student.names
    if not stub or not names or tuple(stub) == names:
        return plain
    by_name = set(names[student.positional_only :]) | set(student.keyword_only)
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for index, value in enumerate(args):
        name = stub[index] if index < len(stub) else ""
        in_place = index < len(names) and names[index] == name
        if not keywords and (in_place or not name or name not in by_name):
            positional.append(value)
        elif name in by_name and name not in kwargs and name not in keywords:
            keywords[name] = value
        else:
            return plain
    if any(name in names[: len(positional)] for name in keywords):
        return plain
    return Binding(tuple(positional), {**keywords, **kwargs}, bool(keywords))


def _shown(names: Sequence[str], keyword_only: Sequence[str] = (), varargs: bool = False) -> str:
    parts = list(names)
    if varargs:
        parts.append("*args")
    if keyword_only:
        parts += ([] if varargs else ["*"]) + list(keyword_only)
    if len(parts) > _SHOWN:
        parts = [*parts[:_SHOWN], "..."]
    return ", ".join(parts)


def signature_warning(
    function: str, stub: Sequence[str], student: Signature, by_name: bool
) -> str | None:
    """The student-readable warning for a signature that differs from the stub's, or None.

    Only parameter names appear (the student's own code and the release's), never a value.
    """
    if not stub or not student.names or tuple(stub) == student.names:
        return None
    how = (
        "arguments were passed by name where your function has the exercise's names"
        if by_name
        else "arguments were passed by position, in the exercise's order"
    )
    mine = _shown(student.names, student.keyword_only, student.varargs)
    return (
        f"`{function}` has parameters ({mine}); the exercise's are ({_shown(stub)}): {how}"
    )
