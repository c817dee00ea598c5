"""``grader new``: the skeleton of a new assignment, which ``grader verify`` accepts as written.

The skeleton grades one example function, ``double(x)``, so that every part of an assignment
is there to copy and edit: ``assignment.toml``, the reference solution (``solutions/<id>.ipynb``,
with the ``{"grader": {"assignment": id}}`` metadata and the solution markers), its student
release, a public and a hidden test module with one check each, and one mutant.
:func:`skeleton_files` builds the texts in memory; :func:`write_skeleton` writes them, refusing
to overwrite anything.
"""

from __future__ import annotations

import contextlib
import json
import keyword
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.errors import UsageError
from grader.installed import ASSIGNMENT_ID, search_path

__all__ = ["Skeleton", "check_new_id", "skeleton_files", "write_skeleton"]

EXAMPLE_FUNCTION = "double"


@dataclass(frozen=True)
class Skeleton:
    """What :func:`write_skeleton` wrote: the assignment folder and every file, in order."""

    assignment_id: str
    folder: Path
    solution: Path
    files: tuple[Path, ...]


def check_new_id(assignment_id: str) -> None:
    """Refuse an id that could not name a new assignment.

    An id must match :data:`grader.installed.ASSIGNMENT_ID` (what a notebook's metadata may
    name) and be a Python identifier (``assignment.toml`` requires it: it names the test
    modules), and must not be the id of an installed assignment (``GRADER_ASSIGNMENTS`` or
    bundled), which a bare id on the command line would then be ambiguous with.

    Raises:
        UsageError: the id is not usable, with what to do instead.
    """
    if not (ASSIGNMENT_ID.fullmatch(assignment_id) and assignment_id.isidentifier()):
        raise UsageError(
            f"{assignment_id[:80]!a} is not a usable assignment id: use ASCII letters, "
            "digits and '_', starting with a letter (e.g. mean_of or week3_gradients)"
        )
    if keyword.iskeyword(assignment_id):
        raise UsageError(f"'{assignment_id}' is a Python keyword; choose another id")
    for folder in search_path():
        if (folder / assignment_id / "assignment.toml").is_file():
            raise UsageError(
                f"'{assignment_id}' is already the id of the installed assignment "
                f"{folder / assignment_id}; choose another id"
            )


def skeleton_files(assignment_id: str, title: str | None = None) -> dict[str, str]:
    """The skeleton's files, as ``{path relative to the course folder: text}``.

    The release notebook is left out: it is generated from the solution
    (:func:`grader.release.release_bytes`), so that the two are in sync by construction.
    """
    title = _check_title(title) if title is not None else _default_title(assignment_id)
    folder = f"assignments/{assignment_id}"
    return {
        f"{folder}/assignment.toml": _assignment_toml(assignment_id, title),
        f"{folder}/tests/public.py": _PUBLIC,
        f"{folder}/tests/hidden.py": _HIDDEN,
        f"{folder}/mutants.toml": _MUTANTS,
        f"solutions/{assignment_id}.ipynb": _solution(assignment_id, title),
    }


def write_skeleton(
    assignment_id: str, course: str | Path = ".", *, title: str | None = None
) -> Skeleton:
    """Write a new assignment's skeleton under ``course`` (``assignments/<id>/``, ``solutions/``).

    Args:
        assignment_id: the new id (see :func:`check_new_id`).
        course: the course folder, which holds (or will hold) ``assignments/``.
        title: the assignment's title; default: made from the id.

    Returns:
        What was written.

    Raises:
        UsageError: the id is unusable, the assignment folder or the solution already exists
            (nothing is overwritten), or a file cannot be written.
    """
    from grader.release import release_bytes  # nbconvert: only when a skeleton is written

    check_new_id(assignment_id)
    course = Path(course)
    folder = course / "assignments" / assignment_id
    texts = skeleton_files(assignment_id, title)
    solution = course / "solutions" / f"{assignment_id}.ipynb"
    for existing in (folder, solution):
        if os.path.lexists(existing):
            raise UsageError(
                f"{existing} already exists: grader new never overwrites; choose another id "
                "or remove it first"
            )
    written: list[Path] = []
    try:
        for rel, text in texts.items():
            written.append(_create(course / rel, text))
        release = folder / f"{assignment_id}.ipynb"
        written.append(_create(release, release_bytes(solution)))
    except OSError as exc:
        _remove(written, folder)
        where = f": {exc.filename}" if exc.filename else ""
        raise UsageError(f"cannot write the skeleton ({exc.strerror or exc}{where})") from exc
    return Skeleton(assignment_id, folder, solution, tuple(written))


def _remove(written: list[Path], folder: Path) -> None:
    """Undo a skeleton written in part: its files, and the folder it created (it was new)."""
    for path in written:
        with contextlib.suppress(OSError):
            path.unlink()
    shutil.rmtree(folder, ignore_errors=True)


