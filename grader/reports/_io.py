"""The one place the report package writes files (the renderers themselves are pure)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_report"]


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
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
    target.write_bytes(data)
    return target
