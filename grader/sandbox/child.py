"""The sandboxed child: runs the student's definitions and answers calls.

This module runs only inside a child forked by the zygote. It trusts what the grader sends
and trusts nothing it computes: every reply is plain data built by :mod:`wire`.
"""

from __future__ import annotations

import builtins
import inspect
import io
import os
import random
import signal
import socket
import sys
import time
import traceback
import types
from typing import Any, NoReturn

import numpy as np

from grader.sandbox import confine, frames, isolation, npcompat, wire
from grader.sandbox.loadkinds import KEPT_OUT, OUT_OF_TIME, TOPLEVEL
from grader.sandbox.standin import StandIns

__all__ = ["run_child"]

_MAX_MESSAGE = 600
# Names that top-level code would have bound but that was not run (this child serves one
# program): name -> "cell 5, line 2", and why it was not run.
_NOT_RUN: dict[str, tuple[str, str]] = {}


class _OutOfTime(BaseException):
    """Raised in a top-level statement that outlives its budget (not an Exception, so an
    ``except Exception`` in a training loop does not swallow it)."""


class CappedOutput(io.TextIOBase):
    """A text stream that keeps at most ``cap`` characters and drops the rest."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = False

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.cap - self.size
        if room > 0:
            piece = s[:room]
            self.parts.append(piece)
            self.size += len(piece)
        if len(s) > room:
            self.dropped = True
        return len(s)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def take(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += "\n... (output truncated)"
        self.parts, self.size, self.dropped = [], 0, False
        return text


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = "(the exception's message could not be formatted)"
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + "..."
    return text


def _student_frame(exc: BaseException) -> tuple[str, int, str] | None:
    """The innermost traceback frame that is in student code: (cell, line, function)."""
    found = None
    try:
        for frame in traceback.extract_tb(exc.__traceback__, limit=200):
            if frame.filename.startswith("<cell "):
                found = (frame.filename[6:-1], frame.lineno or 0, frame.name)
    except BaseException:
        return None
    return found


def describe_exception(exc: BaseException, namespace: dict[str, Any]) -> dict[str, Any]:
    """A plain-data description of an exception raised by student code."""
    name = type(exc).__name__ if isinstance(type(exc).__name__, str) else "Exception"
    message = _safe_str(exc)
    frame = _student_frame(exc)
    where = f"cell {frame[0]}, line {frame[1]}" if frame else ""
    missing = getattr(exc, "name", None) if type(exc) is NameError else None
    if isinstance(missing, str) and missing in _NOT_RUN and missing not in namespace and frame:
        place, why = _NOT_RUN[missing]
        message = (
            f"`{frame[2]}` uses the global name `{missing}`, which the notebook's top level "
            f"binds ({place}) but could not be computed there: {why}"
        )
    elif isinstance(missing, str) and missing not in namespace and frame:
        message = (
            f"`{frame[2]}` uses the global name `{missing}`, which the notebook's definitions "
            "do not provide; use only the function's arguments"
        )
    status = "memory" if isinstance(exc, MemoryError) else "exception"
    return {"status": status, "type": name, "message": message, "where": where}


def _signature(obj: Any) -> list[Any]:
    """``[positional, required, varargs, names, positional_only, keyword_only]``."""
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return [0, 0, True]
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(1 for p in pos if p.default is p.empty)
    return [
        len(pos),
        required,
        any(p.kind == p.VAR_POSITIONAL for p in params),
        [p.name for p in pos],
        sum(1 for p in pos if p.kind == p.POSITIONAL_ONLY),
        [p.name for p in params if p.kind == p.KEYWORD_ONLY],
    ]


def _import_warning(exc: BaseException, source: str) -> str:
    if isinstance(exc, ModuleNotFoundError) and isinstance(exc.name, str):
        return f"import of '{exc.name}' failed: module not installed"
    first = source.strip().splitlines()[0][:80] if source.strip() else source
    return f"`{first}` failed: {type(exc).__name__}: {_safe_str(exc)}"


def _on_alarm(signum: int, frame: Any) -> None:
    raise _OutOfTime


def _run_bounded(code: types.CodeType, namespace: dict[str, Any], seconds: float) -> None:
    """Run ``code``, interrupted with :class:`_OutOfTime` after ``seconds``."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        exec(code, namespace)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_toplevel(
    source: str,
    cell: Any,
    lineno: Any,
    names: list[Any],
    namespace: dict[str, Any],
    left: float,
    budget_s: float,
    kind: str = TOPLEVEL,
) -> tuple[str | None, bool]:
    """Run one top-level statement a function needs within ``left`` seconds.

    Returns why it did not run to the end (None when it did; its names then keep earlier
    values, or are noted in _NOT_RUN), and whether that was for lack of time.
    """
    why, out_of_time = None, False
    late = f"it did not finish within the {budget_s:g} s the grader allows top-level code"
    if kind == KEPT_OUT:
        why = "it stopped the sandbox from loading the notebook (it ran past the load time limit)"
    elif kind == OUT_OF_TIME:  # on an earlier load of the same program
        why = late
    elif left <= 0:
        why = f"the {budget_s:g} s the grader allows top-level code were used up before it"
        out_of_time = True
    else:
        try:
            code = compile("\n" * (int(lineno) - 1) + source, f"<cell {cell}>", "exec")
            _run_bounded(code, namespace, left)
        except _OutOfTime:
            why, out_of_time = late, True
        except BaseException as exc:
            missing = getattr(exc, "name", None) if type(exc) is NameError else None
            if isinstance(missing, str) and missing in _NOT_RUN:
                why = f"it reads `{missing}`, which was not computed either"
            else:
                kind = type(exc).__name__ if isinstance(type(exc).__name__, str) else "Exception"
                why = f"it raised {kind}"
    for name in names:
        if not isinstance(name, str):
            continue
        if why is None or name in namespace:
            _NOT_RUN.pop(name, None)
        else:
            _NOT_RUN[name] = (f"cell {cell}, line {lineno}", why)
    return why, out_of_time


