"""The one place the report package writes files (the renderers themselves are pure)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["atomic_write", "open_part", "write_report"]

_NEW_FILE_MODE = 0o666  # the kernel takes the umask off, as for any file a program creates
_TRIES = 100


def open_part(target: Path) -> tuple[int, str]:
    """Create a new, empty temporary file next to ``target``: ``(fd, path)``.

    Like :func:`tempfile.mkstemp` (a fresh random name, created exclusively, never through a
    link) but with the permissions any other report would get: 0666 less the user's umask
    (0644 as usual), where ``mkstemp`` always gives 0600 and the course staff could not read
    the reports. The name is ``.<target name>.<random>.part``.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(_TRIES):
        tmp = os.path.join(target.parent, f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(tmp, flags, _NEW_FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")


def atomic_write(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    A reader never sees half a file, and a run killed mid-write leaves the old file (or none)
    and no temporary file behind. Text is UTF-8, written exactly as given (no newline
    translation); characters UTF-8 cannot encode become ``?``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
    fd, tmp = open_part(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def write_report(path: str | Path, content: str | bytes) -> Path:
    """Write a rendered report to ``path``, creating parent folders as needed.

    Text is written as UTF-8 exactly as given (no newline translation, so the CSV keeps its
    ``\\r\\n`` row ends); characters UTF-8 cannot encode (unpaired surrogates from a
    student's output) become ``?`` rather than aborting the write.

    Args:
        path: where to write; an existing file is replaced.
        content: the output of one of the renderers.

    Returns:
        The path written, as a :class:`~pathlib.Path`.

    Raises:
        OSError: if the file cannot be written.
    """
    return atomic_write(path, content)
