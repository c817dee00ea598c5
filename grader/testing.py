"""What assignment test modules use: the ``@check`` decorator and the submission interface.

A test module is plain Python that the grader imports in its own (trusted) process::

    from grader.testing import check, CheckFailed

    @check("initialize_parameters", "shapes", points=5)
    def shapes(submission, reference, rng):
        params = submission.initialize_parameters(3, 5, 2)
        ...

A check asks for any of three fixtures by parameter name:

- ``submission``: proxies to the student's functions, which run in the sandbox. Arguments
  and results cross the boundary as data (copies). A call that fails in the student's code
  raises :class:`StudentCodeError`; let it propagate, the runner turns it into the outcome.
  Pass arguments in the order of the release's stub: the grader binds them by the stub's
  parameter names where the student's signature has them (:mod:`grader.binding`). A check
  runs first with the student's functions; if it does not pass, it runs again with the
  reference's versions of the other graded functions that the exercise's version of the
  called function calls (:mod:`grader.standins`), and that run's verdict counts
  (``@check(..., standins=False)`` or ``[standins] off`` in assignment.toml to grade the
  student's functions together only). Both runs get the same ``rng`` draws.
- ``reference``: the reference solution's functions (trusted, run in the grader).
- ``rng``: a ``numpy.random.Generator`` seeded from the check's id, so verdicts are
  deterministic.

Since a check's inputs come from its seed, it asks ``reference`` the same questions for every
submission: those answers are remembered across submissions (by the arguments' content, so a
question about a student's values is answered afresh; :mod:`grader.memo`). A check's own
costly helper of the same kind (a finite-difference gradient of the reference's cost on the
check's inputs) can be remembered too with ``@memoised``.

A check passes by returning; it fails by raising ``CheckFailed`` (or ``AssertionError``) with a
message the student can act on. Hidden checks must not put expected values into messages, nor
anything the student's function chose: its returned values, or numbers computed from them
(counts, differences, statistics), since a function that returns or encodes its arguments
would show the hidden inputs. Nor may they show the inputs themselves: the sizes, rates,
seeds and iteration counts a hidden check passes, or shapes computed from them; the public
version names them in symbols (``initialize_parameters(n_x, n_h, n_y)``, ``(n_h, n_x)``).
A message that needs such details for the instructor gives the student a ``public`` version
without them: ``CheckFailed(full, public=without_values)``. The ``grader.expect`` helpers do
this themselves, given a ``grader.expect.Name`` for a name that shows the inputs and
``names=`` for a shape.

Hint levels. Advice that would hand out the answer's formula is a :func:`hint`:
``hint(property="check the derivative of tanh", formula="dZ1 = ... * (1 - A1**2)")``. Pass it as
any helper's ``hint=``: the instructor's message always has both; what a student sees of a
hidden check follows the assignment's ``hints`` setting (``assignment.toml``): ``"property"``
(the default) gives only the property, what fails and where to look; ``"formula"`` adds the
formula. A hand-written failure gives both public forms:
``CheckFailed(full, public=without_formula, public_formula=with_formula)``.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from grader.memo import memoised

__all__ = [
    "HINT_LEVELS",
    "CheckFailed",
    "CheckSpec",
    "Hint",
    "HintLevel",
    "LocalSubmission",
    "Signature",
    "StudentCodeError",
    "Submission",
    "check",
    "checks_in",
    "hint",
    "memoised",
]

F = TypeVar("F", bound=Callable[..., Any])
_ABSENT = object()
_ATTR = "__grader_check__"

FailureKind = Literal[
    "exception", "timeout", "crash", "exit", "unsupported", "too_large", "missing", "memory"
]


HintLevel = Literal["property", "formula"]
HINT_LEVELS: tuple[HintLevel, ...] = ("property", "formula")


class Hint(str):
    """Advice in two levels; as a string, the whole of it (``"<property>: <formula>"``).

    ``advice`` says what property fails and where to look; ``formula`` is the formula that
    gives the answer. Make one with :func:`hint`.
    """

    advice: str
    formula: str

    def __new__(cls, advice: str, formula: str) -> Hint:
        text = super().__new__(cls, f"{advice}: {formula}" if formula else advice)
        text.advice = advice
        text.formula = formula
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # Copies and pickles rebuild both parts, not the joined text.
        return (self.advice, self.formula)

    def at(self, level: str) -> str:
        """The text a student sees of a hidden check at hint ``level``."""
        return str(self) if level == "formula" else self.advice


def hint(*, property: str, formula: str) -> Hint:
    """Advice for ``hint=``: ``property`` (what fails, where to look) and the ``formula``."""
    return Hint(property, formula)


class CheckFailed(AssertionError):
    """A check found the student's function wrong. The message is shown to the student.

    ``public``, when given, is what a student sees when the check is hidden: the message
    without the details the student's code chose (values, counts, statistics). The full
    message stays in the instructor's reports. ``public_formula``, when given, is the public
    message for an assignment whose ``hints`` setting is ``"formula"``: ``public`` then leaves
    the formula out (see :func:`hint`).
    """

    def __init__(
        self,
        message: str = "",
        *,
        public: str | None = None,
        public_formula: str | None = None,
    ) -> None:
        super().__init__(message)
        self.public = public
        self.public_formula = public_formula

    def public_at(self, level: str) -> str | None:
        """The public message at hint ``level`` (``"property"`` or ``"formula"``)."""
        if level == "formula" and self.public_formula is not None:
            return self.public_formula
        return self.public


class StudentCodeError(Exception):
    """Calling a student function did not produce a value.

    ``kind`` says why: the function raised (``exception``), ran out of time (``timeout``),
    crashed or was killed (``crash``), exited (``exit``), returned something that cannot
    cross the boundary (``unsupported``/``too_large``), ran out of memory (``memory``) or
    does not exist (``missing``). ``message`` is a student-facing sentence that names the
    function, already truncated. For ``exception`` and ``memory``, ``exc_type`` is the
    exception's class name and ``where`` its place in the notebook (``"cell 3, line 7"``),
    both as the sandbox reported them (untrusted text), so a hidden check's report can show
    them without the exception's message.
    """

    def __init__(
        self,
        function: str,
        kind: FailureKind,
        message: str,
        *,
        exc_type: str = "",
        where: str = "",
    ) -> None:
        super().__init__(message)
        self.function = function
        self.kind: FailureKind = kind
        self.message = message
        self.exc_type = exc_type
        self.where = where


@dataclass(frozen=True)
class Signature:
    """The shape of a student function's parameter list, and its names when known.

    ``names`` are the positional parameters' names (empty when unknown), the first
    ``positional_only`` of which cannot be passed by name; ``keyword_only`` the names after
    ``*``. The grader uses the names only to bind a check's arguments as the exercise's stub
    names them (:mod:`grader.binding`).
    """

    positional: int  # parameters that can be passed positionally
    required: int  # positional parameters without a default
    varargs: bool  # has *args
    names: tuple[str, ...] = ()
    positional_only: int = 0
    keyword_only: tuple[str, ...] = ()

    def accepts(self, n: int) -> bool:
        """True when calling with ``n`` positional arguments binds without a TypeError."""
        return self.required <= n and (self.varargs or n <= self.positional)


class Submission(Protocol):
    """The ``submission`` fixture: ``submission.<name>(*args)`` calls the student's function."""

    def __getattr__(self, name: str) -> Callable[..., Any]: ...

    def has(self, name: str) -> bool:
        """True when the student's program defines a callable ``name``."""
        ...

    def signature(self, name: str) -> Signature:
        """The parameter shape of ``name``; raises StudentCodeError(kind="missing") if absent."""
        ...


