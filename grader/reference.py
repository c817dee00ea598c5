"""The reference solution's functions, loaded into the grader's own (trusted) process."""

from __future__ import annotations

import functools
import itertools
import sys
import threading
import types
from pathlib import Path
from typing import Any

from grader import memo
from grader.errors import AssignmentError, InvalidSubmission

__all__ = ["MemoReference", "load_reference"]

_lock = threading.Lock()


def load_reference(solution: Path, helper_dirs: list[Path]) -> types.SimpleNamespace:
    """Execute the solution notebook's definitions and return them as a namespace.

    This is instructor code: it runs here, never in the sandbox, and never sees student code.
    Imports that fail (plotting libraries, course test helpers) are ignored, as for students.
    """
    from grader.extract import extract_program
    from grader.notebook import read_submission

    try:
        program = extract_program(read_submission(str(solution), schema=False).cells)
    except InvalidSubmission as exc:
        raise AssignmentError(f"the reference solution {solution} cannot be read: {exc}") from exc
    namespace: dict[str, Any] = {"__name__": f"_grader_reference_{solution.stem}"}
    with _lock:
        added = [str(d) for d in helper_dirs if str(d) not in sys.path]
        sys.path[:0] = added
        try:
            for unit in program.units:
                code = compile("\n" * (unit.lineno - 1) + unit.source, f"<ref {unit.cell}>", "exec")
                try:
                    exec(code, namespace)
                except ImportError:
                    if unit.kind != "import":
                        raise
        except Exception as exc:
            raise AssignmentError(f"the reference solution {solution} failed: {exc!r}") from exc
        finally:
            for d in added:
                sys.path.remove(d)
    functions = {k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")}
    return types.SimpleNamespace(**functions)


class MemoReference:
    """The ``reference`` fixture: the reference's functions, each call remembered by its
    arguments' content across submissions (:mod:`grader.memo`), since checks ask it the same
    questions for every student. What a call returns, and the global random generators' state
    it leaves, are those of a fresh call."""

    _loaded = itertools.count()
    __memo_key__ = ""  # a check helper remembered with this fixture among its arguments

    def __init__(self, functions: types.SimpleNamespace) -> None:
        self._functions = functions
        self.__memo_key__ = f"reference:{next(self._loaded)}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        target = getattr(self._functions, name)
        if not callable(target):
            return target
        label = f"{self.__memo_key__}:{name}"
        store = memo.store()

        @functools.wraps(target)
        def call(*args: Any, **kwargs: Any) -> Any:
            return store.call(label, target, args, kwargs)

        setattr(self, name, call)  # found directly from now on
        return call

    def __dir__(self) -> list[str]:
        return sorted(vars(self._functions))
