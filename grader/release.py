"""Turn a reference-solution notebook into the student release.

Every code region between a ``# YOUR CODE STARTS HERE`` line and the next
``# YOUR CODE ENDS HERE`` line is replaced by one empty line; the marker lines themselves,
their indentation, the hint comments around them and everything outside the regions stay as
they are. Outputs and execution counts are cleared; notebook and cell metadata are kept::

    # YOUR CODE STARTS HERE            # YOUR CODE STARTS HERE
    W1 = np.random.randn(n_h, n_x)  ->
    # YOUR CODE ENDS HERE              # YOUR CODE ENDS HERE

:func:`make_release` works in memory; :func:`release_bytes` reads a solution file and returns
the release exactly as it should be committed, so CI can compare the two.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import cast

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor

from grader.errors import AssignmentError

__all__ = ["END_MARKER", "START_MARKER", "make_release", "release_bytes", "strip_solution"]

START_MARKER = "# YOUR CODE STARTS HERE"
END_MARKER = "# YOUR CODE ENDS HERE"


def _marker(line: str) -> str | None:
    """Which marker ``line`` is (``START_MARKER``/``END_MARKER``), or None."""
    text = line.strip()
    if text in (START_MARKER, END_MARKER):
        return text
    return None


def strip_solution(source: str, where: str = "the cell") -> str:
    """Replace the lines inside each marker pair of ``source`` with a single empty line.

    Args:
        source: the text of one code cell.
        where: how to name the cell in error messages, e.g. ``"code cell 7"``.

    Returns:
        The stubbed text; unchanged when ``source`` holds no markers.

    Raises:
        AssignmentError: a marker is unbalanced (an end without a start, a start inside an
            open region, or a region left open at the end of the cell).
    """
    out: list[str] = []
    open_line = 0  # 1-based line of the open START marker, 0 when outside a region
    for number, line in enumerate(source.split("\n"), start=1):
        marker = _marker(line)
        if marker == START_MARKER:
            if open_line:
                raise AssignmentError(
                    f"{where}, line {number}: '{START_MARKER}' inside the region opened on "
                    f"line {open_line}; close it with '{END_MARKER}' first"
                )
            open_line = number
            out += [line, ""]
        elif marker == END_MARKER:
            if not open_line:
                raise AssignmentError(
                    f"{where}, line {number}: '{END_MARKER}' without a '{START_MARKER}' before it"
                )
            open_line = 0
            out.append(line)
        elif not open_line:
            out.append(line)
    if open_line:
        raise AssignmentError(
            f"{where}, line {open_line}: '{START_MARKER}' is never closed by '{END_MARKER}'"
        )
    return "\n".join(out)


def make_release(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student release of a solution notebook (the input is not modified).

    Args:
        solution: a version-4 notebook holding the reference solution.

    Returns:
        A copy with every solution region stubbed out and all outputs and execution counts
        cleared. Metadata (notebook and cells) and cell ids are kept.

    Raises:
        AssignmentError: a code cell has unbalanced solution markers.
    """
    release = copy.deepcopy(solution)
    number = 0
    for index, cell in enumerate(release.cells, start=1):
        if cell.cell_type != "code":
            continue
        number += 1
        where = f"code cell {number} (cell {index} of the notebook)"
        cell.source = strip_solution(cell.source, where)
    clear = ClearOutputPreprocessor()  # type: ignore[no-untyped-call]
    cleared, _ = clear.preprocess(release, {})  # type: ignore[no-untyped-call]
    return cast("nbformat.NotebookNode", cleared)


def release_bytes(solution_path: str | Path) -> str:
    """The release of the solution notebook at ``solution_path``, as committed JSON text.

    Args:
        solution_path: path of the solution ``.ipynb``.

    Returns:
        The release serialised by :func:`nbformat.writes` (sorted keys, one-space indent)
        with a final newline, exactly what the committed release file must contain.

    Raises:
        AssignmentError: the file cannot be read, is not a valid notebook, or has unbalanced
            solution markers.
    """
    path = Path(solution_path)
    try:
        text = path.read_text(encoding="utf-8")
        solution = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        nbformat.validate(solution)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        # nbformat.reads raises ValueError subclasses for malformed JSON.
        raise AssignmentError(f"cannot read solution notebook {path}: {exc}") from exc
    text = str(nbformat.writes(make_release(solution)))  # type: ignore[no-untyped-call]
    return text if text.endswith("\n") else text + "\n"
