"""Student code that writes to the sandbox's own channel: forged frames, garbage, lies.

The channel is an inherited socket in the child, so a submission can find it (``os.fstat``
over its descriptors) and write anything: at load time (a default argument, a decorator or a
class body runs when the definitions are loaded) or during a call. Whatever it writes, that
call (or that load) fails with a message, nothing escapes as an exception, nothing it wrote is
read as the answer to a later call, and the next submission is graded as if nothing happened.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import program, start_program

from grader.assignment import load_assignment
from grader.runner import Grader
from grader.sandbox import Limits, Zygote
from grader.sandbox.host import ChildFailure, ChildProcess
from grader.session import LoadFailure, SandboxSubmission
from grader.testing import StudentCodeError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox layers are Linux's")

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = DATA / "submissions" / "tiny" / "correct.py"
LIMITS = Limits(call_timeout_s=3.0, load_timeout_s=5.0, memory_mb=1024, output_chars=500,
                processes=32, file_size_mb=8, open_files=128, result_mb=16)
GOOD = "def good(x):\n    return x + 1"

# Student-side helpers, pasted into the hostile definitions: find the channel, build frames
# by hand (the grader's own modules are not readable from the sandbox).
KIT = '''
def _chan():
    import os, stat
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            pass
    raise RuntimeError("no channel")

def _frame(header, data=b"", hlen=None):
    import json, struct
    raw = json.dumps(header).encode()
    body = b"GRW2" + struct.pack(">I", len(raw) if hlen is None else hlen) + raw + data
    return struct.pack(">Q", len(body)) + body

def _raw(header):
    import struct
    body = b"GRW2" + struct.pack(">I", len(header)) + header
    return struct.pack(">Q", len(body)) + body

def _request_id():
    import sys
    f = sys._getframe()
    while f is not None and not isinstance(f.f_locals.get("request"), dict):
        f = f.f_back
    return None if f is None else f.f_locals["request"].get("id")

def _send(data):
    import os
    fd = _chan()
    while data:
        data = data[os.write(fd, data):]
'''


def _ok(value: object) -> dict[str, object]:
    return {"d": [["status", "ok"], ["value", value], ["output", ""]]}


FORGED = {
    "garbage": 'b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05junk!" + b"\\xff" * 64',
    "announce_2_63": '(2**63).to_bytes(8, "big")',
    "bad_dtype": '_frame({"v": {"a": [0, "f1", [1]]}, "b": [1]}, b"\\x00")',
    "absurd_empty_shape": '_frame({"v": {"a": [0, "<f8", [0, 2**62]]}, "b": [0]})',
    "huge_int": '_raw(b\'{"v": {"l": [\' + b"9" * 5000 + b\']}, "b": []}\')',
    "deep_json": '_frame({"v": 0, "b": []}, hlen=0) + b"[" * 100000',
    "header_past_end": '_frame({"v": 0, "b": []}, hlen=2**31)',
    "not_a_dict": '_frame({"v": {"l": [1, 2]}, "b": []})',
    "surrogate_status": '_frame({"v": {"d": [["status", "\\ud800"]]}, "b": []})',
    "forged_ok": f"_frame({{'v': {_ok(42)!r}, 'b': []}})",
    "forged_ok_with_id_and_trailing_garbage": (
        "_frame({'v': {'d': [['status', 'ok'], ['value', 42], ['output', ''],"
        " ['id', _request_id()]]}, 'b': []}) + b'trailing'"
    ),
}


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def hostile_call(payload: str, *, then: str = "return 1") -> str:
    return f"def evil(x):\n    _send({payload})\n    {then}"


def start(zygote: Zygote, *sources: str) -> SandboxSubmission:
    return start_program(zygote, LIMITS, KIT.strip(), *sources, GOOD)


@pytest.mark.parametrize("name", sorted(FORGED))
def test_forged_bytes_during_a_call_fail_that_call_only(zygote: Zygote, name: str) -> None:
    sub = start(zygote, hostile_call(FORGED[name]))
    try:
        with pytest.raises(StudentCodeError) as info:
            value = sub.call("evil", (1,), {})
            pytest.fail(f"a forged reply was taken for the result: {value!r}")
        assert info.value.kind in ("crash", "too_large"), info.value.message
        assert "evil" in info.value.message
        # The forger's child is gone: a fresh one answers, with its own reply.
        assert sub.good(1) == 2
        assert sub.good(2) == 3
    finally:
        sub.close()


def test_a_late_stale_reply_is_never_read_as_the_next_answer(zygote: Zygote) -> None:
    # A reply forged with the right id is no more than returning 42; but the real reply
    # that follows, later, must not become the answer to the next call.
    forged = FORGED["forged_ok_with_id_and_trailing_garbage"].replace(" + b'trailing'", "")
    sub = start(zygote, hostile_call(forged, then="import time; time.sleep(0.3); return 7"))
    try:
        assert sub.call("evil", (1,), {}) == 42
        results = []
        for x in range(3):
            try:
                results.append(sub.good(x))
            except StudentCodeError as exc:
                results.append(exc.kind)
        assert 7 not in results
        assert results[-1] == 3  # a fresh child serves after the stale reply was refused
    finally:
        sub.close()


LOAD_TIME = {
    "default_argument": "def evil(x, _=_send({payload})):\n    return 1",
    "decorator": "@lambda f: (_send({payload}), f)[1]\ndef evil(x):\n    return 1",
    "class_body": "class evil:\n    _send({payload})",
}


@pytest.mark.parametrize("how", sorted(LOAD_TIME))
@pytest.mark.parametrize(
    "name", ["garbage", "announce_2_63", "bad_dtype", "forged_ok", "forged_load"]
)
def test_forged_bytes_at_load_time_fail_the_load(zygote: Zygote, how: str, name: str) -> None:
    forged = FORGED.get(name) or (
        "_frame({'v': {'d': [['status', 'ok'], ['warnings', {'l': ['x' * 10**6] * 3}],"
        " ['functions', {'d': [['good', {'l': [-5, 2**70, True]}], ['1 2', {'l': [0, 0, 1]}]]}],"
        " ['output', '']]}, 'b': []})"
    )
    source = LOAD_TIME[how].format(payload=forged)
    sub = SandboxSubmission(zygote, program(KIT.strip(), source, GOOD), LIMITS)
    with pytest.raises(LoadFailure) as info:
        sub.start()
    sub.close()
    assert info.value.args[0]
    # The same zygote serves the next submission normally.
    clean = start_program(zygote, LIMITS, GOOD)
    try:
        assert clean.good(1) == 2
    finally:
        clean.close()


def test_a_forged_load_reply_with_the_right_id_is_read_safely(zygote: Zygote) -> None:
    # With the request's id, a forged load reply is as good as the student's own definitions
    # (no more): absurd signatures are dropped and warnings stay bounded.
    forged = (
        "_frame({'v': {'d': [['status', 'ok'], ['warnings', {'l': ['x' * 10**5] * 100}],"
        " ['functions', {'d': [['good', {'l': [-5, 3, True]}], ['evil', {'l': [2, 1, False]}],"
        " ['big', {'l': [2**70, 0, False]}], ['odd', {'l': [1, 0, 1]}], ['1 2', 7]]}],"
        " ['output', ''], ['id', _request_id()]]}, 'b': []})"
    )
    source = f"def evil(x, _=_send({forged})):\n    return 1"
    sub = SandboxSubmission(zygote, program(KIT.strip(), source, GOOD), LIMITS)
    try:
        try:
            sub.start()
        except LoadFailure:
            return  # refusing it is fine too
        assert set(sub.signatures) == {"evil"}
        assert len(sub.warnings) <= 50 and all(len(w) <= 500 for w in sub.warnings)
        with pytest.raises(StudentCodeError):
            sub.call("evil", (1,), {})  # the real load reply is stale: refused, not read
    finally:
        sub.close()


# -- through the whole grader ---------------------------------------------------------------


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(TINY)) as g:
        yield g


HOSTILE_FILES = {
    "load_garbage.py": "def add(x, y, _=_send(b'\\x00' * 8 + b'junk')):\n    return x + y\n",
    "call_forged_ok.py": (
        f"def add(x, y):\n    _send({FORGED['forged_ok']})\n    return x + y\n"
    ),
    "call_huge_announce.py": (
        f"def add(x, y):\n    _send({FORGED['announce_2_63']})\n    return x + y\n"
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_hostile_submission_fails_alone_and_the_next_scores_full_marks(
    grader: Grader, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    scale = "def scale(v):\n    import tinyhelp\n    return v * tinyhelp.FACTOR\n"
    path.write_text(f"# %%\n{KIT}\n# %%\n{HOSTILE_FILES[name]}\n# %%\n{scale}")
    result = grader.grade_path(path, "hostile")
    assert result.status == "graded"
    add_tests = [t for t in result.tests if t.function == "add"]
    assert add_tests and all(t.outcome != "passed" and t.message for t in add_tests)
    assert result.score < result.max_score
    clean = grader.grade_path(CORRECT, "correct")
    assert clean.score == clean.max_score == 6.0


# -- the host's own parsing: wait statuses and the zygote's replies -------------------------


@pytest.mark.parametrize("status", [b"99999999999999999999999", b"-1", b"\xff\xfe", b"4479"])
def test_an_odd_wait_status_is_a_crash_not_an_exception(
    tmp_path: Path, status: bytes
) -> None:
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    ours, theirs = socket.socketpair()
    status_r, status_w = os.pipe()
    os.write(status_w, status)
    os.close(status_w)
    theirs.close()  # the channel ends at once: the host reads the status
    child = ChildProcess(sleeper.pid, ours, status_r, str(tmp_path / "box"))
    try:
        with pytest.raises(ChildFailure) as info:
            child.request({"op": "call"}, 5.0, 1 << 20)
        assert info.value.kind in ("crash", "exit")
    finally:
        child.close()
        sleeper.wait()


@pytest.mark.parametrize(
    "reply", [b'{"pid": 0}', b'{"pid": -1}', b'{"pid": 1}', b'{"pid": true}', b'{"pid": "12"}',
              b'{"pid": 1e400}', b"[1]", b'"pid"', b"[" * 5000]
)
def test_a_malformed_zygote_reply_is_a_value_error(tmp_path: Path, reply: bytes) -> None:
    # Zygote.spawn restarts the zygote on ValueError; anything else would escape, and a pid
    # of 0 or 1 would later make killpg hit the grader's own process group, or everyone.
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    zygote = Zygote.__new__(Zygote)
    zygote._ctl = ours
    zygote.root = str(tmp_path)
    theirs.send(reply)
    try:
        with pytest.raises(ValueError):
            zygote._spawn(Limits())
    finally:
        ours.close()
        theirs.close()


def test_a_child_that_stops_reading_times_out_instead_of_blocking_the_grader(
    tmp_path: Path,
) -> None:
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    ours, theirs = socket.socketpair()
    status_r, status_w = os.pipe()
    child = ChildProcess(sleeper.pid, ours, status_r, str(tmp_path / "box"))
    try:
        with pytest.raises(ChildFailure) as info:  # 16 MB never read by the other end
            child.request({"op": "call", "args": ["x" * (16 << 20)]}, 1.0, 1 << 20)
        assert info.value.kind == "timeout"
    finally:
        child.close()
        theirs.close()
        os.close(status_w)
        sleeper.wait()
