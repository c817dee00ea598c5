"""One module per ``grader`` subcommand: each adds its parser and runs the library call.

Every module exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``;
:mod:`grader.cli` assembles them and maps exceptions to exit codes in one place.
"""

from __future__ import annotations

from types import ModuleType

from grader.commands import check, db, export, grade, new, release, serve, users, verify, worker
from grader.commands import list as list_

__all__ = ["COMMANDS"]

COMMANDS: tuple[ModuleType, ...] = (
    grade,
    check,
    verify,
    release,
    export,
    new,
    list_,
    serve,
    worker,
    users,
    db,
)
