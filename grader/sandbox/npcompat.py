"""The numpy a course was written for: numpy 1's aliases, in a child, for a numpy-1 course.

numpy 2 removed names that a correct notebook of 2018 uses (``np.int``, ``np.float_``,
``np.product``, ``np.NaN``...). An assignment that declares ``[compat] numpy = "1"`` gets them
back in its sandbox: :func:`install` (run in the child, before the student's program loads)
wraps numpy's module-level ``__getattr__``, which numpy consults only for names it does not
have, so a notebook that uses no alias pays nothing. Each use from a notebook cell is recorded
(the alias and the first place it was used) and reported to the grader as plain data, checked
there against :data:`ALIASES` and the notebook's real lines (:func:`alias_warning`): a warning
names each alias once, and what numpy 2 spells instead.

:data:`ALIASES` is plain data, importable by the grader without numpy.
"""

from __future__ import annotations

import sys
from types import FrameType, ModuleType
from typing import Any

__all__ = ["ALIASES", "NUMPY_VERSIONS", "alias_warning", "install", "uses"]

NUMPY_VERSIONS = ("1", "2")

# numpy 1 name -> what numpy 2 spells instead (as a student would write it).
ALIASES: dict[str, str] = {
    "int": "int",
    "float": "float",
    "complex": "complex",
    "object": "object",
    "str": "str",
    "unicode": "str",
    "float_": "np.float64",
    "complex_": "np.complex128",
    "cfloat": "np.complex128",
    "singlecomplex": "np.complex64",
    "longfloat": "np.longdouble",
    "longcomplex": "np.clongdouble",
    "clongfloat": "np.clongdouble",
    "string_": "np.bytes_",
    "unicode_": "np.str_",
    "int0": "np.intp",
    "uint0": "np.uintp",
    "bool8": "np.bool_",
    "object0": "np.object_",
    "str0": "np.str_",
    "bytes0": "np.bytes_",
    "void0": "np.void",
    "NaN": "np.nan",
    "Inf": "np.inf",
    "Infinity": "np.inf",
    "infty": "np.inf",
    "PINF": "np.inf",
    "NINF": "-np.inf",
    "PZERO": "0.0",
    "NZERO": "-0.0",
    "product": "np.prod",
    "cumproduct": "np.cumprod",
    "alltrue": "np.all",
    "sometrue": "np.any",
    "round_": "np.round",
    "asfarray": "np.asarray(a, dtype=float)",
    "in1d": "np.isin",
    "trapz": "np.trapezoid",
    "msort": "np.sort(a, axis=0)",
    "mat": "np.asmatrix",
    "issubclass_": "issubclass",
}

_MAX_USES = len(ALIASES)


def _values(np: ModuleType) -> dict[str, Any]:
    """What each alias resolves to in a child, under the numpy it has."""

    def asfarray(a: Any, dtype: Any = np.float64) -> Any:
        dtype = np.dtype(dtype)
        return np.asarray(a, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64)

    def in1d(ar1: Any, ar2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
        return np.isin(np.asarray(ar1).ravel(), ar2, assume_unique=assume_unique, invert=invert)

    def msort(a: Any) -> Any:
        return np.sort(a, axis=0)

    builtin = {
        "int": int,
        "float": float,
        "complex": complex,
        "object": object,
        "str": str,
        "unicode": str,
        "issubclass_": issubclass,
    }
    numbers = {
        "NaN": np.nan,
        "Inf": np.inf,
        "Infinity": np.inf,
        "infty": np.inf,
        "PINF": np.inf,
        "NINF": -np.inf,
        "PZERO": 0.0,
        "NZERO": -0.0,
    }
    functions = {"asfarray": asfarray, "in1d": in1d, "msort": msort}
    out: dict[str, Any] = {**builtin, **numbers, **functions}
    for name, spelled in ALIASES.items():
        value = getattr(np, spelled.removeprefix("np."), None) if name not in out else None
        if value is not None:
            out[name] = value
    return out


# alias -> (cell, line) of its first use in a notebook cell; filled in the child only.
_USES: dict[str, tuple[int, int]] = {}


def _record(name: str, frame: FrameType | None) -> None:
    if name in _USES or frame is None:
        return
    filename = frame.f_code.co_filename
    if not filename.startswith("<cell ") or len(_USES) >= _MAX_USES:
        return  # numpy's own code or a helper module: not the student's to hear about
    try:
        _USES[name] = (int(filename[6:-1]), int(frame.f_lineno or 0))
    except ValueError:
        return


def install(np: ModuleType) -> None:
    """Make numpy 1's removed aliases resolve in this process, recording each use.

    Only names numpy does not have are added (under numpy 1 they exist and are left alone).
    Called in the sandboxed child, before the student's program loads.
    """
    values = {n: v for n, v in _values(np).items() if n not in vars(np)}
    original = vars(np).get("__getattr__")

    def __getattr__(name: str) -> Any:
        if name not in values:
            if original is None:
                raise AttributeError(f"module 'numpy' has no attribute '{name}'")
            return original(name)
        _record(name, sys._getframe(1))
        return values[name]

    np.__getattr__ = __getattr__  # type: ignore[method-assign]


def uses() -> list[list[Any]]:
    """The aliases used so far, as plain data for a reply: ``[[alias, cell, line], ...]``."""
    return [[name, cell, line] for name, (cell, line) in _USES.items()]


def alias_warning(name: str, where: str) -> str:
    """The student's warning for one alias (``where`` is ``"cell 3, line 7"`` or empty)."""
    prefix = f"{where}: " if where else ""
    return (
        f"{prefix}`np.{name}` is numpy 1 only (numpy 2 removed it); it was allowed because "
        f"this course targets numpy 1: use `{ALIASES[name]}` instead"
    )
