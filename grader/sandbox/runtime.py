"""Where the grader lives, kept out of the sandbox's sight.

Student code can inspect everything its interpreter holds: ``sys.modules`` and each module's
``__file__``, every code object's ``co_filename`` (``gc.get_objects()``), ``sys.meta_path``
(an editable install's finder maps the package to its source folder), ``sys.path`` and the
importer caches, ``sys.argv``/``sys.orig_argv`` and ``/proc/self/cmdline``. The zygote, which
every child is forked from, therefore never loads the grader from where it is installed: the
host copies the few modules the sandbox needs (this package, ``grader/__init__.py`` and
``grader/errors.py``) into the zygote's private temporary folder, so every module path a child
can see names only that folder. The zygote then forgets the installation's import machinery
(:func:`forget_installation`).

:func:`private_roots` says which folders of the grader's own installation hold files student
code must never read: a source checkout (its ``solutions/``, ``assignments/`` and tests). An
installed wheel's package is public code, like numpy beside it in ``site-packages``.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Collection
from pathlib import Path

__all__ = [
    "RUNTIME_DIR",
    "copy_runtime",
    "forget_installation",
    "installation_files",
    "private_roots",
]

RUNTIME_DIR = "rt"  # the copy's folder, inside the zygote's private temporary root
_PACKAGE = Path(__file__).resolve().parents[1]
_EDITABLE = "__editable__"


def private_roots() -> list[str]:
    """The grader installation's secret folders: the source checkout when running from one."""
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and not _in_site_packages(checkout):
        return [str(checkout)]
    return []


def installation_files() -> list[str]:
    """The grader's own entries in the interpreter's package folders.

    Its package (when installed from a wheel; the children use the copy), its ``.dist-info``
    (``direct_url.json`` names the checkout or the wheel's folder) and an editable install's
    ``.pth`` and finder (which map the package to the checkout). They are carved out of what
    children may read.
    """
    found = []
    for folder in dict.fromkeys(p for p in sys.path if p and os.path.isabs(p)):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        if "__pycache__" in names:  # the finder's bytecode holds its mapping too
            with contextlib.suppress(OSError):
                cache = os.listdir(os.path.join(folder, "__pycache__"))
                names += [os.path.join("__pycache__", n) for n in cache]
        for name in names:
            path = os.path.join(folder, name)
            if (
                (name == "grader" and os.path.realpath(path) == str(_PACKAGE))
                or re.fullmatch(r"grader-[^-/]+\.(dist|egg)-info", name)
                or (os.path.basename(name).startswith(_EDITABLE) and "grader" in name)
                or name == "grader.egg-link"
            ):
                found.append(path)
    return sorted(found)


def _in_site_packages(path: Path) -> bool:
    return any(part in ("site-packages", "dist-packages") for part in path.parts)


def copy_runtime(root: str) -> str:
    """Copy the sandbox's modules (and their bytecode caches) under ``root``; returns the copy.

    Files are hard-linked where the file system allows (a link names no path, and costs
    ~2 ms where copying cost ~60 ms on a busy disk), else copied with their times: cached
    bytecode is valid for a source of the same time and size, so the zygote does not
    recompile, and the interpreter rewrites each code object's file name to the copy's path.
    """
    # The host never imports the child's modules, and the zygote writes no bytecode: compile
    # them where they are installed, once (a read-only installation keeps what pip compiled).
    with contextlib.suppress(OSError, ValueError):
        compileall.compile_dir(_PACKAGE / "sandbox", quiet=2, maxlevels=0)
    dest = os.path.join(root, RUNTIME_DIR, "grader")
    sandbox = sorted((_PACKAGE / "sandbox").glob("*.py"))
    wanted = [_PACKAGE / "__init__.py", _PACKAGE / "errors.py", *sandbox]
    for source in wanted:
        cache = Path(importlib.util.cache_from_source(str(source)))
        for path in (source, cache):
            if path.is_file():
                target = os.path.join(dest, os.path.relpath(path, _PACKAGE))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                _place(str(path), target)
    return os.path.dirname(dest)


def _place(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def forget_installation(private: list[str]) -> None:
    """In the zygote: drop import machinery that names the grader's installation.

    An editable install's finder (in ``sys.meta_path``, ``sys.path_hooks`` and a placeholder
    ``sys.path`` entry) maps ``grader`` to its source folder; importer caches keep the folders
    searched so far. Nothing in the zygote needs them once the copy is imported.
    """
    private = [os.path.realpath(p) for p in private]
    # A virtual environment may live inside a checkout: its folders are the interpreter's.
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}

    def named(entry: object) -> bool:
        module = getattr(entry, "__module__", "") or ""
        return isinstance(module, str) and module.startswith(_EDITABLE)

    def within(path: str, roots: Collection[str]) -> bool:
        return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)

    def hidden(path: str, resolve: bool = True) -> bool:
        if path.startswith(_EDITABLE):
            return True
        real = os.path.realpath(path) if resolve else path
        return within(real, private) and not within(real, prefixes)

    sys.meta_path[:] = [f for f in sys.meta_path if not named(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not named(h)]
    sys.path[:] = [p for p in sys.path if not hidden(p)]
    for name in [n for n in sys.modules if n.startswith(_EDITABLE)]:
        # Its functions and its globals (the mapping) form cycles: empty it rather than pay
        # for a full garbage collection.
        vars(sys.modules.pop(name)).clear()
    # Importer caches hold sys.path entries and the packages' folders beneath them (hundreds:
    # compared as written, a folder that a link hides is reached through a sys.path entry).
    for key in list(sys.path_importer_cache):
        if not isinstance(key, str) or hidden(key, resolve=key in sys.path):
            del sys.path_importer_cache[key]
    importlib.invalidate_caches()
