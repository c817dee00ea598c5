"""The sandbox boundary, end to end: a child runs the program and answers calls as data."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_helpers import program, start_program

from grader.sandbox import Limits, Zygote, frames, wire
from grader.sandbox.host import ChildProcess
from grader.session import LoadFailure, SandboxSubmission
from grader.testing import StudentCodeError

LIMITS = Limits(call_timeout_s=2.0, load_timeout_s=5.0, memory_mb=1024, output_chars=200)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def start(zygote: Zygote, *sources: str, limits: Limits = LIMITS) -> SandboxSubmission:
    return start_program(zygote, limits, *sources)


def test_values_cross_as_copies(zygote: Zygote) -> None:
    sub = start(zygote, "import numpy as np", "def f(a):\n    a += 1\n    return {'s': a * 2}")
    x = np.ones((2, 3))
    out = sub.f(x)
    assert out["s"].shape == (2, 3) and np.all(out["s"] == 4)
    assert np.all(x == 1)  # the student's in-place change never reaches the grader's copy
    sub.close()


def test_signatures_and_import_warnings(zygote: Zygote) -> None:
    sub = start(
        zygote, "import sklearn_not_here", "def cost(A2, Y, parameters=None):\n    return 0"
    )
    assert sub.warnings == ["import of 'sklearn_not_here' failed: module not installed"]
    sig = sub.signature("cost")
    assert (sig.positional, sig.required, sig.varargs) == (3, 2, False)
    assert sig.accepts(2) and sig.accepts(3) and not sig.accepts(4)
    assert not sub.has("sklearn_not_here")
    sub.close()


def test_printed_output_is_captured_and_capped(zygote: Zygote) -> None:
    sub = start(zygote, "def f():\n    print('x' * 10**6)\n    return 1")
    assert sub.f() == 1
    out = sub.take_output()
    assert out.startswith("xxx") and "truncated" in out and len(out) < 400
    sub.close()


def failure(sub: SandboxSubmission, name: str, *args: object) -> StudentCodeError:
    with pytest.raises(StudentCodeError) as info:
        sub.call(name, args, {})
    return info.value


def test_exceptions_name_type_cell_and_line(zygote: Zygote) -> None:
    sub = start(zygote, "def f():\n    return 1 / 0")
    err = failure(sub, "f")
    assert err.kind == "exception"
    assert err.message == "`f` raised ZeroDivisionError: division by zero (cell 1, line 2)"
    sub.close()


def test_global_name_message(zygote: Zygote) -> None:
    sub = start(zygote, "def compute_cost(A2, Y):\n    return parameters['W1']")
    err = failure(sub, "compute_cost", 1, 2)
    assert "`compute_cost` uses the global name `parameters`" in err.message
    assert "use only the function's arguments" in err.message
    sub.close()


@pytest.mark.parametrize(
    "body, kind, words",
    [
        ("while True: pass", "timeout", "timed out after 2 s"),
        ("import time; time.sleep(60)", "timeout", "timed out"),
        ("import os; os._exit(0)", "exit", "exited without a result (exit status 0)"),
        ("import ctypes; ctypes.string_at(0)", "crash", "crashed (SIGSEGV)"),
        ("import numpy as np; return np.ones(2**31)", "memory", "memory limit"),
        ("raise SystemExit(0)", "exception", "raised SystemExit"),
        ("raise KeyboardInterrupt", "exception", "raised KeyboardInterrupt"),
        ("return input()", "exception", "raised EOFError"),
        ("return object()", "unsupported", "unsupported return type object"),
        ("import numpy as np; return np.zeros(10**8, dtype=np.uint8)", "too_large", "too large"),
    ],
)
def test_failures_are_named_and_the_next_call_gets_a_fresh_child(
    zygote: Zygote, body: str, kind: str, words: str
) -> None:
    limits = Limits(call_timeout_s=2.0, memory_mb=1024, result_mb=16)
    sub = start(zygote, f"def bad():\n    {body}", "def good(x):\n    return x + 1", limits=limits)
    err = failure(sub, "bad")
    assert err.kind == kind
    assert words in err.message
    assert sub.good(1) == 2
    sub.close()


def test_workdir_is_private_and_removed(zygote: Zygote) -> None:
    src = (
        "def f():\n    import os\n    open('x.txt', 'w').write('hi')\n"
        "    return [os.getcwd(), os.listdir()]"
    )
    sub = start(zygote, src)
    cwd, listing = sub.f()
    assert isinstance(cwd, str) and cwd != os.getcwd() and listing == ["x.txt"]
    if zygote.isolation["private_mounts"]:  # the child's own tmpfs: the grader sees nothing
        assert not Path(cwd, "x.txt").exists()
    else:
        assert Path(cwd, "x.txt").exists()
    sub.close()
    assert not Path(cwd).exists()


def test_unseeded_randomness_is_reproducible(zygote: Zygote) -> None:
    src = "def f():\n    import numpy as np\n    return np.random.randn(3)"
    runs = []
    for _ in range(2):
        sub = start(zygote, src)
        sub.seed = 7
        runs.append(sub.f())
        sub.close()
    np.testing.assert_array_equal(runs[0], runs[1])


def test_a_function_that_timed_out_is_not_waited_for_again(zygote: Zygote) -> None:
    limits = Limits(call_timeout_s=1.0)
    sub = start(zygote, "def loop():\n    while True: pass", "def ok():\n    return 1",
                limits=limits)
    first = failure(sub, "loop")
    assert first.kind == "timeout" and first.message == "`loop` timed out after 1 s"
    again = failure(sub, "loop")
    assert again.kind == "timeout"
    assert again.message == "`loop` timed out after 1 s (in an earlier check; not run again)"
    assert sub.ok() == 1
    sub.close()


def test_prewarmed_modules_are_already_imported_in_every_child() -> None:
    src = (
        "def loaded():\n    import sys\n"
        "    return 'json.tool' in sys.modules, 'nope_mod' in sys.modules"
    )
    with Zygote([], prewarm=["json.tool", "nope_mod", "bad name"]) as z:
        sub = start(z, src)
        assert sub.loaded() == (True, False)
        sub.close()


# -- any reply a child can send: plain data of any shape, read without surprises ------------


class _ScriptedChild(ChildProcess):
    """A ChildProcess whose "child" is a thread answering every request with ``replies``.

    Each reply is sent as given, with the request's id added unless it says ``"id"`` itself.
    """

    def __init__(self, replies: list[Any], tmp: str) -> None:
        ours, theirs = socket.socketpair()
        status_r, status_w = os.pipe()
        os.close(status_w)  # no wait status: the host reports "ended without a result"
        super().__init__(os.getpid(), ours, status_r, tmp)
        self.thread = threading.Thread(target=self._serve, args=(theirs, replies), daemon=True)
        self.thread.start()

    @staticmethod
    def _serve(sock: socket.socket, replies: list[Any]) -> None:
        with sock:
            for reply in replies:
                try:
                    frame = frames.recv_frame(sock, max_bytes=1 << 30)
                    if frame is None:
                        return
                    request = wire.decode(frame, max_bytes=1 << 30)
                    if isinstance(reply, dict) and "id" not in reply:
                        reply = {**reply, "id": request["id"]}
                    frames.send_frame(sock, wire.encode(reply))
                except OSError:
                    return

    def kill(self) -> None:  # nothing to kill; above all never our own process group
        pass


class _ScriptedZygote:
    def __init__(self, replies: list[Any], tmp: str) -> None:
        self.replies = replies
        self.tmp = tmp

    def spawn(self, limits: Limits) -> ChildProcess:
        return _ScriptedChild(self.replies, self.tmp)


_ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c,
                                                                  max_size=4)),
    max_leaves=12,
)
_FIELDS = ["status", "value", "output", "message", "where", "type", "warnings", "functions"]
_REPLIES = st.one_of(
    st.dictionaries(st.sampled_from(_FIELDS), _ANY, max_size=8),
    st.fixed_dictionaries({
        "status": st.sampled_from(["ok", "exception", "memory", "missing", "timeout", "?", ""]),
        "functions": st.dictionaries(st.text(max_size=6), st.one_of(
            st.lists(st.one_of(st.integers(), st.booleans()), min_size=3, max_size=3), _ANY
        ), max_size=4),
        "warnings": st.one_of(st.lists(st.text(), max_size=60), _ANY),
        "message": _ANY, "type": _ANY, "where": _ANY, "output": _ANY, "value": _ANY,
    }),
    _ANY,
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_REPLIES, min_size=1, max_size=3))
def test_any_reply_is_read_as_a_result_or_a_failure(tmp_path: Path, replies: list[Any]) -> None:
    zygote: Any = _ScriptedZygote(replies, str(tmp_path / "box"))
    sub = SandboxSubmission(zygote, program("def f(x):\n    return x"), LIMITS)
    try:
        sub.start()
    except LoadFailure as exc:
        assert isinstance(exc.args[0], str)
        return
    finally:
        assert all(isinstance(w, str) and len(w) <= 500 for w in sub.warnings)
        assert len(sub.warnings) <= 50
        for sig in sub.signatures.values():
            assert 0 <= sig.required <= sig.positional and isinstance(sig.varargs, bool)
    for name in list(sub.signatures)[:2]:
        try:
            sub.call(name, (1,), {})
        except StudentCodeError as exc:
            assert isinstance(exc.message, str)
        assert isinstance(sub.take_output(), str)
    sub.close()
