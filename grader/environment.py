"""What an assignment needs from the grader's environment, and who is told when it is missing.

An assignment lists in ``requires`` the modules its notebooks and helpers import
(``requires = ["matplotlib"]`` for plotting). Whether each one imports is checked once per
:class:`~grader.runner.Grader`, in the sandbox itself (a child loading only ``import <module>``),
since that is where students' imports run. A missing one is the instructor's to fix: it becomes
one run-level warning (terminal and summary), and the matching import failure is left out of
every student's warnings, where it would only blame each student for the machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from grader.extract import Program, Unit
from grader.sandbox.host import Zygote
from grader.sandbox.limits import Limits
from grader.session import LoadFailure, SandboxSubmission

__all__ = [
    "missing_requirements",
    "not_students_fault",
    "requirement_warning",
]

_NOT_INSTALLED = re.compile(r"import of '([\w.]+)' failed: ")
_STATEMENT = re.compile(r"`(?:import|from)\s+([\w.]+)")
_REASON = 200


def missing_requirements(
    zygote: Zygote, modules: Sequence[str], limits: Limits
) -> dict[str, str]:
    """The modules of ``modules`` that do not import in the sandbox, each with the reason.

    Each is imported alone in a fresh child (a fork of the pre-warmed zygote: milliseconds).
    """
    missing: dict[str, str] = {}
    for module in modules:
        unit = Unit("import", (module.split(".")[0],), f"import {module}", 1, 1)
        probe = SandboxSubmission(zygote, Program((unit,), {}), limits)
        try:
            probe.start()
            if probe.warnings:
                missing[module] = probe.warnings[0]
        except LoadFailure as exc:
            missing[module] = f"the sandbox could not load it: {exc}"
        finally:
            probe.close()
    return missing


def requirement_warning(module: str, reason: str) -> str:
    """The instructor's run-level warning for one missing module."""
    return (
        f"the assignment requires '{module}', which cannot be imported where the notebooks' "
        f"code runs ({reason[:_REASON]}): install it in the grader's environment. Notebooks "
        "are graded without that import, and no student's feedback blames them for it"
    )


def _overlaps(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".") or module.startswith(name + ".")


def not_students_fault(warning: str, missing: Mapping[str, str]) -> bool:
    """Whether a student's ``warning`` is the failed import of a module the machine lacks.

    ``missing`` maps each such module to the warning its own import gave in the sandbox: the
    same warning from a student's import (a dependency of it missing, ``import of 'kiwisolver'
    failed``) is the machine's too.
    """
    if warning in missing.values():
        return True
    match = _NOT_INSTALLED.match(warning) or _STATEMENT.match(warning)
    return match is not None and any(_overlaps(match.group(1), m) for m in missing)
