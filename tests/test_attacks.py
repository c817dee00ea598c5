"""Every row of ATTACKS.md that the sandbox answers for, at the session level.

Each test loads a small hostile program into a :class:`SandboxSubmission`, checks the verdict
of the attacked function, that a sibling function still answers, and that nothing is left
behind (no sandbox processes, no working directory). Processes are found by uid: every child
runs as a uid from its zygote's private range (``Zygote.uids``), and so does everything it
starts; other graders running on the machine at the same time use other ranges.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sandbox_helpers import start_program

from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission
from grader.testing import StudentCodeError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox layers are Linux's")

REPO = Path(__file__).resolve().parents[1]
LIMITS = Limits(
    call_timeout_s=1.5, load_timeout_s=5.0, memory_mb=1024, output_chars=500,
    processes=32, file_size_mb=8, open_files=128, result_mb=16,
)
GOOD = "def good(x):\n    return x + 1"


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def start(zygote: Zygote, *sources: str, limits: Limits = LIMITS) -> SandboxSubmission:
    return start_program(zygote, limits, *sources, GOOD)


def sandbox_pids(uids: range) -> list[int]:
    """Live (non-zombie) processes running as a uid of ``uids`` (one zygote's range)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path("/proc", entry, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "0").split()[0])
        if uid in uids and not fields.get("State", "").strip().startswith("Z"):
            found.append(int(entry))
    return found


def assert_nothing_left(zygote: Zygote, workdir: str | None = None, wait: float = 3.0) -> None:
    """No sandbox process survives (give the kernel a moment to reap the namespace)."""
    if not zygote.isolation["uid_dropped"]:
        pytest.skip("processes are counted by sandbox uid, and uids are not dropped here")
    deadline = time.monotonic() + wait
    while sandbox_pids(zygote.uids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sandbox_pids(zygote.uids) == []
    if workdir is not None:
        assert not Path(workdir).exists()


def failure(sub: SandboxSubmission, name: str, *args: object) -> StudentCodeError:
    with pytest.raises(StudentCodeError) as info:
        sub.call(name, args, {})
    return info.value


def verdict(zygote: Zygote, body: str, *args: object, limits: Limits = LIMITS) -> StudentCodeError:
    """Run ``def bad(...): body``; check the sibling still answers and nothing is left."""
    params = ", ".join(f"a{i}" for i in range(len(args)))
    sub = start(zygote, f"def bad({params}):\n" + _indent(body), limits=limits)
    try:
        err = failure(sub, "bad", *args)
        assert sub.good(1) == 2
    finally:
        sub.close()
    assert_nothing_left(zygote)
    return err


def _indent(body: str) -> str:
    return "".join("    " + line + "\n" for line in body.strip("\n").splitlines())


# -- time and resources ------------------------------------------------------------------

IGNORES_SIGNALS = """
import signal
for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""

FORKS_AND_LINGERS = """
import os, time
for _ in range(5):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
while True:
    time.sleep(1)
"""

FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""


@pytest.mark.parametrize(
    "body",
    ["while True: pass", "import time\ntime.sleep(60)", IGNORES_SIGNALS, FORKS_AND_LINGERS],
    ids=["loop", "sleep", "ignores_signals", "forks_and_setsid"],
)
def test_runaway_code_times_out_from_outside(zygote: Zygote, body: str) -> None:
    t0 = time.monotonic()
    err = verdict(zygote, body)
    assert err.kind == "timeout" and "timed out" in err.message
    assert time.monotonic() - t0 < LIMITS.call_timeout_s + 4


def test_fork_bomb_is_bounded_and_fully_killed(zygote: Zygote) -> None:
    err = verdict(zygote, FORK_BOMB)
    assert err.kind == "timeout"


def test_children_that_outlive_a_successful_call_are_killed(zygote: Zygote) -> None:
    body = FORKS_AND_LINGERS.replace("while True:\n    time.sleep(1)", "return 7")
    sub = start(zygote, "def bad():\n" + _indent(body))
    assert sub.bad() == 7
    assert sub.good(1) == 2  # nothing waits on the pipes the grandchildren hold
    sub.close()
    assert_nothing_left(zygote)


def test_huge_allocation_is_a_memory_error(zygote: Zygote) -> None:
    err = verdict(zygote, "import numpy as np\nreturn np.ones((8, 2**30)).sum()")
    assert err.kind == "memory" and "memory limit" in err.message


def test_huge_output_is_capped_and_grader_memory_bounded(zygote: Zygote) -> None:
    body = (
        "import os\nfor _ in range(300):\n    print('x' * 2**20)\n"
        "    os.write(1, b'y' * 2**20)\n"
    )
    sub = start(zygote, "def bad():\n" + _indent(body + "return 1"))
    assert sub.bad() == 1
    out = sub.take_output()
    assert len(out) < LIMITS.output_chars + 100 and "truncated" in out
    sub.close()
    # ru_maxrss is in KiB on Linux: the grader never held the 300 MiB the child printed.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024


def test_one_gib_result_is_refused_without_reading_it(zygote: Zygote) -> None:
    limits = Limits(call_timeout_s=10, memory_mb=3072, result_mb=16, processes=32)
    body = "import numpy as np\nreturn np.ones(2**30, dtype=np.uint8)"
    err = verdict(zygote, body, limits=limits)
    assert err.kind == "too_large" and "too large" in err.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024


def test_huge_and_many_files_stay_in_the_private_workdir(zygote: Zygote) -> None:
    body = """
import os
for i in range(1000):
    open(f'f{i}.txt', 'w').close()
try:
    with open('big.bin', 'wb') as f:
        f.write(b'0' * (16 * 2**20))
except OSError as exc:
    error = type(exc).__name__
else:
    error = 'no error'
return [len(os.listdir('.')), error, os.getcwd(), os.path.getsize('big.bin')]
"""
    sub = start(zygote, "def bad():\n" + _indent(body), limits=replace(LIMITS, call_timeout_s=5))
    count, error, workdir, size = sub.bad()
    assert count == 1001 and error == "OSError"  # EFBIG: the file-size limit
    assert size <= LIMITS.file_size_mb * 2**20
    # The working directory is the child's own tmpfs: the grader's side of it stays empty.
    assert not Path(workdir, "big.bin").exists()
    sub.close()
    assert_nothing_left(zygote, workdir)


@pytest.mark.parametrize(
    "body, words",
    [
        ("fs = [open('/dev/null') for _ in range(10**4)]", "OSError"),
        (
            "import threading, time\n"
            "ts = [threading.Thread(target=time.sleep, args=(60,)) for _ in range(10**4)]\n"
            "[t.start() for t in ts]",
            "RuntimeError",
        ),
        ("return input()", "EOFError"),
    ],
    ids=["files", "threads", "input"],
)
def test_descriptor_thread_and_stdin_limits(zygote: Zygote, body: str, words: str) -> None:
    err = verdict(zygote, body)
    assert err.kind == "exception" and f"raised {words}" in err.message


def test_lingering_thread_and_atexit_hook_do_not_hold_the_result(zygote: Zygote) -> None:
    body = """
import atexit, threading, time
threading.Thread(target=time.sleep, args=(600,)).start()
atexit.register(time.sleep, 600)
return 5
"""
    sub = start(zygote, "def bad():\n" + _indent(body))
    assert sub.bad() == 5
    sub.close()
    assert_nothing_left(zygote)


# -- exits and exceptions ----------------------------------------------------------------

SLOW_STR = "class E(Exception):\n    def __str__(self):\n        while True: pass\nraise E()"
HUGE_STR = "class E(Exception):\n    def __str__(self):\n        return 'z' * 10**7\nraise E()"
BAD_STR = "class E(Exception):\n    def __str__(self):\n        raise ValueError\nraise E()"


@pytest.mark.parametrize(
    "body, kind, words",
    [
        ("import os\nos._exit(0)", "exit", "exited without a result"),
        ("import sys\nsys.exit(0)", "exception", "raised SystemExit"),
        ("raise KeyboardInterrupt", "exception", "raised KeyboardInterrupt"),
        ("raise GeneratorExit", "exception", "raised GeneratorExit"),
        ("import ctypes\nctypes.string_at(0)", "crash", "crashed (SIGSEGV)"),
        (SLOW_STR, "timeout", "timed out"),
        (HUGE_STR, "exception", "raised E: zzz"),
        (BAD_STR, "exception", "could not be formatted"),
    ],
    ids=["os_exit", "sys_exit", "keyboard", "generator_exit", "segfault", "slow_str",
         "huge_str", "raising_str"],
)
def test_exits_and_exceptions(zygote: Zygote, body: str, kind: str, words: str) -> None:
    err = verdict(zygote, body)
    assert err.kind == kind and words in err.message
    assert len(err.message) < 2100


# -- cheating ----------------------------------------------------------------------------

def test_patching_modules_in_the_child_changes_nothing_here(zygote: Zygote) -> None:
    body = """
import builtins, numpy, numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
builtins.abs = lambda x: 0
print('{"score": 100, "tests": "3 passed"}')
return numpy.zeros(3)
"""
    sub = start(zygote, "def bad():\n" + _indent(body))
    value = sub.bad()
    assert type(value) is np.ndarray and not np.allclose(value, np.ones(3))
    assert len([1, 2]) == 2
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(value, np.ones(3))
    assert abs(-1) == 1
    assert "3 passed" in sub.take_output()  # only ever shown, never scored
    sub.close()


def test_breaking_the_childs_own_builtins_only_costs_that_call(zygote: Zygote) -> None:
    err = verdict(zygote, "import builtins\nbuiltins.len = lambda x: 0\nreturn [1.0]")
    assert err.kind in ("crash", "unsupported")  # a corrupted channel scores 0
    assert len([1, 2]) == 2


CLEVER_VALUES = """
class AlwaysEqual:
    def __eq__(self, other):
        return True
class Evil:
    def __reduce__(self):
        import os
        return (os.system, ('touch /tmp/pwned',))
class Sub(np.ndarray):
    pass
kinds = {
    'eq': AlwaysEqual(),
    'reduce': Evil(),
    'subclass': np.zeros(3).view(Sub),
    'object_array': np.array([AlwaysEqual()], dtype=object),
    'nested': [1, {'k': AlwaysEqual()}],
}
return kinds[a0]
"""


@pytest.mark.parametrize("which", ["eq", "reduce", "subclass", "object_array", "nested"])
def test_clever_return_values_are_unsupported(zygote: Zygote, which: str) -> None:
    sub = start(zygote, "import numpy as np", "def bad(a0):\n" + _indent(CLEVER_VALUES))
    err = failure(sub, "bad", which)
    assert err.kind == "unsupported" and "unsupported return type" in err.message
    assert sub.good(1) == 2
    sub.close()
    assert not Path("/tmp/pwned").exists()


READ_ATTEMPTS = """
import os
out = []
for path in a0:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, 'rb').read(10)
        out.append('read ' + path)
    except OSError as exc:
        out.append(type(exc).__name__)
return out
"""


def test_secrets_and_the_grader_are_unreadable(zygote: Zygote) -> None:
    secrets = [
        str(REPO / "assignments/planar_data_classification/tests/hidden.py"),
        str(REPO / "solutions/planar_data_classification.ipynb"),
        str(REPO / "grader/runner.py"),
        str(REPO),
        f"/proc/{os.getpid()}/environ",
        f"/proc/{os.getpid()}/cmdline",
        f"/proc/{os.getpid()}/mem",
        "/proc/1/environ",
        "/proc",
        "/etc/shadow",
        zygote.root,
        "/tmp",
    ]
    sub = start(zygote, "def bad(a0):\n" + _indent(READ_ATTEMPTS))
    results = sub.bad(secrets)
    sub.close()
    assert all(not r.startswith("read") for r in results), dict(zip(secrets, results, strict=True))


PLANTS = """
import os, sys
open('numpy.py', 'w').write('raise SystemExit(3)')
open('sitecustomize.py', 'w').write('raise SystemExit(3)')
writable = []
for p in sys.path:
    try:
        open(os.path.join(p or '.', 'planted.py'), 'w').close()
        writable.append(p)
    except OSError:
        pass
return writable
"""


def test_planted_modules_do_not_reach_later_children(zygote: Zygote) -> None:
    sub = start(zygote, "def bad():\n" + _indent(PLANTS))
    assert sub.bad() == []  # nothing on sys.path is writable
    sub.close()
    src = "def f():\n    import numpy, os\n    return [numpy.__file__, os.listdir()]"
    later = start(zygote, src)
    numpy_file, listing = later.f()
    later.close()
    assert numpy_file == np.__file__ and listing == []


SIGNALS = """
import os, signal
out = []
for target in (os.getppid(), a0, a1, -1):
    try:
        os.kill(target, signal.SIGKILL)
        out.append('sent')
    except OSError as exc:
        out.append(type(exc).__name__)
return out
"""


def test_the_child_cannot_signal_the_grader_or_the_zygote(zygote: Zygote) -> None:
    assert zygote._proc is not None
    zygote_pid = zygote._proc.pid
    sub = start(zygote, "def bad(a0, a1):\n" + _indent(SIGNALS))
    sub.bad(os.getpid(), zygote_pid)
    sub.close()
    assert zygote._proc is not None and zygote._proc.poll() is None
    assert zygote._proc.pid == zygote_pid
    after = start(zygote, "def f():\n    return 1")
    assert after.f() == 1
    after.close()


def test_a_killed_zygote_is_restarted() -> None:
    with Zygote([]) as z:
        assert z._proc is not None
        os.kill(z._proc.pid, signal.SIGKILL)
        z._proc.wait()
        sub = start(z, "def f():\n    return 3")
        assert sub.f() == 3 and sub.good(1) == 2
        sub.close()


NETWORK = """
import socket, time
out = []
t0 = time.monotonic()
for attempt in (lambda: socket.create_connection(('1.1.1.1', 53), timeout=5),
                lambda: socket.create_connection(('127.0.0.1', 22), timeout=5),
                lambda: socket.getaddrinfo('example.com', 80)):
    try:
        attempt()
        out.append('connected')
    except OSError as exc:
        out.append(type(exc).__name__)
return [out, time.monotonic() - t0]
"""


def test_no_network(zygote: Zygote) -> None:
    sub = start(zygote, "def bad():\n" + _indent(NETWORK))
    out, seconds = sub.bad()
    sub.close()
    assert "connected" not in out and seconds < 1.0


def test_a_clean_program_works_after_all_that(zygote: Zygote) -> None:
    sub = start(zygote, "import numpy as np", "def f(x):\n    return np.tanh(x)")
    np.testing.assert_allclose(sub.f(np.zeros(3)), np.zeros(3))
    sub.close()
    assert_nothing_left(zygote)
