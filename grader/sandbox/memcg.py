"""A memory cgroup per child: one limit on every way of holding memory.

``RLIMIT_AS`` counts only what a process maps. Memory held otherwise (a ``memfd`` written
but not mapped, System V shared memory not attached, files on a tmpfs, pipe and socket
buffers, a grandchild's share) escapes it. A memory cgroup counts all of it, for every
process of the child, and the kernel's OOM killer stops the child when the total passes the
limit, without touching the grader.

Layout: the zygote creates ``grader-<zygote pid>`` inside its own cgroup, and one ``c<n>``
inside that per child. The zygote waits in the next child's (empty) group, so the fork puts
the child there before it runs anything, at no cost; moving a process between cgroups waits
for an RCU grace period (~15 ms measured here), which the zygote pays for itself after it has
answered the spawn request. The zygote removes ``c<n>`` when it reaps the child (a PID
namespace's init is reaped only after every process of the namespace has died, so the group
is empty by then).
A group left by a grader that was killed is found by its name (a pid that no longer runs)
and removed by the next grader that starts in the same cgroup, and the grader's host removes
its zygote's group when it closes.

cgroup v2 is used when the memory controller can be enabled below the grader's cgroup. v2
forbids that while the cgroup itself holds processes (the grader's do), so on most v2
machines this fails and the layer is reported missing with that reason; the v1 memory
hierarchy is used when it is mounted and writable (as on this project's machines).
"""

from __future__ import annotations

import contextlib
import os
import re

__all__ = ["MemoryCgroups", "inside", "oom_kills", "remove_tree"]

_STALE = re.compile(r"grader-(\d+)")


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _mounts(mountinfo: str) -> dict[str, tuple[str, str]]:
    """{"v2" | "v1": (mount point, root of the mount in the hierarchy)} for memory."""
    found: dict[str, tuple[str, str]] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, point = fields[3], fields[4].replace("\\040", " ")
        if tail[0] == "cgroup2":
            found.setdefault("v2", (point, root))
        elif tail[0] == "cgroup" and "memory" in tail[2].split(","):
            found.setdefault("v1", (point, root))
    return found


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """{"v2": path, "v1": path} of the calling process (from /proc/self/cgroup)."""
    own: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            own["v2"] = parts[2]
        elif "memory" in parts[1].split(","):
            own["v1"] = parts[2]
    return own


def _join(point: str, root: str, path: str) -> str:
    if root != "/" and (path + "/").startswith(root + "/"):
        path = path[len(root):]
    return os.path.join(point, path.lstrip("/"))


