"""The top-level names a graded function reads (issue #12, item 1).

A function that reads a name bound only by top-level code (an alias, a lambda, a generator, a
leftover line) gets the value a Run All would have left: the statements binding it, and only
those, run in the sandbox within a small budget. Scenario notebooks are in
tests/data/planar/scenarios/toplevel_*.ipynb (make_toplevel_scenarios.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.extract import Program, extract_program
from grader.notebook import Cell, read_submission
from grader.redact import hidden_error_message
from grader.runner import Grader
from grader.sandbox import Limits, Zygote
from grader.sandbox.loadkinds import OUT_OF_TIME
from grader.session import SandboxSubmission, _toplevel_units
from grader.testing import StudentCodeError
from grader.toplevel import free_names, select

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SCENARIOS = Path(__file__).parent / "data" / "planar" / "scenarios"
EXPECTED: dict[str, list[str]] = json.loads((SCENARIOS / "toplevel_expected.json").read_text())


def _program(*sources: str) -> Program:
    return extract_program(tuple(Cell(n, s) for n, s in enumerate(sources, start=1)))


def _notebook(path: Path) -> Program:
    return extract_program(read_submission(str(path)).cells)


def _run(program: Program, roots: list[str] | None = None) -> list[str]:
    """The sources of the top-level statements the session would run."""
    stubs = {name: ["x"] for name in roots or []}
    return [unit[1] for unit in _toplevel_units(program, stubs)]


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_loses_exactly_its_tests(grader: Grader, scenario: str) -> None:
    result = grader.grade_path(SCENARIOS / f"{scenario}.ipynb", scenario)
    assert result.status == "graded"
    lost = sorted(t.id for t in result.tests if t.outcome != "passed")
    assert lost == EXPECTED[scenario]
    for test in result.tests:
        assert "global name" not in test.message or test.id in EXPECTED[scenario]


def test_a_binding_that_times_out_is_named_with_the_reason(grader: Grader) -> None:
    result = grader.grade_path(SCENARIOS / "toplevel_timeout.ipynb", "timeout")
    failed = [t for t in result.tests if t.outcome != "passed"]
    assert failed
    for test in failed:
        assert "`scale`" in test.message
        assert "(cell 43, line 1)" in test.message  # the cell of `scale = slow_scale()`
        assert "did not finish within the 2 s" in test.message


def test_only_the_statements_binding_read_names_are_selected() -> None:
    program = _notebook(SCENARIOS / "toplevel_training_unread.ipynb")
    chosen = _run(program, ["forward_propagation", "initialize_parameters"])
    assert chosen == ["act = np.tanh"]  # not the training loop, nor any demo cell


def test_a_notebook_that_needs_no_top_level_code_runs_none() -> None:
    solution = _notebook(REPO / "solutions" / "planar_data_classification.ipynb")
    assert solution.deferred  # it has demo cells...
    assert _run(solution, ["forward_propagation", "nn_model", "predict"]) == []  # ...none needed


def test_what_the_chosen_statements_read_is_chosen_too_in_notebook_order() -> None:
    program = _program(
        "import numpy as np",
        "base = 2\nunused = print('plot')\nrng = np.random.default_rng(base)",
        "def helper(n):\n    return rng.normal(size=n) * scale",
        "scale = 0.5 * width\nwidth = 3",
        "def f(n):\n    return helper(n)",
    )
    # `width` is bound only after `scale` reads it: as in a Run All, it does not count.
    assert _run(program, ["f"]) == [
        "rng = np.random.default_rng(base)",
        "scale = 0.5 * width",
    ]
    assert _run(_program("x = compute()", "def f():\n    return 1"), ["f"]) == []


def test_earlier_bindings_run_too_so_a_slow_last_one_leaves_a_value() -> None:
    program = _program("n = 1", "n = train(n)\n", "def f():\n    return n")
    assert _run(program, ["f"]) == []  # `n = 1` is a kept constant: as before, it is `n`
    program = _program("n = len('ab')", "n = train(n)", "def f():\n    return n")
    assert _run(program, ["f"]) == ["n = len('ab')", "n = train(n)"]


def test_a_statement_that_would_rebind_a_kept_name_is_never_run() -> None:
    program = _program(
        "import numpy as np", "np, k = None, 3", "def f():\n    return np.zeros(k)"
    )
    assert _run(program, ["f"]) == []


def test_free_names_leave_out_parameters_and_locals() -> None:
    import ast

    node = ast.parse(
        "def f(a, *b, c=d, **e):\n    g = a + h\n    for i in b: j = i\n"
        "    return [k for k in e] + len(l)"
    ).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert free_names(node) == {"d", "h", "l"}  # builtins (len) left out too


def test_select_is_bounded_by_the_statements_not_their_reads() -> None:
    chain = [f"v{i} = v{i - 1} + 1" for i in range(1, 400)]
    program = _program(*chain, "def f():\n    return v399")
    assert len(select(set(), program.reads, program.deferred, ["f"])) == 399


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def test_code_that_the_budget_cannot_stop_is_left_out_and_named(zygote: Zygote) -> None:
    # One long call into C ignores the budget's signal: the load times out, and the program is
    # loaded again without that statement.
    program = _program(
        "import numpy as np",
        "big = sum(range(10**13))",
        "def f():\n    return big",
        "def g():\n    return 1",
    )
    sub = SandboxSubmission(zygote, program, Limits(load_timeout_s=3.0))
    try:
        sub.start()
        assert sub.call("g", (), {}) == 1
        with pytest.raises(StudentCodeError) as info:
            sub.call("f", (), {})
    finally:
        sub.close()
    assert "(cell 2, line 1)" in info.value.message
    assert "stopped the sandbox from loading" in info.value.message


def test_a_statement_that_raises_is_named_with_its_exception(zygote: Zygote) -> None:
    program = _program("import numpy as np", "k = int('x')", "j = k + 1", "def f():\n    return j")
    sub = SandboxSubmission(zygote, program, Limits())
    try:
        sub.start()
        with pytest.raises(StudentCodeError) as info:
            sub.call("f", (), {})
    finally:
        sub.close()
    assert "(cell 3, line 1)" in info.value.message
    assert "it reads `k`, which was not computed either" in info.value.message


def test_select_follows_a_long_chain_of_helpers_without_recursing() -> None:
    helpers = [f"def h{i}():\n    return h{i + 1}()" for i in range(1500)]
    program = _program("\n".join(helpers), "def h1500():\n    return z", "z = len('abc')")
    assert _run(program, ["h0"]) == ["z = len('abc')"]


def test_a_hidden_check_names_the_top_level_line_a_missing_name_comes_from() -> None:
    program = _notebook(SCENARIOS / "toplevel_timeout.ipynb")
    exc = StudentCodeError(
        "initialize_parameters",
        "exception",
        "`initialize_parameters` uses the global name `scale`, ... X = [[0.123]]",
        exc_type="NameError",
        where="cell 44, line 2",
    )
    public = hidden_error_message(exc, program)
    assert "`scale` (cell 43, line 1)" in public
    assert "0.123" not in public and "could not be computed" not in public
    other = StudentCodeError("compute_cost", "exception", "x", exc_type="NameError")
    assert "top-level" not in hidden_error_message(other, program)  # reads none


def test_a_global_declaration_and_a_class_s_methods_count_as_reads() -> None:
    program = _program(
        "import numpy as np",
        "count = len('')\nact = np.tanh",
        "class Layer:\n    def __call__(self, z):\n        return act(z)",
        "def f(z):\n    global count\n    count += 1\n    return Layer()(z)",
    )
    assert _run(program, ["f"]) == ["count = len('')", "act = np.tanh"]


def test_an_augmented_assignment_reads_its_target() -> None:
    program = _program("n = len('ab')\nn += 1", "def f():\n    return n")
    assert _run(program, ["f"]) == ["n = len('ab')", "n += 1"]
    program = _program("m = len('ab')\nn = 0", "n += m", "def f():\n    return n")
    assert _run(program, ["f"]) == []  # n is a kept constant


def test_a_restarted_child_does_not_wait_again_for_code_that_ran_out_of_time(
    zygote: Zygote,
) -> None:
    program = _program(
        "def slow():\n    while True:\n        pass",
        "value = slow()",
        "def f():\n    return value",
        "def g():\n    return slow()",
    )
    sub = SandboxSubmission(zygote, program, Limits(call_timeout_s=0.5))
    try:
        sub.start()
        assert [unit[0] for unit in sub._units] == ["def", "def", "def", OUT_OF_TIME]
        with pytest.raises(StudentCodeError):
            sub.call("g", (), {})  # times out: the child is replaced
        with pytest.raises(StudentCodeError) as info:
            sub.call("f", (), {})
    finally:
        sub.close()
    assert "(cell 2, line 1)" in info.value.message
    assert "did not finish within the 2 s" in info.value.message


def test_the_budget_stays_within_the_load_limit(zygote: Zygote) -> None:
    slow = "def slow():\n    while True:\n        pass"
    program = _program(slow, "v = slow()", "def f():\n    return v")
    sub = SandboxSubmission(zygote, program, Limits(load_timeout_s=3.0))
    try:
        sub.start()
        with pytest.raises(StudentCodeError) as info:
            sub.call("f", (), {})
    finally:
        sub.close()
    # Stopped by its budget (half the load limit), not by the load limit: the child lived.
    assert "did not finish within the 1.5 s" in info.value.message


def test_a_graded_function_bound_at_top_level_is_bound() -> None:
    program = _program(
        "import numpy as np",
        "act = np.tanh",
        "layer_sizes = lambda X, Y: (X.shape[0], width, Y.shape[0])",
        "width = 4",
    )
    assert _run(program, ["layer_sizes"]) == [
        "layer_sizes = lambda X, Y: (X.shape[0], width, Y.shape[0])"
    ]  # `width = 4` is a kept constant; `act` is read by nothing
