"""Regenerate this folder's notebooks: ``python tests/data/planar/scenarios/make_scenarios.py``.

Each notebook is the reference solution with one extra cell appended (the last definition
wins, as when a notebook runs top to bottom): a correct solution written in another style, or
one of the lecture's classic mistakes. ``expected.json`` names, per notebook, exactly the test
ids it must lose (empty for the correct styles); tests/test_planar_scenarios.py grades them.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT))
from grader._toml import tomllib  # noqa: E402

STYLES = {
    "style_matmul_and_helper_cell": '''
def _affine(W, A, b):
    return W @ A + b

def forward_propagation(X, parameters):
    Z1 = _affine(parameters["W1"], X, parameters["b1"])
    A1 = np.tanh(Z1)
    Z2 = _affine(parameters["W2"], A1, parameters["b2"])
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
''',
    "style_default_rng": '''
def initialize_parameters(n_x, n_h, n_y):
    rng = np.random.default_rng()
    return {"W1": rng.normal(0, 0.01, size=(n_h, n_x)), "b1": np.zeros((n_h, 1)),
            "W2": rng.normal(0, 0.01, size=(n_y, n_h)), "b2": np.zeros((n_y, 1))}
''',
    "style_seed_inside_and_extra_keys": '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1)),
            "n_h": n_h}
''',
    "style_renamed_parameters": '''
def backward_propagation(params, cache_dict, inputs, labels):
    m = inputs.shape[1]
    dZ2 = cache_dict["A2"] - labels
    dW2 = np.dot(dZ2, cache_dict["A1"].T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(params["W2"].T, dZ2) * (1 - np.power(cache_dict["A1"], 2))
    return {"dW1": np.dot(dZ1, inputs.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": dW2, "db2": db2}
''',
    # Issue 12, item 3: an extra parameter before the stub's num_iterations. Called by
    # position it would get the iteration count as its learning rate and train 0 iterations.
    "style_nn_model_learning_rate_parameter": '''
def nn_model(X, Y, n_h, learning_rate=1.2, num_iterations=10000, print_cost=False):
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters
''',
}
# Mistakes that no mutant has: (code, the tests they lose).
OTHER_MISTAKES = {
    # Issue 12, item 3: the same signature with a bug in the loop, which 0 iterations hid.
    "mistake_nn_model_learning_rate_loop_bug": (
        '''
def nn_model(X, Y, n_h, learning_rate=1.2, num_iterations=10000, print_cost=False):
    np.random.seed(3)
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        grads = backward_propagation(parameters, cache, Y, X)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters
''',
        ["nn_model.example", "nn_model.shapes", "nn_model.trains"],
    ),
    # Issue 12, item 4: nn_model no longer pays for compute_cost (a correct one stands in).
    "mistake_cost_raises": (
        '''
def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.dot(Y, np.log(A2)) + np.dot(1 - Y, np.log(1 - A2))
    return float(np.squeeze(-logprobs / m))
''',
        ["compute_cost.example", "compute_cost.values"],
    ),
}
MISTAKES = ["no_scale", "zero_weights", "uniform_rand", "forward_no_b1", "sigmoid_hidden",
            "tanh_output", "backward_no_1_over_m", "backward_wrong_tanh_derivative",
            "backward_no_keepdims", "one_d_biases", "hardcoded_shapes"]


def main() -> None:
    solution = nbformat.read(ROOT / "solutions" / "planar_data_classification.ipynb", 4)
    mutants_file = ROOT / "assignments" / "planar_data_classification" / "mutants.toml"
    mutants = {m["name"]: m for m in tomllib.loads(mutants_file.read_text())["mutant"]}
    cases = {name: (code, []) for name, code in STYLES.items()}
    for name in MISTAKES:
        cases[f"mistake_{name}"] = (mutants[name]["code"], sorted(mutants[name]["fails"]))
    cases.update(OTHER_MISTAKES)
    expected = {}
    for name, (code, fails) in cases.items():
        nb = copy.deepcopy(solution)
        nb.cells.append(nbformat.v4.new_code_cell(code.strip() + "\n"))
        nbformat.write(nb, HERE / f"{name}.ipynb")
        expected[name] = fails
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
