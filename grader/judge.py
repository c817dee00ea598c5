"""Judge one check: run it with its fixtures, and turn what it raised into a verdict.

The check runs here, in the grader's process; the student's functions it calls answer from the
sandbox. A verdict never raises, whatever the check or the student's code did.
"""

from __future__ import annotations

import hashlib
import inspect
import types
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from grader.assignment import Check
from grader.checkbug import CheckBug, find_check_bug
from grader.extract import Program
from grader.redact import hidden_error_message, student_error_message
from grader.results import Outcome
from grader.testing import CheckFailed, StudentCodeError

__all__ = ["Verdict", "judge", "run_check"]

_OUTCOME_BY_KIND: dict[str, Outcome] = {"timeout": "timeout", "missing": "missing"}


class Verdict(NamedTuple):
    """One check's outcome, its full message, and the message a student may see if hidden.

    ``check_bug`` is set when the check's own code failed (see :mod:`grader.checkbug`): the
    outcome is then "error", and the submission is not charged for it.
    """

    outcome: Outcome
    message: str
    public_message: str
    check_bug: str | None = None


# A check function's parameter names, read once per function: inspect.signature costs ~60 us,
# and every submission judges every check. Keyed weakly by the function object itself (its
# identity), so an assignment loaded again gets its own entry and a dropped one leaves none.
_PARAMETERS: weakref.WeakKeyDictionary[Callable[..., None], tuple[str, ...]] = (
    weakref.WeakKeyDictionary()
)


def _parameters(func: Callable[..., None]) -> tuple[str, ...]:
    """The names of ``func``'s parameters, in order (as ``inspect.signature`` gives them)."""
    names = _PARAMETERS.get(func) if isinstance(func, types.FunctionType) else None
    if names is None:
        names = tuple(inspect.signature(func).parameters)
        if isinstance(func, types.FunctionType):
            _PARAMETERS[func] = names
    return names


def _rng_for(check_id: str) -> np.random.Generator:
    seed = int.from_bytes(hashlib.sha256(check_id.encode()).digest()[:8], "little")
    return np.random.default_rng(seed)


def judge(
    check: Check,
    fixtures: dict[str, Any],
    program: Program,
    *,
    root: Path | None = None,
    hints: str = "property",
) -> Verdict:
    """Run one check with the fixtures it asks for; never raises.

    ``public_message`` leaves out what the student's code chose (see :mod:`grader.redact`);
    reports show it instead of ``message`` when the check is hidden. ``hints`` is the
    assignment's hint level: with ``"formula"`` a hidden check's public message keeps the
    formulas its author tagged (``grader.testing.Hint``); with ``"property"`` it says what
    fails and where to look. ``root`` (the assignment's folder) names a check bug's file.
    """
    wanted = _parameters(check.spec.func)
    kwargs = {name: fixtures[name] for name in wanted if name in fixtures}
    if "rng" in wanted:
        kwargs["rng"] = _rng_for(check.id)
    try:
        # Reference computations on a wrong submission's values may overflow (e.g. exp of
        # huge weights); numpy must not turn that into warnings, or errors under -W error.
        with np.errstate(all="ignore"):
            check.spec.func(**kwargs)
    except StudentCodeError as exc:
        outcome = _OUTCOME_BY_KIND.get(exc.kind, "error")
        return Verdict(
            outcome, student_error_message(exc, program), hidden_error_message(exc, program)
        )
    except AssertionError as exc:
        text = str(exc).strip() or "the result is not correct (this check gives no details)"
        public = exc.public_at(hints) if isinstance(exc, CheckFailed) else None
        if public is not None and not public.strip():
            public = "the result is not correct (this hidden check gives no details)"
        return Verdict("failed", text, text if public is None else public.strip())
    except Exception as exc:
        bug = find_check_bug(exc, check.spec.func, root)
        if bug is not None:
            return _check_bug_verdict(bug)
        # A check that could not use the student's value.
        detail = f"{type(exc).__name__}: {exc}"[:200]
        # The exception's text may quote the student's value; its class is the grader's.
        return Verdict(
            "error",
            f"the returned value could not be checked ({detail})",
            f"the returned value could not be checked ({type(exc).__name__})",
        )
    return Verdict("passed", "", "")


def _check_bug_verdict(bug: CheckBug) -> Verdict:
    """A bug in the assignment's own check: say so, and where, and do not charge the student.

    The public message names the exception's class and the check's place, never its message
    (which the grader wrote, but keep a student's report to the grader's fixed words).
    """
    tail = (
        "not in the submission: the submission keeps this check's points; please report it to "
        "the course staff, who should fix the check and regrade"
    )
    return Verdict(
        "error",
        f"this check has a bug in its own code ({bug.exc_type}: {bug.message}, at {bug.place}), "
        f"{tail}",
        f"this check has a bug in its own code ({bug.exc_type} at {bug.place}), {tail}",
        bug.describe(),
    )


def run_check(
    check: Check, fixtures: dict[str, Any], program: Program
) -> tuple[Outcome, str]:
    """Run one check with the fixtures it asks for; never raises. (outcome, full message)."""
    verdict = judge(check, fixtures, program)
    return verdict.outcome, verdict.message
