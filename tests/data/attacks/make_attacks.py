"""Regenerate the hostile notebooks in this folder: ``python tests/data/attacks/make_attacks.py``.

Each notebook defines the eight planar functions correctly except ONE, which carries the
attack named by the file (one per row of ATTACKS.md that a notebook can express).
``expected.json`` records, per scenario, the hostile function and the outcome its checks must
get (``passed`` when the attack must simply have no effect), plus a word the message contains.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

CORRECT = {
    "layer_sizes": """def layer_sizes(X, Y):
    n_x = X.shape[0]
    n_h = 4
    n_y = Y.shape[0]
    return (n_x, n_h, n_y)""",
    "initialize_parameters": """def initialize_parameters(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}""",
    "forward_propagation": """def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache""",
    "compute_cost": """def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = -np.sum(logprobs) / m
    return float(np.squeeze(cost))""",
    "backward_propagation": """def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}""",
    "update_parameters": """def update_parameters(parameters, grads, learning_rate=1.2):
    return {
        "W1": parameters["W1"] - learning_rate * grads["dW1"],
        "b1": parameters["b1"] - learning_rate * grads["db1"],
        "W2": parameters["W2"] - learning_rate * grads["dW2"],
        "b2": parameters["b2"] - learning_rate * grads["db2"],
    }""",
    "nn_model": """def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x = layer_sizes(X, Y)[0]
    n_y = layer_sizes(X, Y)[2]
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters""",
    "predict": """def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return A2 > 0.5""",
}

INIT_BODY = CORRECT["initialize_parameters"].split("\n", 1)[1]
FWD_BODY = CORRECT["forward_propagation"].split("\n", 1)[1]


def _init(prefix: str) -> str:
    """initialize_parameters that runs ``prefix`` first, then answers correctly."""
    lines = "".join("    " + line + "\n" for line in prefix.strip("\n").splitlines())
    return "def initialize_parameters(n_x, n_h, n_y):\n" + lines + INIT_BODY


def _fwd(prefix: str) -> str:
    lines = "".join("    " + line + "\n" for line in prefix.strip("\n").splitlines())
    return "def forward_propagation(X, parameters):\n" + lines + FWD_BODY


INIT, FWD = "initialize_parameters", "forward_propagation"
# scenario -> (hostile function, its source, expected outcome of its checks, word in message)
SCENARIOS: dict[str, tuple[str, str, str, str]] = {
    "infinite_loop": (INIT, _init("while True:\n    pass"), "timeout", "timed out"),
    "sleeps": (INIT, _init("import time\ntime.sleep(3600)"), "timeout", "timed out"),
    "ignores_signals": (INIT, _init(
        "import signal\nfor s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    try:\n        while True:\n"
        "            pass\n    except BaseException:\n        pass"), "timeout", "timed out"),
    "huge_allocation": (INIT, _init("big = np.ones((16, 2**30))"), "error", "memory limit"),
    "fork_and_setsid": (INIT, _init(
        "import os, time\nfor _ in range(5):\n    if os.fork() == 0:\n        os.setsid()\n"
        "        time.sleep(3600)\nwhile True:\n    time.sleep(1)"), "timeout", "timed out"),
    "fork_bomb": (INIT, _init(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass"), "timeout", "timed out"),
    "huge_output": (INIT, _init("for _ in range(300):\n    print('x' * 2**20)"), "passed", ""),
    "huge_file": (INIT, _init(
        "with open('big.bin', 'wb') as f:\n    for _ in range(1024):\n"
        "        f.write(b'0' * 2**20)"), "error", "OSError"),
    "many_files": (INIT, _init(
        "for i in range(1000):\n    open(f'f{i}', 'w').close()\n"
        "fs = [open('/dev/null') for _ in range(10**5)]"), "error", "OSError"),
    "many_threads": (INIT, _init(
        "import threading, time\nfor _ in range(10**5):\n"
        "    threading.Thread(target=time.sleep, args=(3600,)).start()"), "error", "RuntimeError"),
    "returns_huge_array": (INIT, "def initialize_parameters(n_x, n_h, n_y):\n"
                           "    return {'W1': np.ones(2**28, dtype=np.uint8)}",
                           "error", "too large"),
    "input_call": (INIT, _init("name = input('your name? ')"), "error", "EOFError"),
    "lingering_thread_and_atexit": (INIT, _init(
        "import atexit, threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,)).start()\n"
        "atexit.register(time.sleep, 3600)"), "passed", ""),
    "os_exit": (INIT, _init("import os\nos._exit(0)"), "error", "exited without a result"),
    "sys_exit": (INIT, _init("import sys\nsys.exit(0)"), "error", "SystemExit"),
    "keyboard_interrupt": (INIT, _init("raise KeyboardInterrupt"), "error", "KeyboardInterrupt"),
    "generator_exit": (INIT, _init("raise GeneratorExit"), "error", "GeneratorExit"),
    "slow_exception_str": (INIT, _init(
        "class E(Exception):\n    def __str__(self):\n        while True:\n            pass\n"
        "raise E()"), "timeout", "timed out"),
    "huge_exception_str": (INIT, _init(
        "class E(Exception):\n    def __str__(self):\n        return 'z' * 10**8\nraise E()"),
        "error", "raised E"),
    "raising_exception_str": (INIT, _init(
        "class E(Exception):\n    def __str__(self):\n        raise ValueError('no')\n"
        "raise E()"), "error", "could not be formatted"),
    "segfault": (INIT, _init("import ctypes\nctypes.string_at(0)"), "error", "SIGSEGV"),
    "patches_numpy_and_builtins": (FWD, _fwd(
        "import builtins, numpy, numpy.testing\nnumpy.allclose = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "builtins.abs = lambda *a: 0\nparameters = {k: v * 0 for k, v in "
        "parameters.items()}"), "failed", ""),
    "always_equal": (INIT, "class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
                     "    shape = (4, 2)\n\n\ndef initialize_parameters(n_x, n_h, n_y):\n"
                     "    return {k: AlwaysEqual() for k in ('W1', 'b1', 'W2', 'b2')}",
                     "error", "unsupported return type"),
    "ndarray_subclass": (INIT, "class Sneaky(np.ndarray):\n    pass\n\n\n"
                         + _init("").replace("    return {", "    return {k: v.view(Sneaky) for "
                                             "k, v in {").replace("}", "}.items()}"),
                         "error", "unsupported return type"),
    "object_array": (INIT, "def initialize_parameters(n_x, n_h, n_y):\n"
                     "    return {'W1': np.array([object()] * 8, dtype=object)}",
                     "error", "unsupported return type"),
    "malicious_reduce": (INIT, "class Evil:\n    def __reduce__(self):\n        import os\n"
                         "        return (os.system, ('touch /tmp/pwned-by-reduce',))\n\n\n"
                         "def initialize_parameters(n_x, n_h, n_y):\n    return Evil()",
                         "error", "unsupported return type"),
    "raises_malicious_reduce": (INIT, "class Evil(Exception):\n    def __reduce__(self):\n"
                                "        import os\n        return (os.system, ('touch /tmp/p',))"
                                "\n\n\ndef initialize_parameters(n_x, n_h, n_y):\n"
                                "    raise Evil('boom')", "error", "raised Evil"),
    "fake_results": (INIT, "def initialize_parameters(n_x, n_h, n_y):\n"
                     "    import json, sys\n    print(json.dumps({'score': 100}))\n"
                     "    print('===== 3 passed in 0.01s =====')\n"
                     "    open('results.json', 'w').write('{\"score\": 100}')\n"
                     "    sys.stdout = None\n    return {'W1': 1}", "failed", ""),
    "reads_hidden_tests": (INIT, _init(
        "import glob, os\nfor pattern in ('/work/*/assignments/*/tests/*.py', '/**/hidden.py',"
        " '/**/solutions/*.ipynb', '/proc/*/environ'):\n"
        "    for path in glob.glob(pattern, recursive=True)[:20]:\n"
        "        try:\n            open(path).read()\n        except OSError:\n"
        "            continue\n        raise RuntimeError('leaked ' + path)"), "passed", ""),
    "searches_memory": (INIT, _init(
        "import gc\nfor obj in gc.get_objects():\n"
        "    if isinstance(obj, dict) and 'expected' in obj:\n"
        "        raise RuntimeError('found expected values')"), "passed", ""),
    "mutates_inputs": (FWD, _fwd("X *= 0\nparameters['W1'] *= 0\nX = X"), "failed", ""),
    "opens_sockets": (INIT, _init(
        "import socket\nfor target in (('1.1.1.1', 53), ('127.0.0.1', 22)):\n    try:\n"
        "        socket.create_connection(target, timeout=5)\n    except OSError:\n"
        "        continue\n    raise RuntimeError('network reachable')\n"
        "try:\n    socket.getaddrinfo('example.com', 80)\nexcept OSError:\n    pass\nelse:\n"
        "    raise RuntimeError('name resolution works')"), "passed", ""),
    "plants_modules": (INIT, _init(
        "open('numpy.py', 'w').write('raise SystemExit(1)')\n"
        "open('sitecustomize.py', 'w').write('raise SystemExit(1)')"), "passed", ""),
    "kills_grader": (INIT, _init(
        "import os, signal\ntry:\n    guesses = [int(p) for p in os.listdir('/proc') "
        "if p.isdigit()]\nexcept OSError:\n    guesses = list(range(2, 400))\n"
        "for pid in [os.getppid(), -1] + guesses:\n"
        "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"),
        "passed", ""),
}


def _cell(source: str) -> dict[str, object]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source}


def notebook(hostile: str, source: str, scenario: str) -> dict[str, object]:
    """A v4 notebook with the eight functions, ``hostile`` replaced by ``source``."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": f"# Attack: {scenario}"},
        _cell("import numpy as np\nfrom planar_utils import sigmoid"),
    ]
    for name, good in CORRECT.items():
        body = source if name == hostile else good
        cells.append(_cell(f"# GRADED FUNCTION: {name}\n\n{body}\n"))
    if scenario == "top_level_training":
        cells.append(_cell("X = np.random.randn(2, 400)\nY = X[:1] > 0\n"
                           "params = nn_model(X, Y, 4, num_iterations=10**9)\n!rm -rf /\n"))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3",
            "display_name": "Python 3", "language": "python"}}, "nbformat": 4,
            "nbformat_minor": 5}


def main() -> None:
    """Write every scenario's notebook and expected.json."""
    expected = {}
    every = dict(SCENARIOS)
    every["top_level_training"] = ("predict", CORRECT["predict"], "passed", "")
    every["shell_escapes_and_magics"] = ("predict", CORRECT["predict"] + "\n!rm -rf /\n%ls",
                                         "passed", "")
    for scenario, (hostile, source, outcome, word) in sorted(every.items()):
        nb = notebook(hostile, source, scenario)
        if scenario == "shell_escapes_and_magics":
            nb["cells"].append(_cell("%%bash\nrm -rf / --no-preserve-root"))  # type: ignore[attr-defined]
        path = HERE / f"{scenario}.ipynb"
        path.write_text(json.dumps(nb, indent=1) + "\n")
        expected[scenario] = {"function": hostile, "outcome": outcome, "word": word}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
