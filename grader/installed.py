"""Which assignment a notebook's metadata names: an id, looked up only among installed ones.

A notebook says which assignment it belongs to (``{"grader": {"assignment": id}}``), and
``grader check`` takes it at its word. Loading an assignment imports its test modules, which
are Python run in the grader's own process, so the value must never be a path: ``"../x"``,
``"/tmp/x"`` or ``"."`` would run whatever ``assignment.toml`` sits there, and a bare id must
not be found in the current folder, which may be the one the notebook came in. It is looked up
only in the folders of ``GRADER_ASSIGNMENTS`` (absolute paths, set by the user), among the
assignments bundled with the grader, and last among those installed as packages (a student
bundle's wheel registers its folder in the ``grader.assignments`` entry-point group); any
other folder is used only when named with ``--assignment``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from grader.errors import UsageError

__all__ = [
    "ASSIGNMENT_ID",
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "Installed",
    "bundled_assignments",
    "entry_point_assignment",
    "find_installed",
    "search_path",
]

ASSIGNMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
ENV_VAR = "GRADER_ASSIGNMENTS"
ENTRY_POINT_GROUP = "grader.assignments"
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
_PASS = "pass --assignment FOLDER"


@dataclass(frozen=True)
class Installed:
    """An installed assignment's folder, and notes for the user about the lookup."""

    root: Path
    notes: tuple[str, ...] = ()


def bundled_assignments() -> Path:
    """The ``assignments/`` folder that comes with the grader."""
    return Path(__file__).resolve().parents[1] / "assignments"


def search_path() -> list[Path]:
    """Where ids are looked up: each ``GRADER_ASSIGNMENTS`` folder, then the bundled one.

    Raises:
        UsageError: ``GRADER_ASSIGNMENTS`` holds a relative path (it would depend on the
            current folder).
    """
    folders: list[Path] = []
    for entry in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if not entry:
            continue
        if not os.path.isabs(entry):
            raise UsageError(f"{ENV_VAR} must list absolute folders; '{entry}' is relative")
        folders.append(Path(entry))
    folders.append(bundled_assignments())
    return folders


def _installed_paths() -> list[str]:
    """``sys.path`` without the current folder: packages are looked up where pip put them.

    ``python -m grader`` puts the current folder first on ``sys.path``; a ``*.dist-info`` there
    (say, in a folder of downloaded notebooks) must not be able to register an assignment.
    """
    here = os.path.realpath(os.getcwd())
    return [p for p in sys.path if p and os.path.realpath(p) != here]


def entry_point_assignment(assignment_id: str) -> Path | None:
    """The folder of the assignment ``assignment_id`` installed as a package, if any.

    A package registers ``<id> = <package>`` in the ``grader.assignments`` entry-point group;
    its folder (holding ``assignment.toml``) is found from the installed files, without
    importing anything. An id registered twice is refused rather than picked at random.

    Raises:
        UsageError: two installed packages register this id with different folders.
    """
    found: dict[Path, str] = {}
    for dist in metadata.distributions(path=_installed_paths()):
        for entry in dist.entry_points:
            if entry.group != ENTRY_POINT_GROUP or entry.name != assignment_id:
                continue
            if not _PACKAGE.fullmatch(entry.value):
                continue  # only a top-level package name says where the folder is
            folder = Path(str(dist.locate_file(entry.value)))
            if (folder / "assignment.toml").is_file():
                found.setdefault(folder.resolve(), dist.metadata["Name"] or entry.value)
    if len(found) > 1:
        names = ", ".join(sorted(found.values()))
        raise UsageError(
            f"several installed packages ({names}) provide the assignment '{assignment_id}'; "
            "uninstall the ones you do not use, or pass --assignment FOLDER"
        )
    return next(iter(found), None)


def _first_installed(assignment_id: str) -> Path | None:
    """The first folder with this id: ``GRADER_ASSIGNMENTS``, bundled, then packages.

    Packages come last, so in a checkout its own (possibly newer) copy wins over a student
    bundle installed into the same environment.
    """
    for folder in search_path():
        if (folder / assignment_id / "assignment.toml").is_file():
            return (folder / assignment_id).resolve()
    return entry_point_assignment(assignment_id)


def find_installed(assignment_id: str, *, owner: str) -> Installed:
    """The folder of the installed assignment ``assignment_id``.

    Args:
        assignment_id: the id a notebook's metadata gives.
        owner: the notebook's file name, for messages.

    Raises:
        UsageError: the value is not an id, or no installed assignment has it; the message
            says to pass ``--assignment`` (and which folder, when one in the current folder
            was not loaded).
    """
    if not ASSIGNMENT_ID.fullmatch(assignment_id):
        shown = ascii(assignment_id[:80])
        raise UsageError(
            f"{owner} names the assignment {shown} in its metadata, which is not an assignment "
            "id (letters, digits, '_', '.' and '-', never a path); " + _PASS
        )
    local = Path("assignments") / assignment_id
    local_exists = (local / "assignment.toml").is_file()
    root = _first_installed(assignment_id)
    if root is not None:
        notes: tuple[str, ...] = ()
        if local_exists and local.resolve() != root:
            notes = (
                f"./{local} in the current folder was not used: the installed "
                f"'{assignment_id}' was; pass --assignment {local} to check against it",
            )
        return Installed(root, notes)
    if local_exists:
        raise UsageError(
            f"{owner} belongs to assignment '{assignment_id}', which is not installed with the "
            f"grader; ./{local} in the current folder is not loaded on a notebook's say-so (its "
            f"tests are code the grader runs): pass --assignment {local} if you trust it"
        )
    raise UsageError(
        f"{owner} belongs to assignment '{assignment_id}', which is not under ./assignments "
        f"nor bundled with the grader, nor installed from a student bundle (nor in {ENV_VAR}); "
        + _PASS
    )
