"""A bug in a check's own code is reported as the assignment's, with its place, at no cost.

Checks are written to a real file under a fake assignment folder, so the reported file and
line can be compared with where the bug really is.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from test_verify import copy_course

from grader.assignment import Check, load_assignment
from grader.checkbug import find_check_bug
from grader.extract import Program
from grader.notebook import read_submission
from grader.results import CheckResult, SubmissionResult
from grader.runner import Grader, judge
from grader.testing import CheckSpec, LocalSubmission, checks_in
from grader.verify import format_verify_report, verify_assignment

PROGRAM = Program(units=(), functions={})

CHECKS = '''
from grader.testing import CheckFailed, check


@check("f", "misspelt", points=2)
def misspelt(submission):
    value = submission.f(3)
    if value != 4:
        raise CheckFailed("f(3) should be 4")
    return helpr(value)  # BUG-NAME


@check("f", "reference_typo", points=2)
def reference_typo(submission, reference):
    return reference.g(submission.f(3))  # BUG-ATTR


@check("f", "fixture_typo", points=2)  # BUG-FIXTURE: a decorated check starts here
def fixture_typo(submision):
    pass


@check("f", "bad_call", points=2)
def bad_call(submission):
    _helper(submission.f(3), 2, 3)  # BUG-CALL


def _helper(value):
    return value


@check("f", "unusable_value", points=2)
def unusable_value(submission):
    return submission.f(3)[0]


@check("f", "list_not_array", points=2)
def list_not_array(submission):
    return submission.f(3).shape


@check("f", "missing_key", points=2)
def missing_key(submission):
    return submission.f(3)["W1"]
'''


@pytest.fixture(scope="module")
def module_checks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Check]]:
    root = tmp_path_factory.mktemp("assignment")
    path = root / "tests" / "hidden.py"
    path.parent.mkdir()
    path.write_text(CHECKS, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_bug_checks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checks = {s.name: Check(s, "hidden") for s in checks_in(vars(module))}
    return root, checks


def _line(marker: str) -> int:
    """The line of CHECKS (as written to the file) that carries ``marker``."""
    return next(i for i, text in enumerate(CHECKS.split("\n"), 1) if marker in text)


def _judge(setup: tuple[Path, dict[str, Check]], name: str, value: object) -> Any:
    root, checks = setup
    fixtures = {
        "submission": LocalSubmission({"f": lambda x: value}),
        "reference": SimpleNamespace(f=lambda x: x),
    }
    return judge(checks[name], fixtures, PROGRAM, root=root)


@pytest.mark.parametrize(
    ("name", "marker", "error"),
    [
        ("misspelt", "BUG-NAME", "NameError"),
        ("reference_typo", "BUG-ATTR", "AttributeError"),
        ("fixture_typo", "BUG-FIXTURE", "TypeError"),
        ("bad_call", "BUG-CALL", "TypeError"),
    ],
)
def test_a_bug_in_the_check_names_its_file_and_line_and_blames_the_check(
    module_checks: tuple[Path, dict[str, Check]], name: str, marker: str, error: str
) -> None:
    verdict = _judge(module_checks, name, 4)
    where = f"tests/hidden.py, line {_line(marker)}"
    assert verdict.outcome == "error"
    assert verdict.check_bug.startswith(f"tests/hidden.py:{_line(marker)}: {error}: ")
    assert f"bug in its own code ({error}: " in verdict.message and where in verdict.message
    assert "not in the submission" in verdict.message
    # The student's report names the class and the place, and keeps the grader's words only.
    assert verdict.public_message.startswith(f"this check has a bug in its own code ({error} at")
    assert where in verdict.public_message and "keeps this check's points" in verdict.public_message


def test_a_misspelt_name_on_the_failure_path_is_still_the_checks_bug(
    module_checks: tuple[Path, dict[str, Check]],
) -> None:
    # A right answer fails the same check in the usual way: the bug hides on one path only.
    assert _judge(module_checks, "misspelt", 3).outcome == "failed"
    assert _judge(module_checks, "misspelt", 4).check_bug is not None


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("unusable_value", None, "TypeError"),  # None is not subscriptable
        ("list_not_array", [1.0, 2.0], "AttributeError"),  # a list has no .shape
        ("missing_key", {"W2": 1.0}, "KeyError"),
    ],
)
def test_a_value_the_check_cannot_use_is_still_the_students(
    module_checks: tuple[Path, dict[str, Check]], name: str, value: object, error: str
) -> None:
    verdict = _judge(module_checks, name, value)
    assert verdict.outcome == "error" and verdict.check_bug is None
    assert verdict.message.startswith(f"the returned value could not be checked ({error}")


def test_attribute_errors_on_plain_data_are_never_a_check_bug() -> None:
    def check() -> None:
        pass

    for value in (None, 1, 2.5, "s", [1], (1,), {"a": 1}, np.zeros(2), np.float64(1.0)):
        try:
            value.no_such_attribute  # type: ignore[union-attr]  # noqa: B018
        except AttributeError as exc:
            assert find_check_bug(exc, check) is None, type(value)
    try:
        np.random.default_rng(0).normals  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        bug = find_check_bug(exc, check)
        assert bug is not None and bug.exc_type == "AttributeError"


# --- Through the grader and verify -----------------------------------------------------------

BUGGY_CHECK = '''

@check("predict", "buggy", points=4)
def predict_buggy(submission, reference, rng):
    """A check with a typo in its own code: it calls a helper that does not exist."""
    X = rng.normal(size=(2, 5))
    _no_such_helper(X)  # THE BUG
    submission.predict(_random_parameters(rng, 2, 4, 1), X)
'''


@pytest.fixture(scope="module")
def buggy_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_course(tmp_path_factory.mktemp("course"))
    hidden = root / "tests" / "hidden.py"
    hidden.write_text(hidden.read_text(encoding="utf-8") + BUGGY_CHECK, encoding="utf-8")
    return root


def _buggy_line(root: Path) -> int:
    lines = (root / "tests" / "hidden.py").read_text(encoding="utf-8").split("\n")
    return next(i for i, text in enumerate(lines, 1) if "# THE BUG" in text)


def test_grading_does_not_charge_the_student_for_the_checks_bug(buggy_course: Path) -> None:
    assignment = load_assignment(buggy_course)
    assert assignment.solution is not None
    with Grader(assignment) as grader:
        result = grader.grade_source(read_submission(str(assignment.solution)), "ref")
    test = next(t for t in result.tests if t.id == "predict.buggy")
    line = _buggy_line(buggy_course)
    assert (test.outcome, test.score, test.max_score) == ("error", 4.0, 4.0)
    assert test.check_bug is not None
    assert test.check_bug.startswith(f"tests/hidden.py:{line}: NameError: ")
    assert "_no_such_helper" in test.check_bug
    assert f"tests/hidden.py, line {line}" in test.student_message
    assert result.score == result.max_score  # the student keeps every point
    again = SubmissionResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert [t.check_bug for t in again.tests] == [t.check_bug for t in result.tests]


def test_results_without_the_field_read_as_no_bug() -> None:
    data = CheckResult("f.c", "f", 1.0, 1.0, "passed").to_dict()
    del data["check_bug"]  # a document written before the field existed
    assert CheckResult.from_dict(data).check_bug is None


def test_verify_fails_on_a_check_with_a_bug_and_says_where(buggy_course: Path) -> None:
    report = verify_assignment(load_assignment(buggy_course), mutant="no_scale")
    item = report.item("check_bugs")
    line = _buggy_line(buggy_course)
    assert not report.ok and not item.ok
    assert any(
        p.startswith(f"predict.buggy on the reference: tests/hidden.py:{line}: NameError")
        for p in item.problems
    ), item.problems
    assert any(p.startswith("predict.buggy on mutant no_scale:") for p in item.problems)
    assert any(p.startswith("predict.buggy on the release:") for p in item.problems)
    # The stub keeps the buggy check's points, but that is the check's fault, said once.
    assert report.item("release").ok, report.item("release").problems
    text = format_verify_report(report)
    assert "✗ checks have bugs in their own code" in text
    assert "check_bugs" in text.splitlines()[-1]


def test_judge_without_a_root_names_the_checks_file() -> None:
    spec = CheckSpec("f", "c", 1.0, lambda: undefined_name)  # type: ignore[name-defined]  # noqa: F821
    verdict = judge(Check(spec, "visible"), {}, PROGRAM)
    assert verdict.check_bug is not None
    assert verdict.check_bug.startswith(f"{Path(__file__).name}:")


def test_judge_passes_each_check_the_fixtures_its_own_parameters_name() -> None:
    """The parameter names are read once per check function: two checks (and a check object
    that is no plain function) each still get exactly what they ask for."""
    seen: list[tuple[str, ...]] = []

    def first(submission: Any, rng: Any) -> None:
        seen.append(("first", type(submission).__name__, type(rng).__name__))

    def second(reference: Any) -> None:
        seen.append(("second", type(reference).__name__))

    class Callable:
        def __call__(self, reference: Any, submission: Any) -> None:
            seen.append(("object", type(reference).__name__, type(submission).__name__))

    fixtures = {"submission": 1, "reference": "r", "other": None}
    for _ in range(2):
        for func in (first, second, Callable()):
            verdict = judge(Check(CheckSpec("f", "c", 1.0, func), "visible"), fixtures, PROGRAM)
            assert verdict.outcome == "passed", verdict
    assert seen == [
        ("first", "int", "Generator"),
        ("second", "str"),
        ("object", "str", "int"),
    ] * 2