def remove_tree(group: str) -> bool:
    """Remove a grader's group and its (empty) child groups; True when it is gone."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(group):
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.rmdir(entry.path)
    with contextlib.suppress(OSError):
        os.rmdir(group)
    return not os.path.isdir(group)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_stale(parent: str, own_pid: int) -> None:
    with contextlib.suppress(OSError):
        for entry in os.scandir(parent):
            match = _STALE.fullmatch(entry.name)
            if match and int(match.group(1)) != own_pid and not _alive(int(match.group(1))):
                remove_tree(entry.path)


class MemoryCgroups:
    """The zygote's memory cgroup and the per-child groups below it."""

    def __init__(self, parent: str, group: str, version: int) -> None:
        self.parent = parent
        self.group = group
        self.version = version
        self._count = 0

    @classmethod
    def setup(
        cls, pid: int, mountinfo: str | None = None, proc_cgroup: str | None = None
    ) -> tuple[MemoryCgroups | None, str]:
        """Create ``grader-<pid>`` in the caller's memory cgroup; (groups, "") or (None, why)."""
        mounts = _mounts(_read("/proc/self/mountinfo") if mountinfo is None else mountinfo)
        own = _own_paths(_read("/proc/self/cgroup") if proc_cgroup is None else proc_cgroup)
        reasons = []
        if "v2" in mounts and "v2" in own:
            parent = _join(*mounts["v2"], own["v2"])
            why = cls._enable_v2(parent)
            if not why:
                return cls._make(parent, pid, 2)
            reasons.append(why)
        if "v1" in mounts and "v1" in own:
            return cls._make(_join(*mounts["v1"], own["v1"]), pid, 1)
        if not reasons:
            reasons.append("no cgroup hierarchy with the memory controller is mounted")
        return None, "; ".join(reasons)

    @staticmethod
    def _enable_v2(parent: str) -> str:
        if "memory" not in _read(os.path.join(parent, "cgroup.controllers")).split():
            return f"cgroup v2: the memory controller is not available in {parent}"
        if "memory" in _read(os.path.join(parent, "cgroup.subtree_control")).split():
            return ""
        try:
            _write(os.path.join(parent, "cgroup.subtree_control"), "+memory")
        except OSError as exc:
            return (
                f"cgroup v2: cannot enable the memory controller below {parent} "
                f"({exc.strerror}; cgroup v2 allows that only in a cgroup without processes of "
                "its own, so the grader would have to start as the only process of a delegated "
                "cgroup and move itself into a leaf; not done)"
            )
        return ""

    @classmethod
    def _make(cls, parent: str, pid: int, version: int) -> tuple[MemoryCgroups | None, str]:
        _remove_stale(parent, pid)
        group = os.path.join(parent, f"grader-{pid}")
        try:
            os.makedirs(group, exist_ok=True)
            if version == 2:
                _write(os.path.join(group, "cgroup.subtree_control"), "+memory")
        except OSError as exc:
            remove_tree(group)
            return None, f"cannot create a memory cgroup in {parent}: {exc.strerror}"
        return cls(parent, group, version), ""

    def create(self) -> tuple[str, str]:
        """A fresh, empty child group: (its path, "") or ("", why)."""
        self._count += 1
        path = os.path.join(self.group, f"c{self._count}")
        try:
            os.mkdir(path)
            if self.version == 2:
                with contextlib.suppress(OSError):  # no swap accounting: nothing to limit
                    _write(os.path.join(path, "memory.swap.max"), "0")
                with contextlib.suppress(OSError):
                    _write(os.path.join(path, "memory.oom.group"), "1")
        except OSError as exc:
            self.remove(path)
            return "", f"cannot create a memory cgroup for the child: {exc.strerror}"
        return path, ""

    def set_limit(self, path: str, limit_bytes: int) -> str:
        """Limit the group at ``path`` (memory and, where accounted, swap); "" or why not."""
        try:
            if self.version == 2:
                _write(os.path.join(path, "memory.max"), str(limit_bytes))
                return ""
            # v1 needs memsw >= limit at every step: try it on both sides of the limit.
            memsw = os.path.join(path, "memory.memsw.limit_in_bytes")
            with contextlib.suppress(OSError):
                _write(memsw, str(limit_bytes))
            _write(os.path.join(path, "memory.limit_in_bytes"), str(limit_bytes))
            with contextlib.suppress(OSError):
                _write(memsw, str(limit_bytes))
        except OSError as exc:
            return f"cannot set the memory cgroup's limit: {exc.strerror}"
        return ""

    @staticmethod
    def enter(path: str) -> str:
        """Move the calling process into the group at ``path``; "" or why it failed."""
        try:
            _write(os.path.join(path, "cgroup.procs"), "0")
        except OSError as exc:
            return f"moving into the memory cgroup {path} failed: {exc.strerror}"
        return ""

    @staticmethod
    def remove(path: str) -> bool:
        """Remove one child group (empty once its processes are gone); True when gone."""
        with contextlib.suppress(OSError):
            os.rmdir(path)
        return not os.path.isdir(path)

    def close(self) -> None:
        """Leave the groups (back to where the caller started), then remove them all."""
        self.enter(self.parent)
        remove_tree(self.group)


def inside(path: str) -> bool:
    """True when the calling process is in the cgroup at ``path``."""
    tail = "/" + "/".join(path.rstrip("/").split("/")[-2:])
    for line in _read("/proc/self/cgroup").splitlines():
        if line.endswith(tail) and ("memory" in line.split(":")[1].split(",") or line[:3] == "0::"):
            return True
    return False


def oom_kills(path: str) -> int:
    """How many processes the OOM killer has killed in the group at ``path`` (0 if unknown)."""
    if not path:
        return 0
    for name in ("memory.events", "memory.oom_control"):  # v2, v1
        for line in _read(os.path.join(path, name)).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
    return 0
