"""Build small programs by hand and load them into a sandbox, for the session-level tests."""

from __future__ import annotations

from grader.extract import FunctionInfo, Program, Unit
from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission


def program(*sources: str) -> Program:
    """A program of one unit per source (imports or definitions), as extract would build."""
    units = []
    for cell, src in enumerate(sources, start=1):
        kind = "import" if src.startswith(("import", "from")) else "def"
        name = src.split()[1].split("(")[0]
        units.append(Unit(kind, (name,), src, cell, 1))  # type: ignore[arg-type]
    functions = {u.names[0]: FunctionInfo(u.names[0], u.cell, 1, False, False) for u in units}
    return Program(tuple(units), functions)


def start_program(zygote: Zygote, limits: Limits, *sources: str) -> SandboxSubmission:
    """Load ``sources`` into a fresh child of ``zygote``; the caller closes it."""
    sub = SandboxSubmission(zygote, program(*sources), limits)
    sub.start()
    return sub