def load_program(
    units: list[Any],
    namespace: dict[str, Any],
    budget_s: float = 0.0,
    abandoned: list[int] | None = None,
) -> list[str]:
    """Execute the program's units in order; return warnings for the units that failed.

    Units of kind ``"toplevel"`` (top-level statements a function needs) share ``budget_s``
    seconds of wall clock: each gets what the ones before it left. The indices of those that
    ran out of time and bound none of their names are appended to ``abandoned`` (a later load
    need not wait for them).
    """
    warnings: list[str] = []
    deadline = time.monotonic() + budget_s
    seeded = False
    for index, (kind, source, cell, lineno, names) in enumerate(units):
        if kind in (TOPLEVEL, KEPT_OUT, OUT_OF_TIME):
            if not seeded:  # top-level draws (`W = np.random.randn(2, 3)`): the same every load
                np.random.seed(0)
                random.seed(0)
                seeded = True
            left = deadline - time.monotonic()
            # No warning when it fails: only a function that then misses a name says so.
            _, late = _run_toplevel(source, cell, lineno, names, namespace, left, budget_s, kind)
            # Only one that left all its names unbound: skipping it gives the same namespace.
            if late and abandoned is not None and not any(n in namespace for n in names):
                abandoned.append(index)
            continue
        try:
            code = compile("\n" * (int(lineno) - 1) + source, f"<cell {cell}>", "exec")
            exec(code, namespace)
        except BaseException as exc:
            if kind == "import":
                warnings.append(_import_warning(exc, source))
            else:
                what = ", ".join(names) or "a definition"
                info = describe_exception(exc, namespace)
                warnings.append(
                    f"cell {cell}, line {lineno}: defining {what} failed: "
                    f"{info['type']}: {info['message']}"
                )
    return warnings


