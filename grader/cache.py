"""A content-addressed cache of graded results, so a re-run grades only what is new.

The key of a result is the sha256 of everything that decides it: the submission's bytes, the
assignment's fingerprint (every file under its folder, its helpers and its solution), the
grader's version, a fingerprint of the grader's own code (:mod:`grader.codehash`: an editable
or git install changes the code and keeps the version) and the visibility selection. Change
any of them and the old entry is simply never looked up again.

Entries are JSON files (``<dir>/<key[:2]>/<key>.json``) holding the key and the result's
:meth:`~grader.results.SubmissionResult.to_dict`, written atomically (temporary file, then
rename), so a run killed at any moment leaves only whole entries behind. An entry that cannot
be read back exactly (truncated, edited, another key's content) is ignored and regraded:
the cache is a speed-up, never an authority. Nothing here is ever unpickled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.files import open_regular
from grader.notebook import DEFAULT_MAX_BYTES
from grader.reports._io import atomic_write
from grader.results import OUTCOMES, SubmissionResult

__all__ = [
    "CACHE_FORMAT",
    "ResultCache",
    "assignment_fingerprint",
    "cache_key",
    "file_sha256",
    "relabel",
]

CACHE_FORMAT = 2  # bump when the entry layout changes: old entries then miss
_SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", ".git", ".pytest_cache", ".mypy_cache"}


def file_sha256(
    path: str | Path, *, follow_symlinks: bool = False, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> str:
    """The sha256 of a regular file's bytes, hex-encoded.

    A submission's link is not followed by default: keyed by its target's bytes, a link to an
    already graded solution would be handed that solution's cached result. A file over
    ``max_bytes`` (the reader refuses it unread) is not hashed either: a sparse file of a
    terabyte would take hours.

    Raises:
        OSError: if the file cannot be read, is not a regular file (a FIFO never blocks), or
            is larger than ``max_bytes``.
    """
    digest = hashlib.sha256()
    with open_regular(path, follow_symlinks=follow_symlinks) as handle:
        size = os.fstat(handle.fileno()).st_size
        if max_bytes is not None and size > max_bytes:
            raise OSError(errno.EFBIG, "larger than a submission may be", str(path))
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _assignment_files(assignment: Assignment) -> Iterable[tuple[str, Path]]:
    """(label, path) of every file that can change a grade, in a stable order."""
    root = assignment.root
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(dirpath) / name
            yield "assignment/" + path.relative_to(root).as_posix(), path
    extras = [assignment.solution, *assignment.helpers]
    for extra in extras:
        if extra is not None and root not in extra.parents:
            yield "external/" + extra.name, extra


def assignment_fingerprint(assignment: Assignment) -> str:
    """A hash of every file under the assignment folder, plus its solution and helpers.

    Args:
        assignment: a loaded assignment.

    Returns:
        A hex sha256 that changes whenever any file that can change a grade changes.

    Raises:
        OSError: if one of those files cannot be read.
    """
    digest = hashlib.sha256()
    for label, path in _assignment_files(assignment):
        file_digest = file_sha256(path, follow_symlinks=True, max_bytes=None)
        digest.update(f"{label}\0{file_digest}\n".encode())
    return digest.hexdigest()


def cache_key(
    submission_sha256: str, fingerprint: str, version: str, visibility: str, code: str
) -> str:
    """The cache key of one submission's result (a hex sha256).

    ``code`` is the grading code's fingerprint (:func:`~grader.codehash.grader_code_fingerprint`).
    """
    parts = [f"format={CACHE_FORMAT}", submission_sha256, fingerprint, version, visibility, code]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class ResultCache:
    """Graded results on disk, addressed by :func:`cache_key`.

    Args:
        directory: where entries live; created on the first write.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, sha256: str) -> SubmissionResult | None:
        """The cached result for ``key``, or None when absent or unusable.

        An unusable entry (unreadable, not JSON, another key, a malformed result, a result
        for other bytes than ``sha256``) is removed so it is regraded and rewritten, never
        trusted and never an error.
        """
        path = self._path(key)
        try:
            data = json.loads(path.read_bytes())
            result = _entry_result(data, key, sha256)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            result = None
        if result is None:
            with contextlib.suppress(OSError):
                path.unlink()
        return result

    def put(self, key: str, result: SubmissionResult) -> None:
        """Store ``result`` under ``key`` atomically (a concurrent reader sees all or nothing).

        Raises:
            OSError: if the cache folder cannot be written.
        """
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"format": CACHE_FORMAT, "key": key, "result": result.to_dict()}
        atomic_write(path, json.dumps(entry, allow_nan=False).encode())


def _entry_result(data: Any, key: str, sha256: str) -> SubmissionResult | None:
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("key") != key:
        return None
    raw = data.get("result")
    if not isinstance(raw, dict):
        return None
    result = SubmissionResult.from_dict(raw)
    # Round-trip check: a hand-edited or half-valid entry must read back to exactly itself.
    if result.to_dict() != raw or result.sha256 != sha256:
        return None
    if result.status not in ("graded", "invalid") or any(
        t.outcome not in OUTCOMES for t in result.tests
    ):
        return None
    return result


def relabel(result: SubmissionResult, submission_id: str, path: str | Path) -> SubmissionResult:
    """A cached result under the id and path of the submission being graded now."""
    return dataclasses.replace(result, id=submission_id, path=str(path))
