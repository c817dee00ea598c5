"""The start-up probe: a throw-away child that applies every layer and checks each one.

A layer counts as active only when the call that sets it up succeeded *and* a direct check
inside the confined child agrees (a forbidden directory really is unreadable, a forbidden
system call really fails). The zygote sends the result to the grader with its ready message.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import NoReturn

from grader.sandbox import confine, isolation

__all__ = ["run_probe"]


def _opens(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError:
        return False  # refused, or gone: nothing to leak
    return True


def _unreadable(paths: list[str], sample: int = 64) -> bool:
    """True when no file in ``paths`` (files, or folders and up to ``sample`` files beneath
    each) can be opened. A carved folder may stay listable (names only): what counts is
    that its files cannot be read."""
    for path in paths:
        if not os.path.isdir(path):
            if _opens(path):
                return False
            continue
        tried = 0
        for folder, _dirs, files in os.walk(path):
            for name in files[: sample - tried]:
                if _opens(os.path.join(folder, name)):
                    return False
            tried += min(len(files), sample - tried)
            if tried >= sample:
                break
    return True


def _syscall_refused() -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.unshare(0) != 0 and ctypes.get_errno() == 1)  # EPERM


def _verify(report: dict[str, bool], notes: dict[str, str], plan: isolation.Plan) -> None:
    if report["filesystem"]:
        readable = os.path.isdir(os.path.join(sys.base_prefix, "lib"))
        if not (readable and _unreadable(plan.deny_roots)):
            report["filesystem"] = False
            notes["filesystem"] = (
                "Landlock applied but the grader's or assignment's files stayed readable"
            )
    if report["seccomp"] and not _syscall_refused():
        report["seccomp"] = False
        notes["seccomp"] = "the filter was installed but unshare() still succeeded"
    weak = isolation.weakened_by(plan.read_paths, plan.deny_roots)
    if weak:
        report["filesystem"] = False
        notes["filesystem"] = f"readable path {weak[0]} contains the grader's or assignment's files"


def run_probe(
    plan: isolation.Plan, workdir: str, uid: int, out_fd: int, limits: dict[str, int]
) -> NoReturn:
    """In a forked child: confine like a real child, verify, write JSON to ``out_fd``, exit."""
    code = 0
    try:
        report, notes = confine.enter_sandbox(workdir, limits, plan, uid, out_fd)
        _verify(report, notes, plan)
        os.write(out_fd, json.dumps({"isolation": report, "notes": notes}).encode())
    except BaseException as exc:
        try:
            os.write(out_fd, json.dumps({"error": repr(exc)[:500]}).encode())
        except BaseException:
            code = 70
    os._exit(code)
