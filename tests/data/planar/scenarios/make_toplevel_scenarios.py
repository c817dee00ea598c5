"""Regenerate the ``toplevel_*`` notebooks: ``python tests/data/planar/scenarios/make_toplevel_scenarios.py``.

Each is the reference solution with cells appended whose functions read a name bound only at
the notebook's top level (issue #12, item 1); tests/test_toplevel_names.py grades them against
``toplevel_expected.json`` (per notebook, the tests it must lose):

- ``toplevel_alias``: ``act = np.tanh``, used in ``forward_propagation``;
- ``toplevel_lambda``: ``squash = lambda z: ...``, used in ``forward_propagation``;
- ``toplevel_generator``: ``rng = np.random.default_rng(2)``, used in ``initialize_parameters``;
- ``toplevel_leftover_n_x``: ``forward_propagation`` with a leftover line reading ``n_x``
  (bound by the demo cell ``(n_x, n_h, n_y) = layer_sizes(t_X, t_Y)``);
- ``toplevel_leftover_parameters``: ``compute_cost`` with a leftover line reading ``parameters``
  (bound by demo cells, some of which train for seconds);
- ``toplevel_training_unread``: the alias, and a training loop of 10**9 steps that no function
  reads (never run);
- ``toplevel_timeout``: ``initialize_parameters`` reads ``scale``, bound by a call that loops
  10**9 times: its checks lose, naming the cell.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
SOLUTION = ROOT / "solutions" / "planar_data_classification.ipynb"

FORWARD = '''
def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = {hidden}
    Z2 = np.dot(W2, A1) + b2
    A2 = {output}
    return A2, {{"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}}
'''
INITIALIZE = '''
def initialize_parameters(n_x, n_h, n_y):
    W1 = {draw}(n_h, n_x)
    W2 = {draw}(n_y, n_h)
    return {{"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}}
'''
COST = '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    print(parameters["W1"].shape)  # a leftover line from debugging
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(np.squeeze(-np.sum(logprobs) / m))
'''
SIGMOID = "1 / (1 + np.exp(-Z2))"

SCENARIOS: dict[str, tuple[list[str], list[str]]] = {
    "toplevel_alias": (
        ["act = np.tanh\n", FORWARD.format(hidden="act(Z1)", output=SIGMOID)], []
    ),
    "toplevel_lambda": (
        [
            "squash = lambda z: 1 / (1 + np.exp(-z))\n",
            FORWARD.format(hidden="np.tanh(Z1)", output="squash(Z2)"),
        ],
        [],
    ),
    "toplevel_generator": (
        [
            "rng = np.random.default_rng(2)\n",
            INITIALIZE.format(draw="0.01 * rng.standard_normal").replace(
                "(n_h, n_x)", "((n_h, n_x))"
            ).replace("(n_y, n_h)", "((n_y, n_h))"),
        ],
        [],
    ),
    "toplevel_leftover_n_x": (
        [
            FORWARD.format(hidden="np.tanh(Z1)", output=SIGMOID).replace(
                "    Z1 =", '    print("input size", n_x)  # a leftover line\n    Z1 ='
            )
        ],
        [],
    ),
    "toplevel_leftover_parameters": ([COST], []),
    "toplevel_training_unread": (
        [
            "act = np.tanh\n",
            "total = 0\nfor step in range(10**9):\n    total += step\n",
            FORWARD.format(hidden="act(Z1)", output=SIGMOID),
        ],
        [],
    ),
    "toplevel_timeout": (
        [
            "def slow_scale():\n    total = 0\n    for step in range(10**9):\n"
            "        total += step\n    return 0.01\n",
            "scale = slow_scale()\n",
            INITIALIZE.format(draw="scale * np.random.randn"),
        ],
        [
            "initialize_parameters.example",
            "initialize_parameters.scale",
            "initialize_parameters.shapes",
            "initialize_parameters.symmetry_breaking",
            "initialize_parameters.zero_biases",
        ],
    ),
}


def main() -> None:
    expected = {}
    for name, (cells, lost) in SCENARIOS.items():
        nb = nbformat.read(SOLUTION, 4)
        for code in cells:
            nb.cells.append(nbformat.v4.new_code_cell(code.strip() + "\n"))
        nbformat.write(nb, HERE / f"{name}.ipynb")
        expected[name] = sorted(lost)
    text = json.dumps(expected, indent=2, sort_keys=True) + "\n"
    (HERE / "toplevel_expected.json").write_text(text)


if __name__ == "__main__":
    main()