def _functions(namespace: dict[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, value in list(namespace.items())[:2000]:
        if isinstance(key, str) and callable(value) and not isinstance(value, types.ModuleType):
            out[key] = _signature(value)
    return out


class _Server:
    def __init__(self, sock: socket.socket, limits: dict[str, Any]) -> None:
        self.sock = sock
        self.limits = limits
        self.output = CappedOutput(int(limits["output_chars"]))
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        self.max_bytes = int(limits["result_mb"]) * 1024 * 1024
        self.numpy_aliases = False
        # The exercise's functions in place of the student's, answered by the grader.
        self.reader = frames.FrameReader(sock)  # the one reader of the channel
        self.standins = StandIns(self.reader, self.max_bytes)

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self._handle(request)
        if self.numpy_aliases:
            # Uses at call time count too: every reply carries them all (a few at most).
            response["numpy_aliases"] = npcompat.uses()
        return response

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "load":
            if request.get("numpy") == "1" and not self.numpy_aliases:
                npcompat.install(np)  # before the program: its imports and top level use them
                self.numpy_aliases = True
            budget = request.get("budget_s")
            budget_s = float(budget) if isinstance(budget, (int, float)) else 0.0
            abandoned: list[int] = []
            warnings = load_program(request["units"], self.namespace, budget_s, abandoned)
            return {
                "status": "ok",
                "warnings": warnings,
                "functions": _functions(self.namespace),
                "abandoned": abandoned,
            }
        if op == "call":
            # Seed the global generators so that unseeded student code gives the same verdict
            # on every run (the seed comes from the grader and depends on the call order).
            seed = int(request.get("seed", 0)) % (2**32)
            np.random.seed(seed)
            random.seed(seed)
            names = request.get("standins")
            standins = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
            draws = request.get("draws")
            drawing = {n for n in draws if isinstance(n, str)} if isinstance(draws, list) else set()
            with self.standins.installed(self.namespace, standins, drawing, request.get("id")):
                return self.call(request["name"], request["args"], request["kwargs"])
        return {"status": "exception", "type": "ProtocolError", "message": f"unknown op {op}"}

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        func = self.namespace.get(name)
        if not callable(func):
            return {"status": "missing", "message": f"no function `{name}` is defined"}
        try:
            return {"status": "ok", "value": func(*args, **kwargs)}
        except BaseException as exc:
            return describe_exception(exc, self.namespace)

    def reply(self, response: dict[str, Any], request_id: Any = None) -> bytes:
        response["output"] = self.output.take()
        response["id"] = request_id  # the grader takes only a reply that echoes its request
        try:
            return wire.encode(response, max_bytes=self.max_bytes)
        except wire.WireError as exc:
            return wire.encode(
                {"status": exc.kind, "message": exc.message, "output": "", "id": request_id}
            )
        except BaseException as exc:
            info = describe_exception(exc, self.namespace)
            info["status"] = "unsupported"
            info["message"] = f"the returned value could not be read: {info['message']}"
            info["id"] = request_id
            return wire.encode(info)

    def serve(self) -> None:
        while True:
            frame = self.reader.recv(max_bytes=1 << 40)
            if frame is None:
                return
            request = wire.decode(frame, max_bytes=1 << 40)
            sys.stdout = sys.stderr = self.output
            payload = self.reply(self.handle(request), request.get("id"))
            frames.send_frame(self.sock, payload)


def run_child(
    chan_fd: int, workdir: str, limits: dict[str, Any], plan: isolation.Plan, uid: int
) -> NoReturn:
    """Entry point in the forked child: confine, then serve requests until EOF."""
    code = 0
    try:
        confine.enter_sandbox(workdir, limits, plan, uid, chan_fd)
        sock = socket.socket(fileno=chan_fd)
        _Server(sock, limits).serve()
    except BaseException:
        code = 70
    os._exit(code)
