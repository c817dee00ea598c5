"""Messages that name the real cause (issue #12, item 5).

A function hidden by a syntax error is reported as that syntax error; a body written above its
`# YOUR CODE STARTS HERE` marker is not "not implemented yet"; a notebook of another
assignment says so once. The scenario notebooks (tests/data/planar/scenarios/cause_*.ipynb,
made by make_cause_scenarios.py) are graded end to end against cause_expected.json.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader.assignment import load_assignment
from grader.extract import FunctionInfo, Program, Unreadable, extract_program
from grader.notebook import Cell
from grader.redact import MESSAGE_WITHHELD, hidden_error_message, student_error_message
from grader.results import SubmissionResult
from grader.runner import Grader
from grader.stubs import confirm_stubs, release_skeletons
from grader.testing import StudentCodeError

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SCENARIOS = Path(__file__).parent / "data" / "planar" / "scenarios"
EXPECTED: dict[str, dict[str, str]] = json.loads(
    (SCENARIOS / "cause_expected.json").read_text()
)
TINY = Path(__file__).parent / "data" / "assignments" / "tiny"
TINY_SOLUTION = (TINY / "solution.py").read_text()


def extract(*sources: str) -> Program:
    return extract_program(tuple(Cell(i, s) for i, s in enumerate(sources, start=1)))


def missing(name: str) -> StudentCodeError:
    return StudentCodeError(name, "missing", "")


# --- 1. a syntax error that hides a function ------------------------------------------------


@pytest.mark.parametrize(
    "source, name, line, text, reason",
    [
        (
            "def forward(X, b1):\n    W1 = 2\n    Z1 = np.dot(W1, X) + b1)\n    return Z1\n",
            "forward", 3, "Z1 = np.dot(W1, X) + b1)", "unmatched ')'",
        ),
        ("def forward(X:\n    return X\n", "forward", 1, "def forward(X:", "was never closed"),
        ("@decorate\ndef forward(X):\n    return X +\n", "forward", 3, "return X +", "invalid"),
        ("class Model:\n    def f(self)\n        pass\n", "Model", 2, "def f(self)", "expected"),
        ("async def forward(X):\n  x = 1\n    return x\n", "forward", 3, "return x", "indent"),
    ],
)
def test_a_definition_lost_to_a_syntax_error_is_recorded(
    source: str, name: str, line: int, text: str, reason: str
) -> None:
    program = extract("import numpy as np\n", "x = 1\n\n" + source + "\ndef fine():\n    pass\n")
    assert "fine" in program.functions and name not in program.functions
    lost = program.unreadable[name]
    assert (lost.name, lost.cell, lost.line, lost.text) == (name, 2, line + 2, text)
    assert reason in lost.reason


def test_a_readable_definition_elsewhere_wins_over_the_record() -> None:
    broken = "def f(x):\n    return x)\n"
    assert "f" in extract(broken, "def f(x):\n    return x\n").functions
    assert "f" not in extract(broken, "def f(x):\n    return x\n").unreadable
    assert "f" not in extract("def f(x):\n    return x\n", broken).unreadable
    # A later binding that is not a function: the syntax error is no longer the cause.
    assert extract(broken, "f = 3\n").unreadable == {}
    assert extract(broken, "f = 3\n", broken).unreadable["f"].cell == 3


def test_a_long_offending_line_is_shortened() -> None:
    source = "def f(x):\n    return (" + "x + " * 200 + "x))\n"
    lost = extract(source).unreadable["f"]
    assert len(lost.text) <= 120 and lost.text.endswith("...")


def test_each_broken_definition_is_named_with_its_own_error() -> None:
    source = "".join(f"def f{i}(x):\n    return x)\n" for i in range(1500))
    program = extract(source)
    assert len(program.unreadable) == 1500
    assert program.unreadable["f1499"].line == 3000
    assert program.unreadable["f0"].text == "return x)"


def test_the_missing_message_is_the_syntax_error() -> None:
    program = extract("x = 1\n", "def forward(X):\n    Z1 = np.dot(W1, X) + b1)\n")
    expected = (
        "`forward` could not be read: a syntax error in cell 2, line 2: "
        "`Z1 = np.dot(W1, X) + b1)` (unmatched ')'); fix it, then run the cell again"
    )
    assert student_error_message(missing("forward"), program) == expected
    # The student's own line and the parser's words: the same for a hidden check.
    assert hidden_error_message(missing("forward"), program) == expected
    # Another function that is simply absent keeps its message.
    assert "no function `other` was found" in student_error_message(missing("other"), program)


def test_a_name_error_on_a_lost_definition_names_the_syntax_error() -> None:
    program = extract("def forward(X):\n    return X)\n", "def model(X):\n    return forward(X)\n")
    exc = StudentCodeError(
        "model", "exception",
        "`model` uses the global name `forward`, which the notebook's definitions do not "
        "provide; use only the function's arguments (cell 2, line 2)",
        exc_type="NameError", where="cell 2, line 2",
    )
    cause = "a syntax error in cell 1, line 2: `return X)` (unmatched ')')"
    assert student_error_message(exc, program) == (
        f"`model` uses `forward` (cell 2, line 2), which could not be read: {cause}"
    )
    hidden = hidden_error_message(exc, program)
    assert f"could not be read: `forward` ({cause})" in hidden and "global name" not in hidden
    # Another global keeps the sandbox's advice.
    other = StudentCodeError(
        "model", "exception", exc.message.replace("`forward`", "`W1`"),
        exc_type="NameError", where="cell 2, line 2",
    )
    assert student_error_message(other, program) == other.message


def test_a_place_without_a_line_is_named_by_its_cell() -> None:
    lost = Unreadable("f", 4, 0, "", "the code is nested too deeply to be read")
    assert lost.describe() == "a syntax error in cell 4 (the code is nested too deeply to be read)"


# --- 2. a body written above the marker ------------------------------------------------------

STUB = (
    "def cost(A, Y):\n"
    '    """The cost."""\n'
    "    m = Y.shape[1]\n"
    "    # YOUR CODE STARTS HERE\n\n"
    "    # YOUR CODE ENDS HERE\n"
    "    return float(total)\n"
)
ABOVE = STUB.replace(
    "    # YOUR CODE STARTS", "    total = -np.sum(logprob) / m\n    # YOUR CODE STARTS"
)


def test_the_release_stub_is_still_a_stub_and_a_body_above_the_marker_is_not() -> None:
    release = extract(STUB)
    skeletons = {"cost": release.functions["cost"].skeleton}
    untouched = extract("# only comments differ\n" + STUB.replace('"""The cost."""', "# hi"))
    assert confirm_stubs(untouched, skeletons).functions["cost"].stub_empty
    # A stub with a line deleted is still a stub; one with a line changed is the student's.
    deleted = extract(STUB.replace("    m = Y.shape[1]\n", ""))
    assert confirm_stubs(deleted, skeletons).functions["cost"].stub_empty
    changed = extract(STUB.replace("Y.shape[1]", "Y.shape[0]"))
    assert not confirm_stubs(changed, skeletons).functions["cost"].stub_empty
    above = extract(ABOVE)
    assert above.functions["cost"].stub_empty  # the region alone says "empty"
    assert not confirm_stubs(above, skeletons).functions["cost"].stub_empty
    assert confirm_stubs(above, {}).functions["cost"].stub_empty  # no release: as before


def test_an_exception_of_a_body_above_the_marker_is_not_called_unimplemented() -> None:
    exc = StudentCodeError(
        "cost", "exception", "`cost` raised NameError (cell 1, line 4)",
        exc_type="NameError", where="cell 1, line 4",
    )
    skeletons = {"cost": extract(STUB).functions["cost"].skeleton}
    stub = confirm_stubs(extract(STUB), skeletons)
    above = confirm_stubs(extract(ABOVE), skeletons)
    assert student_error_message(exc, stub).startswith("`cost` is not implemented yet")
    assert student_error_message(exc, above) == exc.message
    assert "not implemented" not in hidden_error_message(exc, above)


def test_release_skeletons_of_the_planar_release() -> None:
    assignment = load_assignment(PLANAR)
    skeletons = release_skeletons(assignment.release)
    assert set(skeletons) == set(assignment.functions)
    assert release_skeletons(None) == {}


def test_a_function_info_compares_without_its_skeleton() -> None:
    assert FunctionInfo("f", 1, 1, False, True, ("ab",)) == FunctionInfo("f", 1, 1, False, True)


# --- 3. a notebook of another assignment ------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> Iterator[Grader]:
    with Grader(load_assignment(TINY)) as g:
        yield g


def notebook(tmp_path: Path, code: str, assignment: object) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nb.metadata["grader"] = {"assignment": assignment}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_another_assignments_notebook_says_so_once(tiny: Grader, tmp_path: Path) -> None:
    path = notebook(tmp_path, "def other(x):\n    return x\n", "week3")
    result = tiny.grade_path(path, "s")
    assert result.status == "graded" and result.score == 0.0
    [warning] = [w for w in result.warnings if "belongs to" in w]
    assert "'week3'" in warning and "'tiny'" in warning
    for test in result.tests:
        assert test.outcome == "missing"
        assert test.message == "not graded: this notebook belongs to assignment 'week3', not 'tiny'"
        assert test.public_message in (None, test.message)
    # Only when none of the work is there: a wrong id on the right work is graded as usual,
    # and the right id keeps the usual "no function" messages.
    result = tiny.grade_path(notebook(tmp_path, TINY_SOLUTION, "week3"), "s")
    assert result.score == result.max_score
    assert not [w for w in result.warnings if "belongs to" in w]
    result = tiny.grade_path(notebook(tmp_path, "def other(x):\n    return x\n", "tiny"), "s")
    assert all("no function" in t.message for t in result.tests)
    assert not [w for w in result.warnings if "belongs to" in w]


def test_a_strange_id_is_quoted_escaped(tiny: Grader, tmp_path: Path) -> None:
    weird = "x\u202e\n" + "y" * 500
    result = tiny.grade_path(notebook(tmp_path, "pass\n", weird), "s")
    [warning] = [w for w in result.warnings if "belongs to" in w]
    assert "\u202e" not in warning and "\n" not in warning and len(warning) < 400
    assert "\\u202e" in result.tests[0].message


# --- the scenarios, end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def planar() -> Iterator[Grader]:
    with Grader(load_assignment(PLANAR)) as g:
        yield g


@pytest.fixture(scope="module")
def graded(planar: Grader) -> dict[str, SubmissionResult]:
    return {name: planar.grade_path(SCENARIOS / f"{name}.ipynb", name) for name in EXPECTED}


@pytest.fixture(scope="module")
def together() -> Iterator[Grader]:
    """The planar grader with stand-ins off: functions graded with the ones they call."""
    assignment = load_assignment(PLANAR)
    checks = tuple(
        dataclasses.replace(c, spec=dataclasses.replace(c.spec, standins=False))
        for c in assignment.checks
    )
    with Grader(dataclasses.replace(assignment, checks=checks)) as g:
        yield g


def lost(result: SubmissionResult) -> dict[str, str]:
    assert result.status == "graded"
    return {t.id: t.outcome for t in result.tests if t.outcome != "passed"}


def test_scenario_syntax_error(graded: dict[str, SubmissionResult], together: Grader) -> None:
    # A correct forward_propagation stands in for the unreadable one in predict and nn_model.
    assert lost(graded["cause_syntax_error"]) == EXPECTED["cause_syntax_error"]
    name = "cause_syntax_error"
    result = together.grade_path(SCENARIOS / f"{name}.ipynb", name)
    by_id = {t.id: t for t in result.tests}
    for test in ("example", "shapes", "values"):
        check = by_id[f"forward_propagation.{test}"]
        assert check.message.startswith(
            "`forward_propagation` could not be read: a syntax error in cell 18, line 33: "
            "`Z1 = np.dot(W1, X) + b1)` (unmatched ')')"
        )
        assert check.public_message in (None, check.message)
    # Functions that call it name it as the cause, not "use only the function's arguments".
    cause = (
        "which could not be read: a syntax error in cell 18, line 33: "
        "`Z1 = np.dot(W1, X) + b1)` (unmatched ')')"
    )
    assert by_id["predict.values"].message == (
        f"`predict` uses `forward_propagation` (cell 33, line 20), {cause}"
    )
    public = by_id["predict.values"].public_message or ""
    assert public.startswith(
        "`predict` raised NameError (cell 33, line 20); the notebook has definitions that "
        "could not be read: `forward_propagation` (a syntax error in cell 18, line 33: "
    )
    assert MESSAGE_WITHHELD in public


def test_scenario_body_above_marker(graded: dict[str, SubmissionResult]) -> None:
    assert lost(graded["cause_body_above_marker"]) == EXPECTED["cause_body_above_marker"]
    by_id = {t.id: t for t in graded["cause_body_above_marker"].tests}
    for test in ("example", "values"):
        assert by_id[f"compute_cost.{test}"].message.startswith(
            "`compute_cost` uses the global name `logprob`"
        )
        assert "not implemented" not in (by_id[f"compute_cost.{test}"].public_message or "")
        assert by_id[f"layer_sizes.{test}"].message.startswith(
            "`layer_sizes` is not implemented yet"
        )


def test_scenario_other_assignment(graded: dict[str, SubmissionResult]) -> None:
    result = graded["cause_other_assignment"]
    assert lost(result) == EXPECTED["cause_other_assignment"]
    assert result.score == 0.0
    assert sum("belongs to assignment 'deep_initialization'" in w for w in result.warnings) == 1
    assert {t.message for t in result.tests} == {
        "not graded: this notebook belongs to assignment 'deep_initialization', "
        "not 'planar_data_classification'"
    }
