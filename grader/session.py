"""One submission's sandbox session: the student's program loaded in a child, called by name.

:class:`SandboxSubmission` is the ``submission`` fixture that checks use. Every call crosses
the boundary as data; a call that fails becomes a :class:`StudentCodeError`. After a timeout or
crash the child is discarded and a fresh one (same program) serves the next call, so one
broken function never costs the others their points. A function that timed out is not
called again in the same submission: its later calls fail at once as timed out, so an endless
loop costs one time limit per function, not one per check (once more with stand-ins: a
function that loops only because the student's helper does may still pass then).

Stand-ins (:mod:`grader.standins`) are used only when the runner asks (:meth:`standing_in`):
a check is graded first with the student's own functions, which costs nothing extra, and
again with stand-ins only when it did not pass and :attr:`wanted` says they apply.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from grader.binding import bind, signature_warning
from grader.extract import Program
from grader.redact import safe_where
from grader.sandbox import npcompat
from grader.sandbox.host import ChildFailure, ChildProcess, Zygote
from grader.sandbox.limits import Limits
from grader.sandbox.loadkinds import KEPT_OUT, OUT_OF_TIME, TOPLEVEL
from grader.standins import MAX_CALLBACKS, StandIns
from grader.testing import FailureKind, Signature, StudentCodeError
from grader.toplevel import BUDGET_S, select

__all__ = ["LoadFailure", "SandboxSubmission"]

_KINDS: dict[str, FailureKind] = {
    "timeout": "timeout",
    "crash": "crash",
    "exit": "exit",
    "too_large": "too_large",
    "corrupt": "crash",
    "unsupported": "unsupported",
    "memory": "memory",
    "missing": "missing",
    "exception": "exception",
    "callbacks": "crash",
}


_MAX_PARAMETERS = 10_000
# Names beyond these bounds are not believed (the function is then called positionally).
_MAX_NAMES, _MAX_NAME = 64, 64
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class LoadFailure(Exception):
    """The program's definitions could not be loaded at all (the child hung or died)."""


def _text(reply: dict[str, Any], key: str, limit: int = 2000) -> str:
    value = reply.get(key, "")
    return value[:limit] if isinstance(value, str) else ""


def _signature(sig: object) -> Signature | None:
    """``[positional, required, varargs, names, positional_only, keyword_only]`` as the child
    sends it, or None if malformed. Names that are not plain, short identifiers (or do not
    match the counts) are dropped: the function is then called positionally, as before."""
    if not (isinstance(sig, list) and len(sig) in (3, 6)):
        return None
    positional, required, varargs = sig[:3]
    if type(positional) is not int or type(required) is not int or type(varargs) is not bool:
        return None
    if not 0 <= required <= positional <= _MAX_PARAMETERS:
        return None
    names = _names(sig[3]) if len(sig) == 6 else None
    keyword_only = _names(sig[5]) if len(sig) == 6 else None
    only = sig[4] if len(sig) == 6 else 0
    if (
        names is None
        or keyword_only is None
        or len(names) != positional
        or type(only) is not int
        or not 0 <= only <= positional
        or len(set(names) | set(keyword_only)) != len(names) + len(keyword_only)
    ):
        return Signature(positional, required, varargs)
    return Signature(positional, required, varargs, names, only, keyword_only)


def _names(value: object) -> tuple[str, ...] | None:
    """Parameter names as the child sends them: plain identifiers, bounded; else None."""
    if not (isinstance(value, list) and len(value) <= _MAX_NAMES):
        return None
    if not all(type(n) is str and len(n) <= _MAX_NAME and _IDENTIFIER.fullmatch(n) for n in value):
        return None
    return tuple(value)


