"""Regenerate the ``cause_*`` notebooks: ``python tests/data/planar/scenarios/make_cause_scenarios.py``.

Each is a notebook whose failures have one real cause, which the messages must name (issue #12,
item 5); tests/test_real_cause.py grades them against ``cause_expected.json`` (per notebook, the
outcome of every test it does not pass):

- ``cause_syntax_error``: the reference solution with an unmatched ``)`` in
  ``forward_propagation``: its checks say "could not be read: a syntax error in cell ..., line
  ...", not "no function found";
- ``cause_body_above_marker``: ``compute_cost`` written above its ``# YOUR CODE STARTS HERE``
  marker (with a typo), the marked region left empty, and ``layer_sizes`` left as the release's
  stub: only ``layer_sizes`` is "not implemented yet";
- ``cause_other_assignment``: the deep_initialization notebook, submitted to
  planar_data_classification: one warning, each check says whose notebook it is.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"
RELEASE = ROOT / "assignments" / "planar_data_classification" / "planar_data_classification.ipynb"


def _cell(nb: nbformat.NotebookNode, function: str) -> nbformat.NotebookNode:
    return next(
        c for c in nb.cells
        if c.cell_type == "code" and c.source.startswith(f"# GRADED FUNCTION: {function}\n")
    )


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def syntax_error() -> nbformat.NotebookNode:
    nb = nbformat.read(SOLUTION, 4)
    cell = _cell(nb, "forward_propagation")
    cell.source = _replace(cell.source, "Z1 = np.dot(W1, X) + b1\n", "Z1 = np.dot(W1, X) + b1)\n")
    return nb


def body_above_marker() -> nbformat.NotebookNode:
    nb = nbformat.read(SOLUTION, 4)
    release = nbformat.read(RELEASE, 4)
    _cell(nb, "layer_sizes").source = _cell(release, "layer_sizes").source
    cell = _cell(nb, "compute_cost")
    cell.source = _replace(
        copy.copy(_cell(release, "compute_cost").source),
        "    m = Y.shape[1]  # number of examples\n",
        "    m = Y.shape[1]  # number of examples\n"
        "    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)\n"
        "    cost = -np.sum(logprob) / m\n",
    )
    return nb


def main() -> None:
    nbformat.write(syntax_error(), HERE / "cause_syntax_error.ipynb")
    nbformat.write(body_above_marker(), HERE / "cause_body_above_marker.ipynb")
    shutil.copyfile(
        ROOT / "solutions" / "deep_initialization.ipynb", HERE / "cause_other_assignment.ipynb"
    )


if __name__ == "__main__":
    main()
