"""A hand-written seccomp filter for sandboxed children (x86_64 and aarch64 only).

The filter is a short classic-BPF program that the child installs on itself just before it
runs student code. It refuses, with ``EPERM``, the system calls a numeric exercise never needs
and that could reach outside the sandbox: debugging other processes, mounting, entering or
creating namespaces, changing user or group ids (the child keeps a saved uid of 0 so that it
can still read the interpreter, see :mod:`grader.sandbox.isolation`; forbidding every
``set*id`` call is what makes that safe), kernel keyrings, BPF, kernel modules, io_uring and
creating sockets (the network namespace is empty anyway; this also stops connecting to Unix
sockets on the file system). ``clone3`` answers ``ENOSYS`` so that the C library falls back to
``clone``, whose flags a classic filter can inspect: a ``clone`` that asks for a new namespace
is refused, a plain fork or thread is allowed (the process limit bounds them).

On an unknown architecture :func:`build_filter` returns ``None`` and the layer is reported
missing; a call from a foreign ABI (i386 ``int 0x80``, x32) is refused outright because its
numbers differ.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["DENIED", "build_filter", "install"]

# Names of the refused system calls, in the order of the tables below.
DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "unshare", "setns",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "kexec_load",
    "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module", "setuid",
    "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
    "setgroups", "capset", "io_uring_setup", "io_uring_enter", "io_uring_register", "socket",
    "pivot_root", "chroot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime",
    "adjtimex", "open_by_handle_at", "name_to_handle_at", "userfaultfd", "open_tree",
    "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "syslog",
    "pidfd_getfd", "kcmp", "quotactl", "vhangup", "sethostname", "setdomainname",
)

_X86_64 = (
    101, 310, 311, 165, 166, 272, 308, 250, 248, 249, 321, 298, 246, 320, 169, 175, 313, 176,
    105, 106, 113, 114, 117, 119, 122, 123, 116, 126, 425, 426, 427, 41, 155, 161, 167, 168,
    163, 164, 227, 159, 304, 303, 323, 428, 429, 430, 431, 432, 433, 442, 103, 438, 312, 179,
    153, 170, 171,
)
_AARCH64 = (
    117, 270, 271, 40, 39, 97, 268, 219, 217, 218, 280, 241, 104, 294, 142, 105, 273, 106,
    146, 144, 145, 143, 147, 149, 151, 152, 159, 91, 425, 426, 427, 198, 41, 51, 224, 225,
    89, 170, 112, 171, 265, 264, 282, 428, 429, 430, 431, 432, 433, 442, 116, 438, 272, 60,
    58, 161, 162,
)
# machine -> (AUDIT_ARCH_*, denied numbers, clone, clone3, extra numbers (x86 ioperm/iopl))
_ARCHES = {
    "x86_64": (0xC000003E, _X86_64, 56, 435, (172, 173)),
    "aarch64": (0xC00000B7, _AARCH64, 220, 435, ()),
}
_X32_BIT = 0x40000000
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME (0x80)
_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
_NAMESPACE_FLAGS |= 0x20000000 | 0x40000000 | 0x00000080

_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def build_filter(machine: str | None = None) -> bytes | None:
    """The BPF program (packed ``sock_filter`` array) for this machine, or None if unknown."""
    arch = _ARCHES.get(machine or platform.machine())
    if arch is None:
        return None
    audit_arch, numbers, clone, clone3, extra = arch
    deny = _op(_RET, _ERRNO | errno.EPERM)
    prog = [
        _op(_LD_W_ABS, _OFF_ARCH),
        _op(_JEQ, audit_arch, jt=1),
        deny,
        _op(_LD_W_ABS, _OFF_NR),
    ]
    if audit_arch == 0xC000003E:
        prog += [_op(_JGE, _X32_BIT, jf=1), deny]
    for nr in (*numbers, *extra):
        prog += [_op(_JEQ, nr, jf=1), deny]
    prog += [_op(_JEQ, clone3, jf=1), _op(_RET, _ERRNO | errno.ENOSYS)]
    # clone: refuse namespace flags in its first argument (the low 32 bits hold them all).
    prog += [
        _op(_JEQ, clone, jf=3),
        _op(_LD_W_ABS, _OFF_ARG0),
        _op(_JSET, _NAMESPACE_FLAGS, jf=1),
        deny,
        _op(_RET, _ALLOW),
    ]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def install(program: bytes) -> None:
    """Install ``program`` on the calling thread; needs no_new_privs (or CAP_SYS_ADMIN).

    Raises:
        OSError: the kernel refused the filter.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    fprog = _SockFprog(len(program) // 8, program)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter refused: {errno.errorcode.get(err, err)}")
