"""The words a check result uses when student code fails, and what a student may see of them.

A hidden check's inputs must never reach a student-facing report. Student code can carry them
out in any text it controls: an exception's message (``raise ValueError(repr(X))``), the name
of an exception class made at run time, an exit status, or a fake ``<cell ...>`` file name in
a traceback. So every failure gets two texts: :func:`student_error_message`, the whole story,
kept in the instructor's reports, and :func:`hidden_error_message`, the version a student sees
for a hidden check, built from the grader's own words and from facts checked against a fixed
set (builtin exception names, the notebook's real cells and lines).
"""

from __future__ import annotations

import builtins
import re

from grader.extract import Program
from grader.testing import StudentCodeError
from grader.toplevel import BUDGET_S, top_level_reads

__all__ = [
    "MESSAGE_WITHHELD",
    "hidden_error_message",
    "safe_exception_name",
    "safe_where",
    "student_error_message",
]

STUB_HINT = (
    "`{name}` is not implemented yet: the code between `# YOUR CODE STARTS HERE` and "
    "`# YOUR CODE ENDS HERE` is still empty ({error})"
)
MESSAGE_WITHHELD = (
    "its message is not shown for a hidden check, as it could contain the check's inputs; "
    "try the function on inputs of your own, of other sizes"
)
_WHERE = re.compile(r"cell (\d{1,6}), line (\d{1,7})")
_EXIT_STATUS = re.compile(r" ?\(exit status -?\d+\)")
# The sandbox's words for a NameError on a global (grader/sandbox/child.py).
_NO_GLOBAL = re.compile(
    r"`(\w+)` uses the global name `(\w+)`, which the notebook's definitions do not provide; "
    r"use only the function's arguments"
)
_NAMED_UNREADABLE = 2  # lost definitions a hidden check's NameError names at most
# Exception classes whose names a student cannot choose: Python's own and numpy's.
_KNOWN_EXCEPTIONS = frozenset(
    name
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
) | {"LinAlgError", "AxisError", "DTypePromotionError", "TooHardError"}


def student_error_message(exc: StudentCodeError, program: Program) -> str:
    """The full message for a call that produced no value (what the instructor sees).

    Args:
        exc: the failure, as the submission fixture raised it.
        program: the submission's program (to tell an empty stub from a real bug).

    Returns:
        A sentence naming the function; a stub hint leads when the function is still a stub,
        and a missing function that a syntax error hid is reported as that syntax error.
    """
    message = exc.message
    if exc.kind == "missing":
        lost = program.unreadable.get(exc.function)
        if lost is not None:
            # The student's own line and the parser's words: no hidden input can be in them.
            message = (
                f"`{exc.function}` could not be read: {lost.describe()}; fix it, then run the "
                "cell again"
            )
        else:
            message = (
                f"no function `{exc.function}` was found in the notebook: define it, with "
                "exactly this name, in a code cell"
            )
    elif exc.kind == "exception" and (match := _NO_GLOBAL.match(message)):
        lost = program.unreadable.get(match[2])
        if lost is not None:  # the name is a definition a syntax error hid: that is the cause
            place = message[match.end() :].strip()  # " (cell 30, line 43)" from the runner
            place = f" {place}" if place else ""
            message = (
                f"`{match[1]}` uses `{match[2]}`{place}, which could not be read: "
                f"{lost.describe()}"
            )
    return _with_stub_hint(exc, program, message)


def hidden_error_message(exc: StudentCodeError, program: Program) -> str:
    """What a student sees of ``exc`` in a hidden check: nothing the student's code chose.

    The function's name, the exception's class (when it is a builtin or numpy one), the cell
    and line (when they are a real place in the notebook) and the grader's own explanation
    stay; the exception's message, exit statuses and returned types' names go.

    Args:
        exc: the failure, as the submission fixture raised it.
        program: the submission's program (its cells bound the place that may be named).

    Returns:
        A sentence safe to show to the student.
    """
    name = exc.function
    where = safe_where(exc.where, program)
    place = f" ({where})" if where else ""
    if exc.kind == "exception":
        cause = ""
        if exc.exc_type == "NameError" and program.unreadable:
            # Which name was missing is in the withheld message; the notebook's own syntax
            # errors are not, and are the likely cause.
            lost = list(program.unreadable.values())[:_NAMED_UNREADABLE]
            cause = "; the notebook has definitions that could not be read: " + "; ".join(
                f"`{u.name}` ({u.describe()})" for u in lost
            )
        elif exc.exc_type == "NameError":
            cause = _top_level_cause(exc.function, program)
        message = (
            f"`{name}` raised {safe_exception_name(exc.exc_type)}{place}{cause}; "
            f"{MESSAGE_WITHHELD}"
        )
        return _with_stub_hint(exc, program, message)
    if exc.kind == "memory":
        return f"`{name}` exceeded the memory limit{place}"
    if exc.kind == "unsupported":
        return (
            f"`{name}` returned a value the grader cannot use: return numbers, strings, lists, "
            "tuples, dicts with string keys or numpy arrays of numbers"
        )
    if exc.kind == "too_large":
        return f"`{name}` returned a value too large for the grader"
    if exc.kind in ("exit", "crash"):
        return _EXIT_STATUS.sub("", exc.message)
    return student_error_message(exc, program)  # timeout, missing: the grader's own words


def _top_level_cause(function: str, program: Program) -> str:
    """For a NameError: the names ``function`` reads that only top-level code binds (from the
    notebook's source, never from the withheld message), and where."""
    kept = {name for unit in program.units for name in unit.names}
    found = top_level_reads(kept, program.reads, program.deferred, function)
    if not found:
        return ""
    named = "; ".join(f"`{name}` (cell {d.cell}, line {d.lineno})" for name, d in found)
    return (
        f"; it reads names that only top-level code binds: {named}; if that code raised, or "
        f"ran past the {BUDGET_S:g} s the grader allows it, the name is missing"
    )


def safe_exception_name(name: str) -> str:
    """``name`` if it is a builtin or numpy exception class, else a neutral description."""
    return name if name in _KNOWN_EXCEPTIONS else "an exception of a class of its own"


def safe_where(where: str, program: Program) -> str:
    """``where`` (``"cell 3, line 7"``) if that line holds one of the program's statements.

    The sandbox reports the innermost frame whose file name starts with ``<cell ``, and
    student code can compile code under any such name and line number; only a place that
    really is in the notebook's definitions is named.
    """
    match = _WHERE.fullmatch(where)
    if match is None:
        return ""
    cell, line = int(match[1]), int(match[2])
    for unit in program.units:
        last = unit.lineno + unit.source.rstrip("\n").count("\n")
        if unit.cell == cell and unit.lineno <= line <= last:
            return where
    return ""


def _with_stub_hint(exc: StudentCodeError, program: Program, message: str) -> str:
    info = program.functions.get(exc.function)
    if exc.kind == "exception" and info is not None and info.stub_empty:
        # Lead with the cause a student can act on; the error follows for reference.
        return STUB_HINT.format(name=exc.function, error=message)
    return message
