"""Stand-ins: grade a function with the exercise's versions of the others it calls.

One mistake, one deduction. A student's ``predict`` calls their ``forward_propagation``; if
that one is wrong, ``predict``'s checks would fail too, and the student would pay twice for
one mistake. So while a check calls the student's function F, every other graded function G
that the exercise's F calls is the reference's: the child's global ``G`` is a proxy
(:mod:`grader.sandbox.standin`)
that asks the grader, on the call's channel, to run the reference's G *here*, in the grader's
process, on the arguments it sends as data, and sends the result back. The reference's code
never enters the sandbox.

Only where it matters: each check runs first with the student's own functions (no call
backs, as cheap as without stand-ins), and runs again with stand-ins only when it did not
pass and stand-ins apply to a function it called (:mod:`grader.runner`); the second verdict
counts. A correct notebook therefore never calls back. A wrong F passes the first run only
if a wrong G makes up for F's mistake exactly (two mistakes that cancel): G still loses its
own checks.

The student's own G is used instead (as before stand-ins) when its signature is not the
exercise's (the student's F was written for it), when the call does not bind to the
reference's signature, or when its arguments ask for too much work to do here.

A call back is a new way for the child to make the grader work, so each is bounded: its
arguments' size (the reply's byte limit, on the wire), the number per call (``MAX_CALLBACKS``),
the time (it counts against the call's time limit), the sizes its integers ask for (their
product at most ``max_elements``, the number of float64 values a reply may carry) and the
size of the result sent back.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.sandbox import wire
from grader.testing import Signature

__all__ = ["MAX_CALLBACKS", "StandIns", "calls", "compatible", "draws", "standin_notes"]

MAX_CALLBACKS = 10_000  # per call: nn_model's 150 iterations make about 600
_MAX_MESSAGE = 300
_RNG_LOCK = threading.Lock()  # numpy's global generator is the process's: one user at a time
_NO_STATE = np.random.RandomState(0).get_state()  # a child that sent none: still deterministic


def compatible(reference: Callable[..., Any], student: Signature | None) -> bool:
    """Whether the student's G can be replaced by the reference's without changing its calls.

    True when the student has no G at all, or when its positional parameters are the
    reference's, place by place, up to renames (``params`` for ``parameters``). Unknown names
    count as compatible only with the same number of positional parameters.
    """
    if student is None:
        return True
    try:
        signature = inspect.signature(reference)
    except (TypeError, ValueError):
        return False
    return _fits(_positional_names(signature), student)


def _positional_names(signature: inspect.Signature) -> tuple[str, ...]:
    """The names of the parameters that may be passed by position, in order."""
    return tuple(
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


def _positional_counts(signature: inspect.Signature) -> tuple[int, int] | None:
    """(required, all) when every parameter may be passed by position and those with defaults
    come last; else None (inspect's bind then decides)."""
    params = list(signature.parameters.values())
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return None
    required = sum(1 for p in params if p.default is p.empty)
    if any(p.default is p.empty for p in params[required:]):
        return None
    return required, len(params)


def _fits(names: tuple[str, ...] | None, student: Signature | None) -> bool:
    """:func:`compatible`, given the reference's positional names (None: no signature)."""
    if student is None:
        return True
    if names is None:
        return False
    if student.positional != len(names) or student.varargs:
        return False
    return all(
        mine == theirs or theirs not in student.names
        for mine, theirs in zip(student.names, names, strict=False)
    )


def _too_much(args: object, limit: int) -> bool:
    """Whether the integers in ``args`` (plain, or in small integer arrays), as sizes they may
    ask for, multiply to more than ``limit`` (each counts at least 1; no integer, never).

    Runs on every call back (hundreds per wrong submission): plain recursion, nested no deeper
    than the wire allows, stopping as soon as the product passes ``limit``.
    """
    product = _product(args, 0, 0, limit)
    return product != 0 and product > limit


def _product(value: object, depth: int, product: int, limit: int) -> int:
    """``product`` (0: no integer yet) times the sizes in ``value``; stops once past ``limit``."""
    if depth > wire.MAX_DEPTH or isinstance(value, bool):
        return product
    if isinstance(value, int):
        return max(abs(value), 1) * (product or 1)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu" and value.size <= 1000:
            for number in value.ravel().tolist():
                product = max(abs(number), 1) * (product or 1)
                if product > limit:
                    return product
        return product
    if isinstance(value, list | tuple):
        items: Iterable[object] = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return product
    for item in items:
        product = _product(item, depth + 1, product, limit)
        if product != 0 and product > limit:
            return product
    return product


def _text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."


def _names_used(func: Callable[..., Any], seen: set[int]) -> set[str]:
    """The global names ``func``'s code reads, and those of the module's functions it reads."""
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return set()
    seen.add(id(code))
    codes, names = [code], set()
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes.extend(c for c in current.co_consts if inspect.iscode(c))
    module = getattr(func, "__globals__", {})
    for name in list(names):
        if inspect.isfunction(module.get(name)):
            names |= _names_used(module[name], seen)
    return names


def calls(func: Callable[..., Any], names: Collection[str]) -> set[str]:
    """Which of ``names`` the reference's ``func`` calls (reads), directly or through helpers.

    Only those stand in for the student's F: the exercise's F is written to use them. Any
    other graded function stays the student's own, so a stand-in is never an oracle for a
    function F was not meant to call (its answers on arbitrary inputs).
    """
    return _names_used(func, set()) & set(names)


def draws(func: Callable[..., Any]) -> bool:
    """Whether the reference's ``func`` may draw from numpy's global generator.

    Read from its code (and the code of the functions of its module it names): a name
    ``random`` means ``np.random.<something>``. Only those calls carry the child's random state
    both ways, which costs about 0.5 ms a call; the others (most of them) skip it. The
    reference is the instructor's code: a miss costs only that the grader's own global state
    is used for that call.
    """
    return bool(_names_used(func, set()) & {"random", "default_rng"})


class StandIns:
    """The reference's graded functions, served to one check's calls.

    ``used`` collects the names actually served (run here) since it was last cleared.
    """

    def __init__(
        self, reference: object, names: Sequence[str], *, max_elements: int = 8 << 20
    ) -> None:
        self.functions: dict[str, Callable[..., Any]] = {}
        self._signatures: dict[str, inspect.Signature] = {}
        # The reference's positional parameter names (signatures never change): offer() runs
        # on every call a check makes, and inspect.signature costs ~60 us.
        self._positional: dict[str, tuple[str, ...]] = {}
        # (required, all) for a function of positional parameters only (defaults last): a call
        # back with only positional arguments then binds without inspect's bind (~40 us).
        self._counts: dict[str, tuple[int, int]] = {}
        self.drawing: set[str] = set()  # functions that draw from numpy's global generator
        for name in names:
            func = getattr(reference, name, None)
            if callable(func):
                self.functions[name] = func
                with contextlib.suppress(TypeError, ValueError):
                    self._signatures[name] = inspect.signature(func)
                    self._positional[name] = _positional_names(self._signatures[name])
                    counts = _positional_counts(self._signatures[name])
                    if counts is not None:
                        self._counts[name] = counts
                if draws(func):
                    self.drawing.add(name)
        self.max_elements = max_elements
        self.used: set[str] = set()
        # For each graded function, the others the reference's version calls.
        self.callees = {
            name: calls(func, self.functions) - {name} for name, func in self.functions.items()
        }

    def fresh(self) -> StandIns:
        """The same stand-ins with nothing used yet (cheap: for one check)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)  # a shallow copy, as copy.copy, at a tenth the cost
        other.used = set()
        return other

    def offer(self, caller: str, signatures: Mapping[str, Signature]) -> list[str]:
        """The functions that stand in while the student's ``caller`` runs: those the
        reference's ``caller`` calls, whose student versions have the exercise's signature."""
        callees = self.callees.get(caller, set())
        if not callees:
            return []
        return [
            name
            for name in self.functions
            if name in callees and _fits(self._positional.get(name), signatures.get(name))
        ]

    def serve(self, offered: Collection[str], message: dict[str, Any], max_bytes: int) -> bytes:
        """Answer one call back (already decoded data) with an encoded answer; never raises."""
        answer = self._answer(offered, message)
        try:
            return wire.encode(answer, max_bytes=max_bytes)
        except wire.WireError as exc:
            return wire.encode(
                {
                    "status": "error",
                    "type": "ValueError",
                    "message": f"its result cannot be sent back ({exc.message})",
                    "rng": answer.get("rng"),
                }
            )

    def _answer(self, offered: Collection[str], message: dict[str, Any]) -> dict[str, Any]:
        name, args, kwargs = message.get("name"), message.get("args"), message.get("kwargs")
        if not (isinstance(name, str) and name in offered and name in self.functions):
            return {"status": "error", "type": "RuntimeError", "message": "not a stand-in"}
        if not (isinstance(args, list) and isinstance(kwargs, dict)):
            return {"status": "error", "type": "RuntimeError", "message": "malformed call"}
        func = self.functions[name]
        counts = self._counts.get(name)
        if counts is not None and not kwargs and counts[0] <= len(args) <= counts[1]:
            # What bind() would give: every argument by position, nothing by name.
            call_args: tuple[Any, ...] = tuple(args)
            call_kwargs: dict[str, Any] = {}
        else:
            try:
                bound = self._signatures[name].bind(*args, **kwargs)
            except (TypeError, KeyError) as exc:
                # Called as the student's own G would be, not as the exercise's: theirs answers.
                return {"status": "own", "message": f"{name}() {_text(exc)}"}
            call_args, call_kwargs = bound.args, bound.kwargs
        if _too_much([args, kwargs], self.max_elements):
            return {"status": "own", "message": f"{name}'s arguments ask for too much work"}
        self.used.add(name)
        if name not in self.drawing:
            return _call(func, call_args, call_kwargs)
        with _RNG_LOCK:
            saved = np.random.get_state()
            try:
                np.random.set_state(_valid_state(message.get("rng")) or _NO_STATE)
                answer = _call(func, call_args, call_kwargs)
                answer["rng"] = _state_list(np.random.get_state())
                return answer
            finally:
                np.random.set_state(saved)


def _valid_state(state: object) -> tuple[Any, ...] | None:
    if not (isinstance(state, list) and len(state) == 4):
        return None
    keys, pos, has_gauss, cached = state
    if not (
        isinstance(keys, np.ndarray)
        and keys.dtype == np.uint32
        and keys.shape == (624,)
        and type(pos) is int
        and 0 <= pos <= 624
        and type(has_gauss) is int
        and has_gauss in (0, 1)
        and type(cached) is float
    ):
        return None
    return ("MT19937", keys, pos, has_gauss, cached)


def _call(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Run the reference's function on the child's arguments: its value, or what it raised."""
    try:
        # Reference code may print (print_cost): never onto the grader's own output.
        with np.errstate(all="ignore"), contextlib.redirect_stdout(_Discard()):
            value = func(*args, **kwargs)
    except Exception as exc:
        return {"status": "error", "type": type(exc).__name__, "message": _text(exc)}
    return {"status": "ok", "value": value}


class _Discard(io.TextIOBase):
    """A text stream that keeps nothing."""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return len(s)


def _state_list(state: Any) -> list[Any]:
    _kind, keys, pos, has_gauss, cached = state
    return [np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), float(cached)]


def standin_notes(used: Iterable[tuple[str, Collection[str]]], wrong: Collection[str]) -> list[str]:
    """One note per (function, stand-in) pair where the student's own stand-in was judged wrong.

    ``used`` pairs each check's function with the stand-ins its calls used; ``wrong`` holds
    the functions that lost a check. Only then does the note tell the student something: that
    F's checks judged F alone, and G's mistake is counted in G's checks. (When G is right the
    stand-in changed nothing worth a line.)
    """
    notes: dict[str, None] = {}
    for function, names in used:
        for name in sorted(names):
            if name in wrong:
                notes[
                    f"`{function}` was graded with a correct `{name}` standing in for yours, so "
                    f"that a mistake in `{name}` costs points only in its own checks"
                ] = None
    return list(notes)