def _written_at(name: str, cell: object, line: object, program: Program) -> str | None:
    """Where the notebook writes alias ``name``: ``"cell 3, line 7"``, ``""`` if not there.

    None when the notebook's source never writes the name: then the child's report is not
    believed at all. So forged reports can choose only among aliases, and lines, that the
    notebook really writes, which leaves no room to spell out a hidden check's inputs.
    """
    word = re.compile(rf"\b{re.escape(name)}\b")
    if not any(word.search(unit.source) for unit in program.units):
        return None
    if type(cell) is not int or type(line) is not int:
        return ""
    where = safe_where(f"cell {cell}, line {line}", program)
    for unit in program.units if where else ():
        lines = unit.source.splitlines()
        if unit.cell == cell and 0 <= line - unit.lineno < len(lines):
            return where if word.search(lines[line - unit.lineno]) else ""
    return ""


def _toplevel_units(program: Program, stubs: Mapping[str, object]) -> list[list[Any]]:
    """The top-level statements the graded functions need run, as load units
    (``[kind, source, cell, lineno, names]``, kind ``"toplevel"``); usually none."""
    if not program.deferred:
        return []
    roots = list(stubs) or list(program.reads)
    kept = {name for unit in program.units for name in unit.names}
    chosen = select(kept, program.reads, program.deferred, roots)
    return [[TOPLEVEL, d.source, d.cell, d.lineno, list(d.names)] for d in chosen]