@dataclass(frozen=True)
class CheckSpec:
    """One registered check: ``<function>.<name>`` worth ``points``."""

    function: str
    name: str
    points: float
    func: Callable[..., None]
    # A check that fails is run again with the reference's versions of the other graded
    # functions standing in for the student's (grader.standins); False grades the student's
    # functions together only.
    standins: bool = True

    @property
    def id(self) -> str:
        """The stable test id, ``<function>.<name>``."""
        return f"{self.function}.{self.name}"


def check(function: str, name: str, *, points: float, standins: bool = True) -> Callable[[F], F]:
    """Register the decorated function as the check ``<function>.<name>``.

    A check that does not pass with the student's functions runs again, with the exercise's
    (reference) versions of the other graded functions the called one calls standing in for
    the student's, and that second verdict counts, so that one mistake costs points once (see
    :mod:`grader.standins`). ``standins=False`` turns that off for this check (as does
    ``[standins] off`` in assignment.toml): it then grades the student's functions together,
    as they call each other.
    """
    if not function.isidentifier() or not name.replace("_", "a").isalnum():
        raise ValueError(f"bad check id {function}.{name}")
    if points < 0:
        raise ValueError("points must be >= 0")

    def decorate(func: F) -> F:
        setattr(func, _ATTR, CheckSpec(function, name, float(points), func, standins))
        return func

    return decorate


