"""Carve folders out of the Landlock read allow-list.

Landlock can only allow, never deny beneath an allowed folder. When something student code
must not read (the grader's installation record, an assignment kept under ``/usr/share``...)
lies inside a folder the child reads (``site-packages``, ``/usr``), that folder is replaced by
a list-only rule (its names, not its files: the import system lists ``site-packages``) and a
read rule for each of its entries, except the way down to the hidden path, which is carved
the same way one level deeper. Paths are compared after resolving symbolic links, because a
Landlock rule follows them (``/lib`` may be ``/usr/lib``).
"""

from __future__ import annotations

import os

__all__ = ["carve"]


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def carve(read_paths: list[str], hidden: list[str]) -> tuple[list[str], list[str]]:
    """Split ``read_paths`` around ``hidden``; returns (read paths, list-only folders).

    A read path that is a hidden path, or lies inside one (a virtual environment inside a
    source checkout), is kept whole: the interpreter needs it.
    """
    secret = sorted({os.path.realpath(h) for h in hidden})
    read: list[str] = []
    listable: list[str] = []
    for path in read_paths:
        real = os.path.realpath(path)
        below = [h for h in secret if h != real and _within(h, real)]
        if below and real not in secret and os.path.isdir(real):
            _split(real, below, read, listable)
        else:
            read.append(path)
    # Read paths nest (sys.prefix holds site-packages): each rule once.
    return list(dict.fromkeys(read)), list(dict.fromkeys(listable))


def _split(folder: str, hidden: list[str], read: list[str], listable: list[str]) -> None:
    listable.append(folder)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        entry = os.path.join(folder, name)
        # ``folder`` is resolved already: only a link needs resolving (a call per component
        # for each of hundreds of entries would cost the zygote's start-up).
        real = os.path.realpath(entry) if os.path.islink(entry) else entry
        below = [h for h in hidden if _within(h, real)]
        if any(_within(real, h) for h in hidden):
            continue  # hidden itself, or a link into it
        if not below:
            read.append(entry)
        elif real == entry and os.path.isdir(entry):
            _split(entry, below, read, listable)
        # else: a link to a folder above a hidden path; that folder is carved on its own
