"""Check ``grade``'s report paths before anything is graded.

A path that cannot take its report (a folder where a file is needed, a file where a folder is
needed, a place nobody can write) is refused at once, with one line naming the option, instead
of after a whole batch has been graded. Nothing is created here: missing folders are created
when the first report is written, so a refused command leaves the disk as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from grader.errors import GraderError, UsageError

__all__ = ["OutputError", "check_output_paths"]


class OutputError(GraderError):
    """A report could not be written once grading had started (disk full, folder removed...)."""


def check_output_paths(files: Mapping[str, str | None], folders: Mapping[str, str | None]) -> None:
    """Refuse report paths that cannot work, before any grading.

    Args:
        files: option (e.g. ``"--json"``) to the file it names, or None when not given.
        folders: option (e.g. ``"--feedback"``) to the folder it names, or None.

    Raises:
        UsageError: one line naming the option, the path and what is wrong with it.
    """
    seen: dict[Path, str] = {}
    for option, path, want_folder in [
        *((o, p, False) for o, p in files.items()),
        *((o, p, True) for o, p in folders.items()),
    ]:
        if path is None:
            continue
        _check_one(option, path, want_folder=want_folder)
        key = Path(os.path.abspath(path))
        if key in seen:
            raise UsageError(f"{seen[key]} and {option} both name {path}: give each its own path")
        seen[key] = option


def _check_one(option: str, path: str, *, want_folder: bool) -> None:
    target = Path(path)
    if not path:
        raise UsageError(f"{option}: the path is empty")
    if want_folder:
        if target.exists() and not target.is_dir():
            raise UsageError(f"{option} {path}: is a file; {option} needs a folder")
        _check_writable(option, path, target)
        return
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder; {option} needs a file name")
    if path.endswith(("/", os.sep)):
        raise UsageError(f"{option} {path}: names a folder (it ends in /); {option} needs a file")
    if target.exists() and not target.is_file():
        raise UsageError(f"{option} {path}: is not a regular file; {option} needs a file name")
    _check_writable(option, path, target.parent)


def _check_writable(option: str, path: str, folder: Path) -> None:
    """``folder`` exists and takes new files, or its nearest existing ancestor does."""
    nearest = Path(os.path.abspath(folder))
    while not os.path.lexists(nearest):
        nearest = nearest.parent
    if not nearest.is_dir():
        raise UsageError(f"{option} {path}: cannot be created: {nearest} is not a folder")
    try:  # trying is the only test that holds for root, read-only mounts and /proc alike
        fd, probe = tempfile.mkstemp(prefix=".grader-probe-", dir=nearest)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"{option} {path}: cannot write in {nearest}: {reason}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