class SandboxSubmission:
    """The ``submission`` fixture: proxies to the student's functions in a sandboxed child."""

    def __init__(
        self,
        zygote: Zygote,
        program: Program,
        limits: Limits,
        numpy: str = "2",
        stubs: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._zygote = zygote
        # The release's parameter names per function: checks pass arguments in that order.
        self._stubs = dict(stubs or {})
        self._bindings: dict[str, str] = {}  # function -> warning, once each
        # The exercise's functions that may stand in for the student's others (set per check
        # by begin_check), used only inside standing_in().
        self.standins: StandIns | None = None
        self._standing_in = False
        # Functions called this check (without stand-ins) that stand-ins would have applied to.
        self.wanted: set[str] = set()
        self.callbacks = 0  # call backs served (stand-ins run here), over the submission
        self._check_calls = 0  # self._calls when the running check began
        self._program = program
        self._numpy = numpy  # the numpy the course targets: "1" brings back numpy 1's aliases
        self._aliases: dict[str, str] = {}  # numpy 1 alias -> where it was first used
        self._units = [[u.kind, u.source, u.cell, u.lineno, list(u.names)] for u in program.units]
        self._units += _toplevel_units(program, self._stubs)
        self._limits = limits
        self._child: ChildProcess | None = None
        self._output: list[str] = []
        self._calls = 0
        self.seed = 0
        self.signatures: dict[str, Signature] = {}
        self._timed_out: dict[str, str] = {}
        self._timed_out_standing: dict[str, str] = {}  # the same, for calls with stand-ins
        self.warnings: list[str] = []

    def begin_check(
        self, seed: int, standins: StandIns | None, *, first_calls: int | None = None
    ) -> None:
        """Start a check: its seed, and the stand-ins it may be graded with again.

        ``first_calls`` is :attr:`check_calls` as it was when the check first began, for a
        second run that comes after other checks (its calls then get the first run's seeds).
        """
        self.seed = seed
        self.standins = standins
        self._standing_in = False
        self.wanted = set()
        self._check_calls = self._calls if first_calls is None else first_calls

    @property
    def check_calls(self) -> int:
        """The number of calls made before the running check began (its calls' seeds)."""
        return self._check_calls

    @contextlib.contextmanager
    def standing_in(self) -> Iterator[None]:
        """Run the current check again, this time with stand-ins.

        Its calls get the seeds the first run's calls got (same draws in the child), and the
        checks after it get the seeds they would have got without this second run.
        """
        after_first = self._calls
        self._calls = self._check_calls
        self._standing_in = True
        try:
            yield
        finally:
            self._standing_in = False
            self._calls = after_first

    @property
    def signature_warnings(self) -> list[str]:
        """One warning per called function whose signature differs from the exercise's."""
        return list(self._bindings.values())

    def _bind(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        stub = self._stubs.get(name)
        signature = self.signatures[name]
        if not stub:
            return args, kwargs
        binding = bind(stub, signature, args, kwargs)
        if name not in self._bindings:
            warning = signature_warning(name, stub, signature, binding.by_name)
            if warning is not None:
                self._bindings[name] = warning
        return binding.args, binding.kwargs

    @property
    def alias_warnings(self) -> list[str]:
        """One warning per numpy 1 alias the program used so far (courses on numpy 1)."""
        return [npcompat.alias_warning(name, where) for name, where in self._aliases.items()]

    def _read_aliases(self, reply: dict[str, Any]) -> None:
        # Student code can forge this list: keep only known aliases and real notebook lines,
        # and write the words here, so nothing the child chose reaches the student as text.
        uses = reply.get("numpy_aliases")
        if self._numpy != "1" or not isinstance(uses, list):
            return
        for use in uses[: len(npcompat.ALIASES)]:
            if not (isinstance(use, list) and len(use) == 3):
                continue
            name, cell, line = use
            if name not in npcompat.ALIASES or name in self._aliases:
                continue
            where = _written_at(name, cell, line, self._program)
            if where is not None:
                self._aliases[name] = where

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Fork a child and load the program; raises LoadFailure if that cannot be done."""
        child = self._zygote.spawn(self._limits)
        # Top-level code stops well within the load's own limit, which then covers the rest.
        budget = min(BUDGET_S, self._limits.load_timeout_s / 2)
        try:
            reply = child.request(
                {"op": "load", "units": self._units, "numpy": self._numpy, "budget_s": budget},
                self._limits.load_timeout_s,
                self._limits.result_bytes,
            )
        except ChildFailure as exc:
            child.close()
            if not any(unit[0] == TOPLEVEL for unit in self._units):
                raise LoadFailure(exc.message) from None
            # Top-level code that its time budget could not stop (one long call into C)
            # or that broke the child: load again without it, for good.
            self._units = [
                [KEPT_OUT, *unit[1:]] if unit[0] == TOPLEVEL else unit for unit in self._units
            ]
            self.start()
            return
        if reply["status"] != "ok":
            # Loading itself never fails in a sound child (a failing unit is a warning).
            child.close()
            message = _text(reply, "message") or f"status {_text(reply, 'status', 40)}"
            raise LoadFailure(f"the sandbox could not report the definitions: {message}")
        self._child = child
        self._read_aliases(reply)
        self._read_abandoned(reply)
        if not self.signatures:
            self._read_load_reply(reply)

    def _read_abandoned(self, reply: dict[str, Any]) -> None:
        # Top-level statements that ran out of time are not waited for again when a child is
        # restarted (after a timeout or crash). A forged list can only stop the submission's
        # own top-level statements from running.
        indices = reply.get("abandoned")
        if not isinstance(indices, list):
            return
        for index in indices[: len(self._units)]:
            if type(index) is int and 0 <= index < len(self._units):
                unit = self._units[index]
                if unit[0] == TOPLEVEL:
                    self._units[index] = [OUT_OF_TIME, *unit[1:]]

    def _read_load_reply(self, reply: dict[str, Any]) -> None:
        # The reply is plain data, but any of it may be forged by student code: take only
        # well-formed entries, each bounded.
        warnings = reply.get("warnings")
        if isinstance(warnings, list):
            # Once each: `import sklearn` and `import sklearn.datasets` fail the same way.
            texts = [w[:500] for w in warnings[:50] if isinstance(w, str)]
            self.warnings = list(dict.fromkeys(texts))
        functions = reply.get("functions")
        if isinstance(functions, dict):
            for name, sig in functions.items():
                signature = _signature(sig)
                if signature is not None:
                    self.signatures[name] = signature

    def close(self) -> None:
        """Kill the child and clean its working directory."""
        if self._child is not None:
            self._child.close()
            self._child = None

    def take_output(self) -> str:
        """What the student's code printed since the last call to this method."""
        text = "".join(self._output)
        self._output.clear()
        cap = self._limits.output_chars
        return text if len(text) <= cap else text[:cap] + "\n... (output truncated)"

    # -- the Submission protocol -----------------------------------------------------------
    def has(self, name: str) -> bool:
        """True when the student's program defines a callable ``name``."""
        return name in self.signatures

    def signature(self, name: str) -> Signature:
        """The parameter shape of ``name``."""
        if name not in self.signatures:
            raise StudentCodeError(name, "missing", f"no function `{name}` is defined")
        return self.signatures[name]

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, args, kwargs)

        return call

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the student's ``name`` in the sandbox; raises StudentCodeError on failure."""
        if name not in self.signatures:
            raise StudentCodeError(name, "missing", f"no function `{name}` is defined")
        standins = self.standins
        offered = standins.offer(name, self.signatures) if standins is not None else []
        if offered and not self._standing_in:
            self.wanted.add(name)  # the runner may grade this check again with stand-ins
            offered = []
        timed_out = self._timed_out_standing if offered else self._timed_out
        if name in timed_out:
            # A function that already ran out of time is not waited for again: an endless loop
            # would otherwise cost the full limit once per check that calls it.
            raise StudentCodeError(
                name, "timeout", f"{timed_out[name]} (in an earlier check; not run again)"
            )
        if self._child is None:
            try:
                self.start()
            except LoadFailure as exc:
                message = f"`{name}` could not be loaded: {exc}"
                raise StudentCodeError(name, "crash", message) from None
        assert self._child is not None
        args, kwargs = self._bind(name, args, kwargs)
        self._calls += 1
        seed = zlib.crc32(f"{self.seed}:{self._calls}".encode())
        request = {"op": "call", "name": name, "args": list(args), "kwargs": kwargs, "seed": seed}
        serve = None
        if standins is not None and offered:
            request["standins"] = offered
            # Only these carry numpy's global random state both ways (it costs ~0.5 ms).
            request["draws"] = [name for name in offered if name in standins.drawing]
            max_bytes = self._limits.result_bytes

            def serve(message: dict[str, Any]) -> bytes:
                self.callbacks += 1
                return standins.serve(offered, message, max_bytes)

        try:
            reply = self._child.request(
                request,
                self._limits.call_timeout_s,
                self._limits.result_bytes,
                serve=serve,
                max_callbacks=MAX_CALLBACKS,
            )
        except ChildFailure as exc:
            self.close()
            kind = _KINDS.get(exc.kind, "crash")
            message = f"`{name}` {exc.message}"
            if kind == "timeout":
                timed_out[name] = message
            raise StudentCodeError(name, kind, message) from None
        self._output.append(_text(reply, "output", self._limits.output_chars + 100))
        self._read_aliases(reply)
        status = reply["status"]
        if status == "ok":
            return reply.get("value")
        raise StudentCodeError(
            name,
            _KINDS.get(status, "crash"),
            self._message(name, reply),
            exc_type=_text(reply, "type", 100),
            where=_text(reply, "where", 100),
        )

    def _message(self, name: str, reply: dict[str, Any]) -> str:
        status, message = reply["status"], _text(reply, "message")
        where = _text(reply, "where", 100)
        suffix = f" ({where})" if where else ""
        if status == "exception" and message.startswith("`"):
            return message + suffix  # already a sentence naming the function (global names)
        if status == "exception":
            return f"`{name}` raised {_text(reply, 'type', 100)}: {message}{suffix}"
        if status == "memory":
            return f"`{name}` exceeded the memory limit ({self._limits.memory_mb} MB){suffix}"
        return f"`{name}` returned a value the grader cannot use: {message}"
