"""Landlock: an unprivileged file-system (and, from ABI 4, TCP; from ABI 6, signal) allow-list.

The child builds one ruleset just before running student code: read and execute beneath the
Python installation and the system library directories, read the helper-module directory,
read and write its own working directory, and nothing else. Everything not listed (the
grader's repository, the assignment's hidden tests, the reference solutions, other children's
working directories, ``/proc``, ``/sys``, ``/tmp``) is refused with ``EACCES`` whatever the
file permissions say. The ABI-6 signal scope also stops the child signalling any process
outside its own ruleset (the grader, the zygote, other children).

Something private inside an allowed folder (the grader's install records in
``site-packages``, an assignment kept under ``/usr``) is carved out
(:mod:`grader.sandbox.carve`): that folder becomes listable only, and each of its other
entries gets its own read rule.

Rule paths are opened (``O_PATH``) once in the zygote and inherited by every fork, so a child
only pays for the system calls that build and apply its ruleset.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import struct
from collections.abc import Sequence

__all__ = ["READ", "abi_version", "open_paths", "restrict"]

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # the same on x86_64 and aarch64
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_V1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE | _IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR
_NET_ALL = (1 << 0) | (1 << 1)  # BIND_TCP, CONNECT_TCP
_SCOPE_ALL = (1 << 0) | (1 << 1)  # ABSTRACT_UNIX_SOCKET, SIGNAL

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _fail(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what} failed: {errno.errorcode.get(err, str(err))}")


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is missing or disabled."""
    try:
        version = _libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    except (AttributeError, OSError):
        return 0
    return max(int(version), 0)


def _handled_fs(abi: int) -> int:
    handled = _FS_V1
    if abi >= 2:
        handled |= _REFER
    if abi >= 3:
        handled |= _TRUNCATE
    if abi >= 5:
        handled |= _IOCTL_DEV
    return handled


def open_paths(paths: list[str], low: int = 0) -> list[tuple[int, bool]]:
    """Open each existing path with O_PATH; returns (fd, is_dir) pairs, skipping missing ones.

    With ``low``, each descriptor is moved to a number at least ``low`` when the open-file
    limit allows: a child lowers that limit before it builds its ruleset, and a long list of
    rule paths must not take every number below it.
    """
    out = []
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        if low and fd < low:
            try:
                moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)
            except OSError:
                pass
            else:
                os.close(fd)
                fd = moved
        out.append((fd, os.path.isdir(path)))
    return out


def _add(ruleset: int, fd: int, access: int) -> None:
    attr = struct.pack("=Qi", access, fd)  # struct landlock_path_beneath_attr is packed
    buf = ctypes.create_string_buffer(attr, len(attr))
    if _libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, buf, 0) != 0:
        raise _fail("landlock_add_rule")


def restrict(
    abi: int,
    read: list[tuple[int, bool]],
    write: list[tuple[int, bool]],
    listable: Sequence[tuple[int, bool]] = (),
) -> None:
    """Confine the calling process to ``read`` (read+execute) and ``write`` (everything);
    ``listable`` folders may be listed (and their sub-folders), their files not read.

    Needs no_new_privs (or CAP_SYS_ADMIN). ``read``/``write`` are from :func:`open_paths`.

    Raises:
        OSError: Landlock is missing or refused the ruleset.
    """
    handled = _handled_fs(abi)
    fields = [handled]
    if abi >= 4:
        fields.append(_NET_ALL)
    if abi >= 6:
        fields.append(_SCOPE_ALL)
    attr = struct.pack(f"={len(fields)}Q", *fields)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = int(_libc.syscall(_SYS_CREATE, buf, ctypes.c_size_t(len(attr)), 0))
    if ruleset < 0:
        raise _fail("landlock_create_ruleset")
    try:
        for fd, is_dir in read:
            _add(ruleset, fd, READ if is_dir else READ & _FILE_ONLY)
        for fd, is_dir in write:
            _add(ruleset, fd, handled if is_dir else handled & _FILE_ONLY)
        for fd, is_dir in listable:
            if is_dir:
                _add(ruleset, fd, READ_DIR)
        if _libc.syscall(_SYS_RESTRICT, ruleset, 0) != 0:
            raise _fail("landlock_restrict_self")
    finally:
        os.close(ruleset)
