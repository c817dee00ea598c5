"""Open a submission's file for reading: a regular file only, never blocking, no link followed.

A folder uploaded by a stranger may hold anything a file system can: a symbolic link to the
reference solution, a named pipe (opening one for reading waits for a writer, forever), a
socket, a device. :func:`open_regular` refuses all of them with an :class:`NotRegularFile`
that says what the entry is, and checks the descriptor it opened (``fstat``), so nothing can be
swapped in between the check and the read.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["NotRegularFile", "describe_mode", "open_regular"]

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotRegularFile(OSError):
    """The path exists but is not a regular file (or changed while it was being opened)."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"{kind}, not a regular file", os.fspath(path))
        self.kind = kind


def describe_mode(mode: int) -> str:
    """What an ``st_mode`` is, in words: ``"a named pipe (FIFO)"``, ``"a regular file"``..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "a special file"


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool = False) -> BinaryIO:
    """Open ``path`` for binary reading if, and only if, it is a regular file.

    Args:
        path: the file.
        follow_symlinks: follow a symbolic link in the last component (for paths a user typed
            on purpose); by default a link is refused, whatever it points to.

    Returns:
        The open file; the caller closes it.

    Raises:
        NotRegularFile: the path is a link (when not followed), a folder, a FIFO, a socket, a
            device, or was replaced while being opened. ``kind`` says which.
        OSError: it does not exist or cannot be read (``FileNotFoundError``,
            ``PermissionError``...).
    """
    info = os.stat(path, follow_symlinks=follow_symlinks)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(path, describe_mode(info.st_mode))
    # O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise NotRegularFile(path, "a symbolic link") from None
        raise
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise NotRegularFile(path, describe_mode(opened.st_mode))
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise NotRegularFile(path, "a file that changed while it was being opened")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
