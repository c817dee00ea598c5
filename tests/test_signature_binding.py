"""Issue 12, item 3: a check's arguments are bound as the exercise's stub names them.

A student signature with an extra parameter used to receive the check's arguments shifted by
one (the iteration count as the learning rate); now each goes to the parameter of its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import program

from grader.assignment import load_assignment
from grader.binding import bind, signature_warning
from grader.runner import Grader
from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission, _signature
from grader.stubs import release_parameters
from grader.testing import Signature

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SCENARIOS = Path(__file__).parent / "data" / "planar" / "scenarios"
LIMITS = Limits(call_timeout_s=5.0, load_timeout_s=5.0, memory_mb=1024)
STUB = ("X", "Y", "n_h", "num_iterations", "print_cost")


def sig(*names: str, required: int = 0, only: int = 0, kw: tuple[str, ...] = ()) -> Signature:
    return Signature(len(names), required, False, names, only, kw)


def test_an_extra_parameter_gets_its_default_and_the_rest_go_by_name() -> None:
    student = sig("X", "Y", "n_h", "learning_rate", "num_iterations", "print_cost", required=3)
    bound = bind(STUB, student, ("x", "y", 4, 150, False), {})
    assert bound.args == ("x", "y", 4)
    assert bound.kwargs == {"num_iterations": 150, "print_cost": False}
    assert bound.by_name


def test_renamed_parameters_stay_positional() -> None:
    stub = ("parameters", "cache", "X", "Y")
    bound = bind(stub, sig("params", "cache_dict", "inputs", "labels"), (1, 2, 3, 4), {})
    assert bound == (((1, 2, 3, 4)), {}, False)
    # A rename before a name that sits elsewhere: positional, then by name.
    bound = bind(STUB, sig("X", "labels", "hidden", "lr", "num_iterations", "print_cost"),
                 (1, 2, 3, 4, 5), {})
    assert bound.args == (1, 2, 3) and bound.kwargs == {"num_iterations": 4, "print_cost": 5}


def test_swapped_names_are_swapped_back() -> None:
    bound = bind(("a", "b"), sig("b", "a"), (1, 2), {})
    assert bound == ((), {"a": 1, "b": 2}, True)


@pytest.mark.parametrize(
    "student",
    [
        # a rename after the first by-name argument: no safe binding
        sig("X", "Y", "n_h", "learning_rate", "iterations", "num_iterations"),
        # the name is positional-only in the student's signature
        sig("X", "Y", "num_iterations", "n_h", "print_cost", only=3),
    ],
)
def test_conflicts_fall_back_to_positional(student: Signature) -> None:
    args = (1, 2, 3, 4, 5)
    assert bind(STUB, student, args, {}) == (args, {}, False)


def test_same_or_unknown_names_change_nothing() -> None:
    args = (1, 2, 3, 4, 5)
    assert bind(STUB, sig(*STUB), args, {}) == (args, {}, False)
    assert bind(STUB, Signature(5, 5, False), args, {}) == (args, {}, False)
    assert bind((), sig("a"), args, {}) == (args, {}, False)
    assert signature_warning("f", STUB, sig(*STUB), False) is None


def test_the_warning_names_both_signatures_and_how_arguments_went() -> None:
    student = sig("X", "Y", "n_h", "learning_rate", "num_iterations", "print_cost")
    assert signature_warning("nn_model", STUB, student, True) == (
        "`nn_model` has parameters (X, Y, n_h, learning_rate, num_iterations, print_cost); the "
        "exercise's are (X, Y, n_h, num_iterations, print_cost): arguments were passed by name "
        "where your function has the exercise's names"
    )
    renamed = signature_warning("g", ("a", "b"), sig("x", "y", kw=("z",)), False)
    assert renamed is not None and renamed.endswith("in the exercise's order")
    assert "(x, y, *, z)" in renamed


def test_release_parameters_are_the_stubs_positional_names() -> None:
    found = release_parameters(PLANAR / "planar_data_classification.ipynb")
    assert found["nn_model"] == STUB
    assert found["update_parameters"] == ("parameters", "grads", "learning_rate")
    assert release_parameters(None) == {}


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([]) as z:
        yield z


def test_the_sandbox_binds_by_name_and_warns_without_values(zygote: Zygote) -> None:
    source = (
        "def nn_model(X, Y, n_h, learning_rate=1.2, num_iterations=10, print_cost=False):\n"
        "    return [learning_rate, num_iterations, print_cost]"
    )
    sub = SandboxSubmission(zygote, program(source), LIMITS, stubs={"nn_model": STUB})
    try:
        sub.start()
        assert sub.signature("nn_model").names == (
            "X", "Y", "n_h", "learning_rate", "num_iterations", "print_cost"
        )
        assert sub.nn_model(0, 0, 4, 987654, True) == [1.2, 987654, True]
        [warning] = sub.signature_warnings
        assert "987654" not in warning and "passed by name" in warning
    finally:
        sub.close()


@pytest.mark.parametrize(
    "reported",
    [
        [2, 1, False, ["a", "b c"], 0, []],  # not an identifier
        [2, 1, False, ["a", "a"], 0, []],  # a name twice
        [2, 1, False, ["a", "b"], 0, ["a"]],  # keyword-only repeats a positional name
        [2, 1, False, ["a"], 0, []],  # fewer names than parameters
        [2, 1, False, ["a", "b"], 3, []],  # more positional-only than positional
        [2, 1, False, ["a", "x" * 65], 0, []],  # too long
        [2, 1, False, "ab", 0, []],
    ],
)
def test_forged_names_are_not_believed(reported: list[object]) -> None:
    # The load reply is the child's: a malformed list of names leaves the counts, no names,
    # so the function is called positionally, as before.
    signature = _signature(reported)
    assert signature == Signature(2, 1, False)
    assert bind(("b", "a"), signature, (1, 2), {}) == ((1, 2), {}, False)


@pytest.fixture(scope="module")
def planar() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


def test_an_extra_learning_rate_trains_and_gets_full_marks(planar: Grader) -> None:
    name = "style_nn_model_learning_rate_parameter"
    result = planar.grade_path(SCENARIOS / f"{name}.ipynb", name)
    assert [t.id for t in result.tests if t.outcome != "passed"] == []
    assert any(w.startswith("`nn_model` has parameters (X, Y, n_h, learning_rate,")
               for w in result.warnings)


def test_a_loop_bug_is_no_longer_hidden_by_zero_iterations(planar: Grader) -> None:
    name = "mistake_nn_model_learning_rate_loop_bug"
    result = planar.grade_path(SCENARIOS / f"{name}.ipynb", name)
    lost = {t.id: t.outcome for t in result.tests if t.outcome != "passed"}
    assert lost == {"nn_model.example": "error", "nn_model.shapes": "error",
                    "nn_model.trains": "error"}
