"""Tell a bug in a check's own code from a check that could not use the student's value.

A check runs in the grader's process on plain data: whatever crosses the sandbox boundary is
``None``, a bool, a number, a string, a list, tuple or dict of them, or a numeric ndarray.
Some exceptions cannot come from handling such a value, only from the check's (or the
reference's, or a helper's) own code, so they are the assignment's bug, never the student's:

- ``NameError`` (and ``UnboundLocalError``), ``ImportError``, ``SyntaxError``: a misspelt or
  missing name, a missing module; no value makes the check's code refer to another name.
- ``AttributeError`` on an object that is not plain data (``reference.forward_propagatio``,
  ``rng.normals``, a module): student values are plain data, so the object is the grader's.
- ``TypeError`` from binding arguments (``missing 1 required positional argument``, ``takes 2
  positional arguments but 3 were given``, ``got an unexpected keyword argument``): the
  check decides how many arguments it passes, and no student value is callable. A check
  that asks for a fixture that does not exist fails this way too.

Anything else (``TypeError: 'NoneType' object is not subscriptable``, a ``KeyError`` or an
``IndexError`` on the returned value, ``ValueError`` from numpy) may well be the student's
value being unusable, and stays "could not be checked". The rule errs towards the student's
fault only where it cannot tell; verify grades the reference and every mutant, and any check
bug found there fails it.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import bounded_message

__all__ = ["CheckBug", "find_check_bug"]

_ALWAYS = (NameError, ImportError, SyntaxError)
_PLAIN = (
    type(None), bool, int, float, complex, str, bytes, list, tuple, dict, np.ndarray, np.generic
)
_BINDING = re.compile(
    r"missing \d+ required (positional|keyword-only) arguments?"
    r"|takes (from \d+ to )?\d+ positional arguments? but \d+ (was|were) given"
    r"|got an unexpected keyword argument"
    r"|got multiple values for argument"
    r"|takes no (keyword )?arguments"
)
_NO_OBJECT = object()
_MESSAGE = 200


@dataclass(frozen=True)
class CheckBug:
    """Where a check's own code failed: the exception and the check's file and line."""

    exc_type: str
    message: str
    file: str  # relative to the assignment's folder when it is inside it
    line: int

    @property
    def place(self) -> str:
        """``tests/hidden.py, line 42``."""
        return f"{self.file}, line {self.line}"

    def describe(self) -> str:
        """The instructor's one line: ``tests/hidden.py:42: NameError: name 'x' is not defined``."""
        return f"{self.file}:{self.line}: {self.exc_type}: {self.message}"


def find_check_bug(
    exc: BaseException, func: Callable[..., Any], root: Path | None = None
) -> CheckBug | None:
    """The bug in check ``func``'s own code that ``exc`` shows, or None if it may be the student's.

    Args:
        exc: an exception the check raised (neither a ``StudentCodeError`` nor an assertion).
        func: the check function, whose file locates the bug.
        root: the assignment's folder: file names are shown relative to it, and a frame in any
            file under it (a helper module of the tests) counts as the check's.

    Returns:
        The bug with the innermost place in the check's code, or None.
    """
    if not _is_check_bug(exc):
        return None
    code = getattr(func, "__code__", None)
    check_file = getattr(code, "co_filename", "")
    line = int(getattr(code, "co_firstlineno", 0))
    where = check_file
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename == check_file or (root is not None and _under(filename, root)):
            where, line = filename, lineno
    message = bounded_message(exc, _MESSAGE)
    return CheckBug(type(exc).__name__, message, _shown(where, root), line)


def _is_check_bug(exc: BaseException) -> bool:
    if isinstance(exc, _ALWAYS):
        return True
    if isinstance(exc, AttributeError):
        obj = getattr(exc, "obj", _NO_OBJECT)
        return obj is not _NO_OBJECT and not isinstance(obj, _PLAIN)
    if type(exc) is TypeError:
        return _BINDING.search(str(exc)) is not None
    return False


def _under(filename: str, root: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def _shown(filename: str, root: Path | None) -> str:
    path = Path(filename)
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except (OSError, ValueError):
            pass
    return path.name or filename
