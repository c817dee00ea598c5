"""The one place the report package writes files (the renderers themselves are pure)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "write_report"]


def atomic_write(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    A reader never sees half a file, and a run killed mid-write leaves the old file (or none)
    and no temporary file behind. Text is UTF-8, written exactly as given (no newline
    translation); characters UTF-8 cannot encode become ``?``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
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