def checks_in(namespace: dict[str, Any]) -> list[CheckSpec]:
    """The checks registered in a module namespace, in definition order."""
    return [getattr(v, _ATTR) for v in namespace.values() if hasattr(v, _ATTR)]


class LocalSubmission:
    """An in-process ``submission`` over plain functions: for authoring and unit-testing checks.

    It deep-copies arguments and results like the sandbox boundary does, but gives **no**
    isolation: never use it to grade student code.

    With ``standins`` (the reference's functions) and ``namespace`` (the globals the wrapped
    functions read), a call to ``f`` runs with the reference's version of every other function
    of ``standins`` in ``namespace``, as the sandbox does in a check's second run
    (:mod:`grader.standins`): always, so a check's author sees the run with stand-ins.
    """

    def __init__(
        self,
        functions: dict[str, Callable[..., Any]],
        *,
        namespace: dict[str, Any] | None = None,
        standins: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        self._functions = dict(functions)
        self._namespace = namespace
        self._standins = dict(standins or {})

    def has(self, name: str) -> bool:
        """True when ``name`` is one of the wrapped functions."""
        return callable(self._functions.get(name))

    def signature(self, name: str) -> Signature:
        """The parameter shape of ``name``."""
        import inspect

        func = self._lookup(name)
        params = list(inspect.signature(func).parameters.values())
        pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return Signature(
            positional=len(pos),
            required=sum(1 for p in pos if p.default is p.empty),
            varargs=any(p.kind == p.VAR_POSITIONAL for p in params),
            names=tuple(p.name for p in pos),
            positional_only=sum(1 for p in pos if p.kind == p.POSITIONAL_ONLY),
            keyword_only=tuple(p.name for p in params if p.kind == p.KEYWORD_ONLY),
        )

    @contextlib.contextmanager
    def _standing_in(self, caller: str) -> Iterator[None]:
        from grader.standins import calls, compatible  # it imports this module

        namespace, saved = self._namespace, {}
        reference = self._standins.get(caller)
        if namespace is not None and reference is not None:
            callees = calls(reference, self._standins) - {caller}
            for name, func in self._standins.items():
                own = self._functions.get(name)
                if name in callees and compatible(func, self.signature(name) if own else None):
                    saved[name] = namespace.get(name, _ABSENT)
                    namespace[name] = func
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is _ABSENT:
                    del namespace[name]  # type: ignore[union-attr]
                else:
                    namespace[name] = old  # type: ignore[index]

    def _lookup(self, name: str) -> Callable[..., Any]:
        func = self._functions.get(name)
        if not callable(func):
            raise StudentCodeError(name, "missing", f"no function `{name}` is defined")
        return func

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        func = self._lookup(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                with self._standing_in(name):
                    result = func(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            except Exception as exc:
                raise StudentCodeError(
                    name,
                    "exception",
                    f"`{name}` raised {type(exc).__name__}: {exc}",
                    exc_type=type(exc).__name__,
                ) from exc
            return copy.deepcopy(result)

        return call
