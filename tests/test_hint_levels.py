"""Hint levels: a hidden check tells a student what fails and where to look, not the formula.

What counts as a formula, for these tests: a numpy call (``np.dot``, ``np.random.randn``...),
an assignment whose right side computes something (``dW1 = np.dot(...)``, ``Z1 = ... + b1``,
``predictions = (A2 > 0.5)``), a division by m, a power, or a ``sigmoid(``/``log(`` call.
"set n_h = 4" (a constant the exercise states) is not one.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from grader.assignment import Assignment, load_assignment
from grader.errors import AssignmentError
from grader.expect import expect_close, expect_shape
from grader.mutants import load_mutants, mutant_source
from grader.notebook import read_submission
from grader.results import SubmissionResult
from grader.runner import Grader
from grader.testing import CheckFailed, hint

ROOT = Path(__file__).resolve().parents[1]
PLANAR = ROOT / "assignments" / "planar_data_classification"

FORMULA = re.compile(
    r"np\.\w+"
    r"|\b[A-Za-z_]\w* = [^,;:]*?[-+*/(>]"
    r"|/ ?m\b|/ ?\(m\)|\*\*"
    r"|\bsigmoid\(|\blog\("
)


def test_the_formula_pattern_means_what_the_tests_say() -> None:
    for formula in (
        "dW1 = np.dot(dZ1, X.T) / m",
        "use predictions = (A2 > 0.5)",
        "cost = -(1/m) * sum(...)",
        "W1 = W1 - learning_rate * dW1",
        "A2 = sigmoid(Z2)",
        "1 - A1**2",
    ):
        assert FORMULA.search(formula), formula
    for words in (
        "set n_h = 4 in this exercise",
        "check the derivative of tanh and how the error flows back through W2",
        "update_parameters(parameters, grads, learning_rate=1.2)",
    ):
        assert not FORMULA.search(words), words


def _grade_mutants(assignment: Assignment) -> list[SubmissionResult]:
    assert assignment.solution is not None and assignment.mutants is not None
    reference = read_submission(str(assignment.solution))
    with Grader(assignment) as grader:
        return [
            grader.grade_source(mutant_source(reference, m), m.name)
            for m in load_mutants(assignment.mutants)
        ]


def _hidden_public(results: list[SubmissionResult]) -> list[tuple[str, str]]:
    return [
        (f"{r.id} {t.id}", t.student_message)
        for r in results
        for t in r.tests
        if t.visibility == "hidden" and t.outcome != "passed"
    ]


@pytest.fixture(scope="module")
def planar() -> Assignment:
    return load_assignment(PLANAR)


@pytest.fixture(scope="module")
def by_default(planar: Assignment) -> list[SubmissionResult]:
    assert planar.hints == "property"
    return _grade_mutants(planar)


@pytest.fixture(scope="module")
def with_formulas(planar: Assignment) -> list[SubmissionResult]:
    return _grade_mutants(dataclasses.replace(planar, hints="formula"))


def test_by_default_no_hidden_message_a_student_sees_gives_a_formula(
    by_default: list[SubmissionResult],
) -> None:
    shown = _hidden_public(by_default)
    assert len(shown) >= 20  # every mutant fails some hidden check
    leaks = [(where, m) for where, m in shown if FORMULA.search(m)]
    assert not leaks, leaks[:5]


def test_by_default_a_student_still_learns_where_to_look(
    by_default: list[SubmissionResult],
) -> None:
    shown = dict(_hidden_public(by_default))
    tanh = [m for where, m in shown.items() if "backward_propagation.values" in where]
    assert any("dW1 differs" in m and "derivative of tanh" in m for m in tanh), tanh


def test_the_instructors_message_always_keeps_the_formula(
    by_default: list[SubmissionResult],
) -> None:
    full = [t.message for r in by_default for t in r.tests if t.id == "backward_propagation.values"]
    assert any("np.dot(dZ1, X.T) / m" in m for m in full)


def test_with_hints_formula_students_see_the_formulas(
    by_default: list[SubmissionResult], with_formulas: list[SubmissionResult]
) -> None:
    shown = _hidden_public(with_formulas)
    assert any("dW1 = np.dot(dZ1, X.T) / m" in m for _, m in shown)
    assert any("Z1 = np.dot(W1, X) + b1" in m for _, m in shown)
    # Same verdicts and scores at both levels: only the words a student sees differ.
    assert [(r.score, [t.outcome for t in r.tests]) for r in with_formulas] == [
        (r.score, [t.outcome for t in r.tests]) for r in by_default
    ]
    assert sum(1 for _, m in shown if FORMULA.search(m)) >= 10


def test_a_hint_gives_each_level_its_text() -> None:
    advice = hint(property="check the derivative of tanh", formula="dZ1 = ... * (1 - A1**2)")
    with pytest.raises(CheckFailed) as info:
        expect_close(1.0, 2.0, "dW1", hint=advice)
    exc = info.value
    assert "check the derivative of tanh: dZ1 = ... * (1 - A1**2)" in str(exc)
    shown = "dW1 differs from the correct value: check the derivative of tanh"
    assert exc.public_at("property") == shown
    assert exc.public_at("formula") == f"{shown}: dZ1 = ... * (1 - A1**2)"


def test_a_plain_string_hint_is_shown_at_every_level() -> None:
    with pytest.raises(CheckFailed) as info:
        expect_close(1.0, 2.0, "dW1", hint="look at dW1")
    assert info.value.public_at("property") == info.value.public_at("formula")
    assert str(info.value.public_at("property")).endswith("look at dW1")


def test_generic_shape_advice_keeps_its_numpy_idiom_for_the_formula_level() -> None:
    import numpy as np

    with pytest.raises(CheckFailed) as info:
        expect_shape(np.zeros(3), (3, 1), "db1", names="(n_h, 1)")
    assert "keep the column dimension" in str(info.value.public_at("property"))
    assert "keepdims" not in str(info.value.public_at("property"))
    assert "keepdims=True" in str(info.value.public_at("formula"))
    assert "keepdims=True" in str(info.value)


def _with_toml_line(tmp_path: Path, line: str) -> Path:
    root = tmp_path / "a"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "t.py").write_text(
        "from grader.testing import check\n\n@check('f', 'c', points=1)\ndef c(submission):\n"
        "    pass\n",
        encoding="utf-8",
    )
    (root / "assignment.toml").write_text(
        f'id = "a"\nfunctions = ["f"]\nhidden_tests = ["tests/t.py"]\n{line}\n', encoding="utf-8"
    )
    return root


@pytest.mark.parametrize(("line", "level"), [("", "property"), ('hints = "formula"', "formula")])
def test_the_setting_is_read_from_assignment_toml(tmp_path: Path, line: str, level: str) -> None:
    assert load_assignment(_with_toml_line(tmp_path, line)).hints == level


@pytest.mark.parametrize("value", ['"formulas"', '"Formula"', "true", "1", '["formula"]'])
def test_a_bad_setting_is_refused_with_the_allowed_values(tmp_path: Path, value: str) -> None:
    with pytest.raises(AssignmentError) as info:
        load_assignment(_with_toml_line(tmp_path, f"hints = {value}"))
    assert "'hints' must be \"property\" or \"formula\"" in str(info.value)


def test_a_hint_survives_copies_and_pickles_whole() -> None:
    import copy
    import pickle

    advice = hint(property="check the derivative of tanh", formula="1 - A1**2")
    for again in (copy.deepcopy(advice), pickle.loads(pickle.dumps(advice))):
        assert (str(again), again.at("property"), again.at("formula")) == (
            str(advice),
            "check the derivative of tanh",
            "check the derivative of tanh: 1 - A1**2",
        )
