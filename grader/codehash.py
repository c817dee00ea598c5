"""A fingerprint of the grading code itself, so a cached result never outlives the code.

The version string alone does not say which code graded a result: an editable install, a
``git pull`` or a ``pip install git+...`` between two releases changes the checks, the reader
or the sandbox and keeps ``__version__``. :func:`grader_code_fingerprint` hashes the bytes of
every ``.py`` file of the installed ``grader`` package (about a hundred small files, read once
per process, a few milliseconds), and the result cache keys on it as well as on the version.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

__all__ = ["code_fingerprint", "grader_code_fingerprint"]

_SKIPPED_DIRS = {"__pycache__"}


def code_fingerprint(package: str | Path) -> str:
    """The sha256 of every ``.py`` file under ``package`` (names and bytes), in sorted order.

    Links are not followed; ``__pycache__`` folders are skipped (compiled copies change
    nothing the source does not). A file that cannot be read is hashed by its error, so the
    fingerprint is still defined and differs from the readable file's.
    """
    root = Path(package)
    digest = hashlib.sha256()
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS]
        files.extend(Path(dirpath) / name for name in filenames if name.endswith(".py"))
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        try:
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            content = f"unreadable: {exc.strerror or type(exc).__name__}"
        digest.update(f"{path.relative_to(root).as_posix()}\0{content}\n".encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def grader_code_fingerprint() -> str:
    """:func:`code_fingerprint` of the running ``grader`` package, computed once per process."""
    return code_fingerprint(Path(__file__).resolve().parent)
