"""The reference solution's functions, loaded into the grader's own (trusted) process."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path
from typing import Any

from grader.errors import AssignmentError, InvalidSubmission

__all__ = ["load_reference"]

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
