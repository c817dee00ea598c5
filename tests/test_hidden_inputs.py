"""Hidden inputs stay hidden: nothing a hidden check passed to student code reaches a student.

The planar assignment's real hidden checks are graded in the real sandbox against a notebook
whose functions try every channel: raising the inputs, naming an exception class after them,
returning a number computed from them, and keeping them in a global to show them in a later
visible check. Every value the functions saw in hidden checks (they print them, and printed
output of hidden checks reaches only the instructor) is then searched for in the
student-facing reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader.assignment import load_assignment
from grader.reports import feedback_html, feedback_markdown, gradescope_results, junit_xml
from grader.results import AssignmentInfo, CheckResult, GradingRun, SubmissionResult
from grader.runner import Grader

REPO = Path(__file__).resolve().parents[1]
PLANAR = REPO / "assignments" / "planar_data_classification"
SOLUTION = REPO / "solutions" / "planar_data_classification.ipynb"

LEAKY = '''
def _remember(value):
    seen = globals().setdefault("_seen", [])
    text = repr(float(np.asarray(value, dtype=float).flat[0]))
    seen.append(text)
    print("SEEN " + text)
    return seen


def _code(value):
    code = str(int(abs(float(np.asarray(value, dtype=float).flat[0])) * 1e9) + 10**9)
    print("SEEN " + code)
    return code


def layer_sizes(X, Y):
    _remember(X)
    return (int(_code(X)), 4, Y.shape[0])  # n_x = a number made from the input


def forward_propagation(X, parameters):
    _remember(X)
    raise ValueError("LEAK " + repr(float(X.flat[0])))


def compute_cost(A2, Y):
    seen = _remember(A2)
    print("STASH " + " ".join(seen))  # everything kept from earlier calls
    raise ValueError("STASH " + " ".join(seen))


def backward_propagation(parameters, cache, X, Y):
    _remember(X)
    raise type("Leak" + _code(X), (Exception,), {})("no message needed")
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubmissionResult]:
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(LEAKY))
    path = tmp_path_factory.mktemp("leaky") / "leaky.ipynb"
    nbformat.write(nb, path)
    with Grader(load_assignment(PLANAR)) as grader:
        yield grader.grade_path(path, "leaky")


def _seen(tests: list[CheckResult]) -> set[str]:
    return {m for t in tests for m in re.findall(r"SEEN (\S+)", t.output)}


def _hidden_values(result: SubmissionResult) -> set[str]:
    """What the student's functions saw only in hidden checks."""
    hidden = _seen([t for t in result.tests if t.visibility == "hidden"])
    return hidden - _seen([t for t in result.tests if t.visibility == "visible"])


def _student_facing(result: SubmissionResult) -> dict[str, str]:
    return {
        "gradescope": json.dumps(gradescope_results(result), ensure_ascii=False),
        "feedback": feedback_markdown(result, title="Planar"),
        "html": feedback_html(result.path, result),
    }


def test_the_notebook_saw_hidden_inputs(graded: SubmissionResult) -> None:
    # The premise of the other tests: hidden checks ran and the functions recorded inputs.
    assert graded.status == "graded"
    assert len(_hidden_values(graded)) >= 5


def test_no_hidden_input_reaches_a_student_facing_report(graded: SubmissionResult) -> None:
    secrets = _hidden_values(graded)
    for name, text in _student_facing(graded).items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{name} shows hidden inputs {leaked}"


def test_no_visible_check_runs_after_a_hidden_call(graded: SubmissionResult) -> None:
    # Visible checks show everything (message and printed output) to the student, so the
    # child that answers them must never have seen a hidden input.
    secrets = _hidden_values(graded)
    for test in graded.tests:
        if test.visibility == "visible":
            shown = test.message + test.output
            assert not [s for s in secrets if s in shown], test.id
    cost = next(t for t in graded.tests if t.id == "compute_cost.example")
    assert cost.outcome == "error" and "STASH" in cost.message  # it ran, with public inputs


def test_results_keep_the_declared_order(graded: SubmissionResult) -> None:
    declared = [c.id for c in load_assignment(PLANAR).checks]
    assert [t.id for t in graded.tests] == declared


def test_instructor_reports_keep_the_full_messages(graded: SubmissionResult) -> None:
    tests = {t.id: t for t in graded.tests}
    shapes = tests["forward_propagation.shapes"]
    assert shapes.visibility == "hidden" and shapes.outcome == "error"
    assert re.search(r"LEAK \S+", shapes.message)
    assert re.search(r"LEAK \S+", json.dumps(graded.to_dict()))
    run = GradingRun("test", AssignmentInfo("planar", "Planar", 100.0), {}, (graded,))
    assert re.search(r"LEAK \S+", junit_xml(run))


def test_hidden_messages_keep_function_type_and_place(graded: SubmissionResult) -> None:
    tests = {t.id: t for t in graded.tests}
    shapes = tests["forward_propagation.shapes"].student_message
    assert "`forward_propagation` raised ValueError (cell " in shapes
    assert "LEAK" not in shapes and "not shown" in shapes
    backward = tests["backward_propagation.shapes"].student_message
    assert "Leak" not in backward and "class of its own" in backward
    sizes = tests["layer_sizes.values"]
    assert sizes.outcome == "failed" and "wrong n_x" in sizes.student_message
    assert "n_x = 1" in sizes.message  # the instructor sees the number returned
    # ... and the shapes of the hidden X and Y, which the student does not.
    assert "X of shape (5, 7)" in sizes.message and "(5, 7)" not in sizes.student_message


def test_results_round_trip_the_public_message(graded: SubmissionResult) -> None:
    again = SubmissionResult.from_dict(json.loads(json.dumps(graded.to_dict())))
    assert [t.student_message for t in again.tests] == [t.student_message for t in graded.tests]
    assert all(t.public_message is None for t in again.tests if t.visibility == "visible")
    old = graded.to_dict()
    for test in old["tests"]:
        del test["public_message"]  # a document written before the field existed
    assert SubmissionResult.from_dict(old).tests[0].public_message is None
