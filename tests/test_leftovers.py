"""Nothing a submission makes outlives its sandbox or reaches the next submission.

For each kind of object (System V shared memory, semaphores and message queues, POSIX
message queues and shared memory, memfds, files, processes), a first submission creates one,
keeps it alive with a ``setsid()`` grandchild, and returns its key or name. After that child is
closed, the grader checks from its own side that the object is gone, and a second submission
tries to open it by that key or name. Then: the working directory's disk quota, and memory
held in ways ``RLIMIT_AS`` does not see, are bounded for the child and not the grader.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import start_program
from test_attacks import assert_nothing_left

from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission
from grader.testing import StudentCodeError

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="the sandbox's namespaces need root"
)

LIMITS = Limits(
    call_timeout_s=10.0, load_timeout_s=5.0, memory_mb=512, processes=32, file_size_mb=8,
    open_files=256, disk_mb=16, result_mb=4,
)
GOOD = "def good(x):\n    return x + 1"

_libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        missing = [n for n in ("ipc_namespace", "private_mounts") if not z.isolation[n]]
        assert not missing, z.isolation_warnings
        yield z


def start(zygote: Zygote, source: str, limits: Limits = LIMITS) -> SandboxSubmission:
    return start_program(zygote, limits, source, GOOD)


# Each maker receives a unique token (an int below 2**31, used as the key or in the name),
# creates its object, hands it to a setsid() grandchild that sleeps, and returns "made".
PREAMBLE = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
def keep():
    if os.fork() == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)
"""
MAKERS = {
    "sysv_shm": """
shmid = libc.shmget(token, 4096, 0o1666)
if shmid < 0:
    return 'shmget failed: ' + os.strerror(ctypes.get_errno())
libc.shmat.restype = ctypes.c_void_p
libc.shmat(shmid, None, 0)
keep()
return 'made'
""",
    "sysv_sem": """
if libc.semget(token, 1, 0o1666) < 0:
    return 'semget failed: ' + os.strerror(ctypes.get_errno())
keep()
return 'made'
""",
    "sysv_msg": """
if libc.msgget(token, 0o1666) < 0:
    return 'msgget failed: ' + os.strerror(ctypes.get_errno())
keep()
return 'made'
""",
    "posix_mq": """
if libc.mq_open(b'/grader-left-%d' % token, os.O_CREAT | os.O_RDWR, 0o666, None) < 0:
    return 'mq_open failed: ' + os.strerror(ctypes.get_errno())
keep()
return 'made'
""",
    "posix_shm": """
fd = os.open('/dev/shm/grader-left-%d' % token, os.O_CREAT | os.O_RDWR, 0o666)
os.write(fd, b'secret')
keep()
return 'made'
""",
    "memfd": """
fd = os.memfd_create('grader-left-%d' % token)
os.write(fd, b'secret')
keep()
return 'made'
""",
}
# Each opener returns "gone" when the object cannot be reached from a later submission.
OPENERS = {
    "sysv_shm": "return 'gone' if libc.shmget(token, 0, 0) < 0 else 'found'",
    "sysv_sem": "return 'gone' if libc.semget(token, 0, 0) < 0 else 'found'",
    "sysv_msg": "return 'gone' if libc.msgget(token, 0) < 0 else 'found'",
    "posix_mq": (
        "return 'gone' if libc.mq_open(b'/grader-left-%d' % token, os.O_RDONLY) < 0 "
        "else 'found'"
    ),
    "posix_shm": "return 'found' if os.path.exists('/dev/shm/grader-left-%d' % token) else 'gone'",
    "memfd": "return 'gone'  # nothing names a memfd but a descriptor; see the host check",
}


def _sysv_keys(kind: str) -> set[int]:
    text = Path("/proc/sysvipc", kind).read_text()
    return {int(line.split()[0]) for line in text.splitlines()[1:] if line.split()}


