"""Regenerate ``numpy1_aliases.ipynb``: ``python tests/data/planar/scenarios/make_numpy1.py``.

A correct notebook as a student wrote it in 2018, for numpy 1: the reference solution with
one cell appended that uses aliases numpy 2 removed (``from numpy import float_``, ``np.int``,
``np.product``, ``np.NaN``). tests/test_numpy_compat.py grades it under the planar assignment
(which declares ``[compat] numpy = "1"``: full marks, one warning per alias) and under a copy
without ``[compat]`` (the aliases fail, as on numpy 2).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]

CELL = """
from numpy import float_

def layer_sizes(X, Y):
    n_x = np.int(X.shape[0])
    n_h = 4
    n_y = np.int(Y.shape[0])
    return (n_x, n_h, n_y)

def compute_cost(A2, Y):
    m = np.product(Y.shape[1:])
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = float_(np.squeeze(-np.sum(logprobs) / m))
    assert cost != np.NaN
    return cost
"""


def main() -> None:
    solution = nbformat.read(ROOT / "solutions" / "planar_data_classification.ipynb", 4)
    nb = copy.deepcopy(solution)
    nb.cells.append(nbformat.v4.new_code_cell(CELL.strip() + "\n"))
    nbformat.write(nb, HERE / "numpy1_aliases.ipynb")


if __name__ == "__main__":
    main()
