"""Which assignment a notebook's metadata names: an id, looked up only among installed ones.

A notebook says which assignment it belongs to (``{"grader": {"assignment": id}}``), and
``grader check`` takes it at its word. Loading an assignment imports its test modules, which
are Python run in the grader's own process, so the value must never be a path: ``"../x"``,
``"/tmp/x"`` or ``"."`` would run whatever ``assignment.toml`` sits there, and a bare id must
not be found in the current folder, which may be the one the notebook came in. It is looked up
only in the folders of ``GRADER_ASSIGNMENTS`` (absolute paths, set by the user) and among the
assignments bundled with the grader; any other folder is used only when named with
``--assignment``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

__all__ = [
    "ASSIGNMENT_ID",
    "ENV_VAR",
    "Installed",
    "bundled_assignments",
    "find_installed",
    "search_path",
]

ASSIGNMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
ENV_VAR = "GRADER_ASSIGNMENTS"
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
    for folder in search_path():
        candidate = folder / assignment_id
        if (candidate / "assignment.toml").is_file():
            root = candidate.resolve()
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
        f"nor bundled with the grader (nor in {ENV_VAR}); " + _PASS
    )
