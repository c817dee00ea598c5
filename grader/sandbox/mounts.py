"""Private IPC and mount namespaces for one child, with size-limited tmpfs mounts.

Run in the freshly forked child while it still has its capabilities (before Landlock, which
forbids mounting, and before seccomp, which forbids ``unshare`` and ``mount``):

- ``unshare(CLONE_NEWIPC)``: System V shared memory, semaphores and message queues, and POSIX
  message queues, live in a namespace of the child's own. Nothing outside can see them, and
  the kernel destroys them all when the last process of the namespace is gone. Its System V
  limits are set small where /proc/sys is writable (a numeric exercise needs none of it).
- ``unshare(CLONE_NEWNS)`` with every mount made private, then a tmpfs of ``disk_mb`` (and a
  capped number of inodes) mounted on the working directory, and a small empty tmpfs on
  ``/dev/shm`` (POSIX shared memory, ``multiprocessing``'s semaphores). Files written there
  count against these sizes instead of the grader's disk, are invisible to the grader and to
  every other child, and vanish with the namespace, even if the grader is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os

__all__ = ["SHM_DIR", "SHM_MB", "enter_private_namespaces"]

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
SHM_DIR = "/dev/shm"
SHM_MB = 32
_WORKDIR_INODES = 8192
_SHM_INODES = 256
# Per-IPC-namespace System V limits: segments of at most SHM_MB in total, few queues.
_IPC_SYSCTLS = (
    ("/proc/sys/kernel/shmmax", SHM_MB * 1024 * 1024),
    ("/proc/sys/kernel/shmall", SHM_MB * 1024 * 1024 // os.sysconf("SC_PAGE_SIZE")),
    ("/proc/sys/kernel/msgmni", 16),
)

_libc = ctypes.CDLL(None, use_errno=True)


def _errno_text() -> str:
    err = ctypes.get_errno()
    return errno.errorcode.get(err, str(err))


def _ns_inode(kind: str) -> int:
    try:
        return os.stat(f"/proc/self/ns/{kind}").st_ino
    except OSError:
        return 0


def _private_ipc() -> str | None:
    before = _ns_inode("ipc")
    if _libc.unshare(CLONE_NEWIPC) != 0:
        return f"unshare(CLONE_NEWIPC) failed: {_errno_text()}"
    if not before or _ns_inode("ipc") == before:
        return "unshare(CLONE_NEWIPC) returned but the IPC namespace did not change"
    for path, value in _IPC_SYSCTLS:
        # Best effort (a read-only /proc/sys refuses): the namespace alone keeps the objects
        # private and short-lived, and the memory cgroup also counts them.
        with contextlib.suppress(OSError), open(path, "w") as handle:
            handle.write(str(value))
    return None


def _tmpfs(target: str, size_mb: int, inodes: int, mode: str) -> str | None:
    options = f"size={size_mb}m,nr_inodes={inodes},mode={mode}".encode()
    if _libc.mount(b"tmpfs", target.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        return f"mounting a tmpfs on {target} failed: {_errno_text()}"
    return None


def _private_mounts(workdir: str, disk_mb: int) -> str | None:
    if _libc.unshare(CLONE_NEWNS) != 0:
        return f"unshare(CLONE_NEWNS) failed: {_errno_text()}"
    # Without this, mounts below would propagate back to the grader's namespace (shared /).
    if _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return f"making mounts private failed: {_errno_text()}"
    error = _tmpfs(workdir, max(1, disk_mb), _WORKDIR_INODES, "0700")
    if error is None and os.path.isdir(SHM_DIR):
        error = _tmpfs(SHM_DIR, SHM_MB, _SHM_INODES, "1777")
    if error is None:
        size = os.statvfs(workdir)
        if size.f_blocks * size.f_frsize != max(1, disk_mb) * 1024 * 1024:
            error = f"the tmpfs on the working directory does not have its {disk_mb} MB size"
    return error


def enter_private_namespaces(
    workdir: str, disk_mb: int, disabled: frozenset[str]
) -> tuple[dict[str, bool], dict[str, str]]:
    """Give the calling process its own IPC namespace and size-limited private mounts.

    ``workdir`` must exist; it becomes the root of a fresh tmpfs of ``disk_mb`` MB, so the
    caller must ``chdir`` into it *after* this call. Layers named in ``disabled`` are skipped.
    Returns (layer -> active, layer -> reason) for ``ipc_namespace`` and ``private_mounts``.
    """
    report = {"ipc_namespace": False, "private_mounts": False}
    notes: dict[str, str] = {}
    if not hasattr(_libc, "unshare"):
        reason = "unshare() is not available on this platform"
        return report, dict.fromkeys(report, reason)
    if "ipc_namespace" not in disabled:
        error = _private_ipc()
        report["ipc_namespace"] = error is None
        if error is not None:
            notes["ipc_namespace"] = error
    if "private_mounts" not in disabled:
        error = _private_mounts(workdir, disk_mb)
        report["private_mounts"] = error is None
        if error is not None:
            notes["private_mounts"] = error
    return report, notes
