"""Find the submissions under the paths given to ``grader grade``, without following links.

A folder is walked entry by entry (``os.scandir``, never following a symbolic link), so a
submission is only ever what the student uploaded: a link to the reference solution, a named
pipe, a socket or a device found where a notebook could be is kept in the plan and graded as
*invalid* with its reason (the reader refuses it); any other such entry, a link to a folder
and a folder that cannot be read are listed in :attr:`Collection.skipped`. Nothing is dropped
silently except hidden files (``.name``) and ``.ipynb_checkpoints`` folders, by convention.

A file named on the command line is not followed through a link either: shell globs
(``grader grade A subs/*``) name every entry of an upload folder, links included. A folder
named there may be a link (a course's folders often are); the entries inside it are not.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.files import describe_mode

__all__ = ["Collection", "Found", "collect", "is_candidate"]

SUFFIXES = (".ipynb", ".py")
_SKIPPED_FOLDERS = {".ipynb_checkpoints"}


@dataclass(frozen=True)
class Found:
    """One submission file to grade."""

    path: Path  # what the grader opens, never following a link in its last component
    root: Path | None  # the folder given on the command line, for a file found in one
    named: Path  # where it was found, or as typed: decides the submission id


@dataclass(frozen=True)
class Collection:
    """The submissions found, and every entry passed over with the reason."""

    files: tuple[Found, ...]
    skipped: tuple[str, ...]


def is_candidate(name: str) -> bool:
    """Whether a file of this name can be a submission (a visible notebook or script)."""
    return name.endswith(SUFFIXES) and not name.startswith(".")


def collect(paths: Sequence[str | os.PathLike[str]]) -> Collection:
    """Expand files and folders (recursively) into submissions, each folder's sorted by path.

    In a student's sub-folder that holds a notebook, ``.py`` files are taken for the helper
    modules that come with a downloaded workspace (``planar_utils.py``), not for submissions.
    Files directly in the given folder, and files named on the command line, are always
    graded. The result does not depend on the order in which the OS lists a folder.
    """
    files: list[Found] = []
    skipped: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(_collect_folder(path, skipped))
        else:  # a link is planned as it is: the reader refuses it with the reason
            files.append(Found(path, None, path))
    return Collection(tuple(files), tuple(skipped))


def _collect_folder(root: Path, skipped: list[str]) -> list[Found]:
    candidates: list[tuple[Path, int]] = []  # (path, lstat mode)
    passed_over: list[str] = []
    for path, mode in _walk(root, passed_over):
        if is_candidate(path.name):
            candidates.append((path, mode))
        elif not stat.S_ISREG(mode) and not path.name.startswith("."):
            passed_over.append(f"{path}: {_kind(mode)}; skipped")
    candidates.sort()
    workspaces = {p.parent for p, _ in candidates if p.suffix == ".ipynb"} - {root}
    found: list[Found] = []
    for path, mode in candidates:
        if path.suffix == ".ipynb" or path.parent not in workspaces:
            found.append(Found(path, root, path))
        elif not stat.S_ISREG(mode):
            passed_over.append(f"{path}: {_kind(mode)}; skipped")
    skipped.extend(sorted(passed_over))  # in a stable order, whatever the OS lists first
    return found


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link, not followed"
    return f"{describe_mode(mode)}, not a regular file"


def _walk(root: Path, skipped: list[str]) -> list[tuple[Path, int]]:
    """Every non-folder entry under ``root`` with its ``lstat`` mode; links are not followed."""
    out: list[tuple[Path, int]] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            skipped.append(f"{folder}: the folder cannot be read ({reason}); skipped")
            continue
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:  # vanished or unreadable since the listing
                reason = exc.strerror or type(exc).__name__
                skipped.append(f"{entry.path}: cannot be examined ({reason}); skipped")
                continue
            if stat.S_ISDIR(mode):
                if entry.name not in _SKIPPED_FOLDERS:
                    stack.append(Path(entry.path))
            else:
                out.append((Path(entry.path), mode))
    return out
