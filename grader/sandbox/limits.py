"""Per-sandbox resource limits, shared by the grader and the child."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """What one sandboxed child may use.

    ``call_timeout_s`` is the wall clock for one call into student code, enforced from
    outside with SIGKILL. The others are kernel resource limits on the child. ``disk_mb``
    is the size of the child's working directory (a private tmpfs, where the kernel allows
    it); the child's memory cgroup allows ``memory_mb + disk_mb`` plus a small /dev/shm.
    """

    call_timeout_s: float = 10.0
    load_timeout_s: float = 10.0
    memory_mb: int = 2048
    cpu_s: int = 60
    file_size_mb: int = 16
    disk_mb: int = 128
    open_files: int = 256
    processes: int = 64
    output_chars: int = 8192
    result_mb: int = 64

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, sent to the child."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """Rebuild from :meth:`to_dict`, ignoring unknown keys."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def result_bytes(self) -> int:
        """The largest result payload the grader accepts."""
        return self.result_mb * 1024 * 1024
