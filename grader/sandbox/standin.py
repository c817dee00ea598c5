"""The child's side of stand-ins: the exercise's own function in place of a student's.

While a call runs with stand-ins, each named global of the student's program is replaced by a
proxy that asks the grader, on the call's own channel, to run the exercise's version, and
waits for the answer. The reference's code never enters the sandbox: only the arguments and
the result cross, as data (:mod:`wire`), with numpy's global random state, so that seeded
student code (``np.random.seed(3)`` in ``nn_model``) draws the same numbers it would have
drawn with its own function. The grader decides which names stand in, and answers only those.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from grader.sandbox import frames, wire

__all__ = ["StandIns"]

_ABSENT = object()


def _rng_state() -> list[Any] | None:
    """numpy's legacy global generator state, as plain data (None if it cannot be read)."""
    try:
        _kind, keys, pos, has_gauss, cached = np.random.get_state()
        return [np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), float(cached)]
    except BaseException:
        return None


def _set_rng(state: object) -> None:
    if isinstance(state, list) and len(state) == 4:
        with contextlib.suppress(BaseException):
            np.random.set_state(("MT19937", *state))


def _raise(name: str, answer: dict[str, Any]) -> Any:
    """Raise what the exercise's function raised, as a builtin exception of the same name."""
    kind = answer.get("type")
    message = answer.get("message")
    cls = getattr(builtins, kind, None) if isinstance(kind, str) else None
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    text = message if isinstance(message, str) else ""
    raise cls(f"the exercise's {name}, standing in for yours, raised {kind}: {text}")


class StandIns:
    """Installs the proxies for one call and carries their requests over the channel."""

    def __init__(self, reader: frames.FrameReader, max_bytes: int) -> None:
        self.reader = reader  # the channel's reader, shared with the child's serve loop
        self.sock = reader.sock
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # one request at a time, whatever threads the student runs

    @contextlib.contextmanager
    def installed(
        self, namespace: dict[str, Any], names: list[str], drawing: set[str], request_id: Any
    ) -> Iterator[None]:
        """Replace each of ``names`` in ``namespace`` by a proxy while the block runs.

        The proxies of ``drawing`` carry numpy's global random state both ways.
        """
        saved: dict[str, Any] = {}
        for name in names:
            saved[name] = namespace.get(name, _ABSENT)
            namespace[name] = self._proxy(name, saved[name], name in drawing, request_id)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is _ABSENT:
                    namespace.pop(name, None)
                else:
                    namespace[name] = old

    def _proxy(self, name: str, own: Any, draws: bool, request_id: Any) -> Any:
        def proxy(*args: Any, **kwargs: Any) -> Any:
            answer = self._ask(name, args, kwargs, draws, request_id)
            if draws:
                _set_rng(answer.get("rng"))
            status = answer.get("status")
            if status == "ok":
                return answer.get("value")
            if status == "own" and callable(own) and own is not proxy:
                return own(*args, **kwargs)  # the grader declined: the student's own function
            if status == "own":
                raise TypeError(str(answer.get("message", "")))
            return _raise(name, answer)

        proxy.__name__ = proxy.__qualname__ = name
        return proxy

    def _ask(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        draws: bool,
        request_id: Any,
    ) -> dict[str, Any]:
        with self._lock:
            message = {
                "op": "callback",
                "id": request_id,
                "name": name,
                "args": list(args),
                "kwargs": kwargs,
                "rng": _rng_state() if draws else None,
            }
            try:
                payload = wire.encode(message, max_bytes=self.max_bytes)
            except Exception as exc:
                # Arguments that cannot cross as data: the student's own function takes them.
                return {
                    "status": "own",
                    "message": f"the exercise's {name} cannot take these arguments: {exc}",
                }
            frames.send_frame(self.sock, payload)
            frame = self.reader.recv(max_bytes=1 << 40)
            if frame is None:
                os._exit(70)  # the grader is gone
            answer = wire.decode(frame, max_bytes=1 << 40)
        return answer if isinstance(answer, dict) else {"status": "error", "type": "RuntimeError"}