def _default_title(assignment_id: str) -> str:
    return assignment_id.replace("_", " ").strip().capitalize() or assignment_id


def _check_title(title: str) -> str:
    """``title``, stripped, if it is one printable line of text."""
    title = title.strip()
    if not title or len(title) > 200 or not title.isprintable():
        raise UsageError("the title must be one line of printable text, at most 200 characters")
    return title


def _create(path: Path, text: str) -> Path:
    """Write ``text`` to a new file ``path`` (its folders made); never replaces a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def _assignment_toml(assignment_id: str, title: str) -> str:
    quoted = json.dumps(title, ensure_ascii=False)  # a JSON string is a valid TOML one
    return f"""\
# The assignment (docs/authoring.md describes every key). Paths are relative to this folder.
id = "{assignment_id}"
title = {quoted}
# The graded functions, in notebook order.
functions = ["{EXAMPLE_FUNCTION}"]
# The reference solution (never give it out) and the student notebook made from it by
# `grader release {assignment_id}`.
solution = "../../solutions/{assignment_id}.ipynb"
release = "{assignment_id}.ipynb"
# Modules students import, copied into the sandbox, e.g. ["utils.py"].
helpers = []
# Public checks students may read and run (`grader check`); hidden ones are graded, never shown.
public_tests = ["tests/public.py"]
hidden_tests = ["tests/hidden.py"]
# Known-wrong variants of the solution that `grader verify` must see caught.
mutants = "mutants.toml"

[limits]
call_timeout_s = 10.0  # wall clock of one call into student code
memory_mb = 2048
disk_mb = 128  # the child's private working directory
"""


_PUBLIC = '''\
"""Public checks: students may read them and run them on their notebook (`grader check`)."""

from __future__ import annotations

import numpy as np

from grader.expect import expect_array, expect_close, expect_shape
from grader.testing import check


@check("double", "example", points=1)
def example(submission):
    """The notebook's own example: fixed input, fixed answer."""
    value = expect_array(submission.double(np.array([1.0, -2.0, 3.5])), "double(x)")
    expect_shape(value, (3,), "double(x)")
    expect_close(value, [2.0, -4.0, 7.0], "double(x)", hint="multiply every entry of x by 2")
'''

_HIDDEN = '''\
"""Hidden checks: graded, never shown to students.

Messages never show expected values or the check's inputs: a student sees the public form of
each name (`Name(..., public=...)`, shapes in symbols with `names=`).
"""

from __future__ import annotations

from grader.expect import Name, expect_array, expect_close, expect_shape
from grader.testing import check


@check("double", "random", points=2)
def random_input(submission, reference, rng):
    """Other sizes and values than the public example, compared with the reference."""
    n = int(rng.integers(5, 50))
    x = rng.normal(size=n)
    what = Name(f"double(x) for x of shape ({n},)", public="double(x)")
    value = expect_array(submission.double(x), what)
    expect_shape(value, (n,), what, names="x.shape")
    expect_close(value, reference.double(x), what, hint="multiply every entry of x by 2")
'''

_MUTANTS = """\
# Known-wrong variants of the reference solution, for `grader verify`. Each `code` is a cell
# appended to the solution notebook (the last definition wins); `fails` lists exactly the test
# ids that must lose points on it, and every other check must still pass.

[[mutant]]
name = "adds_two"
description = "adds 2 instead of multiplying by 2"
fails = ["double.example", "double.random"]
code = '''
def double(x):
    return x + 2
'''
"""


def _solution(assignment_id: str, title: str) -> str:
    v4 = nbformat.v4
    cells = [
        v4.new_markdown_cell(f"# {title}\n\nWrite `double(x)`, which returns `2 * x`."),  # type: ignore[no-untyped-call]
        v4.new_code_cell("import numpy as np"),  # type: ignore[no-untyped-call]
        v4.new_code_cell(  # type: ignore[no-untyped-call]
            "# GRADED FUNCTION: double\n\n"
            "def double(x):\n"
            '    """Every entry of the numpy array x times 2."""\n'
            "    # YOUR CODE STARTS HERE\n"
            "    result = 2 * x\n"
            "    # YOUR CODE ENDS HERE\n"
            "    return result"
        ),
        v4.new_code_cell("double(np.array([1.0, -2.0, 3.5]))"),  # type: ignore[no-untyped-call]
    ]
    notebook = v4.new_notebook(  # type: ignore[no-untyped-call]
        cells=cells,
        metadata={
            "grader": {"assignment": assignment_id},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    for number, cell in enumerate(notebook.cells, start=1):
        cell.id = f"cell-{number}"  # stable ids: regenerating a skeleton gives the same file
    text = str(nbformat.writes(notebook))  # type: ignore[no-untyped-call]
    return text if text.endswith("\n") else text + "\n"