def _memfd_holders(name: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if name in os.readlink(f"/proc/{pid}/fd/{fd}"):
                    found.append(pid)
        except OSError:
            continue
    return found


def _host_sees(kind: str, token: int) -> bool:
    """Whether the grader's side of the machine still has the object."""
    name = f"grader-left-{token}"
    if kind.startswith("sysv_"):
        return token in _sysv_keys(kind[5:])
    if kind == "posix_mq":
        mqd = _libc.mq_open(f"/{name}".encode(), os.O_RDONLY)
        if mqd >= 0:
            _libc.mq_close(mqd)
        return bool(mqd >= 0)
    if kind == "posix_shm":
        return Path("/dev/shm", name).exists()
    return bool(_memfd_holders(name))


def _host_cleanup(kind: str, token: int) -> None:
    """Remove what a failing run (on code without the namespaces) would leave on the machine."""
    flags = {"sysv_shm": "-M", "sysv_sem": "-S", "sysv_msg": "-Q"}
    if kind in flags:
        subprocess.run(["ipcrm", flags[kind], str(token)], capture_output=True, check=False)
    elif kind == "posix_mq":
        _libc.mq_unlink(f"/grader-left-{token}".encode())
    elif kind == "posix_shm":
        Path("/dev/shm", f"grader-left-{token}").unlink(missing_ok=True)


def _function(name: str, body: str, preamble: str = PREAMBLE) -> str:
    lines = (preamble + body).strip("\n").splitlines()
    return f"def {name}(token):\n" + "".join(f"    {line}\n" for line in lines)


@pytest.fixture(scope="module")
def bare_zygote() -> Iterator[Zygote]:
    """Without Landlock: the namespaces alone must hold (and Landlock refuses POSIX mqueues)."""
    with Zygote([], disable=["filesystem"]) as z:
        yield z


@pytest.mark.parametrize("landlock", [True, False], ids=["all_layers", "without_landlock"])
@pytest.mark.parametrize("kind", list(MAKERS))
def test_objects_die_with_their_child_and_never_reach_the_next(
    zygote: Zygote, bare_zygote: Zygote, kind: str, landlock: bool
) -> None:
    zygote = zygote if landlock else bare_zygote
    token = 0x5A000000 + secrets.randbelow(1 << 24)
    try:
        first = start(zygote, _function("make", MAKERS[kind]))
        try:
            made = first.make(token)
            if landlock and kind == "posix_mq":
                # Landlock checks every file opened, the mqueue file system's included.
                assert made in ("made", "mq_open failed: Permission denied")
            else:
                assert made == "made"
            if kind == "sysv_shm":
                assert token not in _sysv_keys("shm")  # private even while its child lives
        finally:
            first.close()
        assert_nothing_left(zygote)  # the keeper grandchild died with the child
        assert not _host_sees(kind, token)
        second = start(zygote, _function("reopen", OPENERS[kind]))
        try:
            assert second.reopen(token) == "gone"
        finally:
            second.close()
    finally:
        _host_cleanup(kind, token)


WRITES = """
import os
out = {}
for path in ('/tmp/grader-left-%d' % token, 'left-%d.txt' % token):
    try:
        with open(path, 'w') as handle:
            handle.write('secret')
        out[path] = 'written'
    except OSError as exc:
        out[path] = type(exc).__name__
out['cwd'] = os.getcwd()
return out
"""


def test_files_stay_inside_the_child(zygote: Zygote) -> None:
    token = secrets.randbelow(1 << 30)
    sub = start(zygote, _function("write", WRITES, preamble=""))
    try:
        out = sub.write(token)
        workdir = out["cwd"]
        assert out[f"left-{token}.txt"] == "written"
        # Even while the child runs, its working directory's content is not the grader's.
        assert os.listdir(workdir) == []
        assert not Path(f"/tmp/grader-left-{token}").exists()
    finally:
        sub.close()
        Path(f"/tmp/grader-left-{token}").unlink(missing_ok=True)
    assert not Path(workdir).exists()
    later = start(zygote, "def peek(path):\n    import os\n    return os.path.exists(path)")
    try:
        assert later.peek(os.path.join(workdir, f"left-{token}.txt")) is False
        assert later.peek(f"/tmp/grader-left-{token}") is False
    finally:
        later.close()


def test_a_background_program_dies_with_its_child(zygote: Zygote) -> None:
    src = (
        "def bg():\n    import subprocess\n"
        "    p = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "    return p.pid"
    )
    sub = start(zygote, src)
    try:
        assert isinstance(sub.bg(), int)
    finally:
        sub.close()
    assert_nothing_left(zygote)


FILL_DISK = """
import os
written = 0
try:
    for i in range(20):  # 20 files under the file-size limit: ten times the quota
        with open(f'part{i}', 'wb') as handle:
            for _ in range(limit_mb):
                handle.write(b'x' * 2**20)
                written += 1
except OSError as exc:
    return [written, exc.errno, str(exc), os.getcwd()]
return [written, 0, 'no error', os.getcwd()]
"""


def test_writing_ten_times_the_disk_quota_fails_clearly(zygote: Zygote) -> None:
    src = "def fill(limit_mb):\n" + "".join(f"    {line}\n" for line in FILL_DISK.splitlines())
    sub = start(zygote, src)
    try:
        written, err, message, workdir = sub.fill(LIMITS.file_size_mb - 1)
        # None of it went to the grader's disk: its side of the working directory is empty.
        assert os.listdir(workdir) == []
    finally:
        sub.close()
    assert err == errno.ENOSPC and "No space left on device" in message
    assert written <= LIMITS.disk_mb


def test_running_out_of_disk_is_a_clear_message_to_the_student(zygote: Zygote) -> None:
    src = (
        "def fill():\n    for i in range(40):\n"
        "        with open(f'part{i}', 'wb') as handle:\n"
        "            handle.write(b'x' * 2**20)"
    )
    sub = start(zygote, src)
    try:
        with pytest.raises(StudentCodeError) as info:
            sub.fill()
        assert sub.good(1) == 2
    finally:
        sub.close()
    assert info.value.kind == "exception" and "No space left on device" in info.value.message


MEMFD_HOG = """
import os
fds = []
for i in range(200):  # 200 memfds of 7 MiB: ~1.4 GiB, each under the file-size limit
    fd = os.memfd_create('hog%d' % i)
    for _ in range(7):
        os.write(fd, b'x' * 2**20)
    fds.append(fd)
return len(fds)
"""
SYSV_HOG = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
made = []
for i in range(100):  # 100 segments of 16 MiB, each filled, then detached
    shmid = libc.shmget(token + i, 16 * 2**20, 0o1600)
    if shmid < 0:
        return [len(made), ctypes.get_errno()]
    made.append(shmid)
    addr = libc.shmat(shmid, None, 0)
    ctypes.memset(addr, 1, 16 * 2**20)
    libc.shmdt(ctypes.c_void_p(addr))
return [len(made), 0]
"""
SHM_FILES_HOG = """
import os
written = 0
try:
    for i in range(40):  # 40 files of 7 MiB in /dev/shm
        with open('/dev/shm/hog%d' % i, 'wb') as handle:
            for _ in range(7):
                handle.write(b'x' * 2**20)
                written += 1
except OSError as exc:
    return [written, exc.errno]
return [written, 0]
"""


def test_memory_held_in_memfds_is_counted_and_stops_the_child(zygote: Zygote) -> None:
    if not zygote.isolation["memory_cgroup"]:
        pytest.skip("no memory cgroup on this machine: " + "; ".join(zygote.isolation_warnings))
    sub = start(zygote, "def hog():\n" + "".join(f"    {x}\n" for x in MEMFD_HOG.splitlines()))
    try:
        with pytest.raises(StudentCodeError) as info:
            sub.hog()
        assert sub.good(1) == 2  # a fresh child serves the rest; the grader is fine
    finally:
        sub.close()
    assert info.value.kind == "memory" and "memory limit" in info.value.message
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024  # KiB
    assert_nothing_left(zygote)


def test_system_v_shared_memory_is_bounded(zygote: Zygote) -> None:
    token = 0x5B000000 + secrets.randbelow(1 << 20) * 128
    sub = start(zygote, _function("hog", SYSV_HOG, preamble=""))
    try:
        made, err = sub.hog(token)
    finally:
        sub.close()
        for i in range(100):
            _host_cleanup("sysv_shm", token + i)
    assert made * 16 <= 64 and err == errno.ENOSPC


def test_dev_shm_is_private_and_bounded(zygote: Zygote) -> None:
    sub = start(zygote, "def hog():\n" + "".join(f"    {x}\n" for x in SHM_FILES_HOG.splitlines()))
    try:
        written, err = sub.hog()
        assert not any(name.startswith("hog") for name in os.listdir("/dev/shm"))
    finally:
        sub.close()
        for i in range(40):
            Path("/dev/shm", f"hog{i}").unlink(missing_ok=True)
    assert err == errno.ENOSPC and written <= 64


GRANDCHILD_HOGS = """
import os, time
import numpy as np
pids = []
for _ in range(6):  # 6 x 150 MiB, each well under the 512 MiB address-space limit
    pid = os.fork()
    if pid == 0:
        try:
            block = np.ones(150 * 2**20 // 8)
            time.sleep(60)
        finally:
            os._exit(3)
    pids.append(pid)
time.sleep(3)
killed = 0
for pid in pids:
    done, status = os.waitpid(pid, os.WNOHANG)
    killed += done != 0 and os.WIFSIGNALED(status)
return killed
"""


def test_memory_of_all_its_processes_counts_together(zygote: Zygote) -> None:
    if not zygote.isolation["memory_cgroup"]:
        pytest.skip("no memory cgroup on this machine: " + "; ".join(zygote.isolation_warnings))
    body = "".join(f"    {line}\n" for line in GRANDCHILD_HOGS.splitlines())
    sub = start(zygote, "def hog():\n" + body)
    try:
        killed = sub.hog()
    except StudentCodeError as exc:  # the OOM killer may pick the child itself
        assert exc.kind == "memory", exc.message
    else:
        assert killed >= 1  # 900 MiB in six processes does not fit in 512 + 16 + 32 MiB
    finally:
        sub.close()
    assert_nothing_left(zygote)


def test_the_number_of_files_is_bounded_too(zygote: Zygote) -> None:
    src = (
        "def many():\n    import os\n    try:\n        for i in range(50_000):\n"
        "            open(f'f{i}', 'w').close()\n"
        "    except OSError as exc:\n        return [i, exc.errno]\n    return [i, 0]"
    )
    sub = start(zygote, src, limits=Limits(call_timeout_s=30, disk_mb=16))
    try:
        made, err = sub.many()
    finally:
        sub.close()
    assert err == errno.ENOSPC and made < 10_000  # empty files cost inodes, not blocks
