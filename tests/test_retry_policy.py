"""When a failed check is graded again with stand-ins (grader.runner, issue 15).

Once every check has run once, a failed check is graded again with the exercise's functions
standing in only when a function that would stand in lost a check of its own; visible checks'
second runs happen in a fresh child, which has seen no hidden input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import load_assignment
from grader.runner import Grader
from grader.standins import StandIns

SOLUTION = "def double(x):\n    return 2 * x\n\n\ndef quad(x):\n    return double(double(x))\n"
PUBLIC = '''
from grader.testing import CheckFailed, check


@check("quad", "values", points=1)
def quad_values(submission):
    value = submission.quad(3)
    if value != 12:
        raise CheckFailed(f"quad(3) should be 12, not {value}")
'''
HIDDEN = '''
from grader.testing import CheckFailed, check


@check("double", "secret", points=1)
def double_secret(submission):
    if submission.double(424242) != 848484:
        raise CheckFailed("double is wrong on a hidden input")
'''


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grader]:
    root = tmp_path_factory.mktemp("retry")
    (root / "tests").mkdir()
    (root / "tests" / "public.py").write_text(PUBLIC)
    (root / "tests" / "hidden.py").write_text(HIDDEN)
    (root / "solution.py").write_text(SOLUTION)
    (root / "assignment.toml").write_text(
        'id = "retry"\nsolution = "solution.py"\npublic_tests = ["tests/public.py"]\n'
        'hidden_tests = ["tests/hidden.py"]\nfunctions = ["double", "quad"]\n'
    )
    with Grader(load_assignment(root)) as g:
        yield g


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    count = [0]
    original = StandIns.serve

    def counting(self: StandIns, *args: Any) -> bytes:
        count[0] += 1
        return original(self, *args)

    monkeypatch.setattr(StandIns, "serve", counting)
    return count


def _grade(grader: Grader, tmp_path: Path, source: str) -> dict[str, Any]:
    path = tmp_path / "s.py"
    path.write_text(source)
    result = grader.grade_path(path, "s")
    return {t.id: t for t in result.tests}


def test_no_second_run_when_no_helper_lost_a_check(
    grader: Grader, tmp_path: Path, served: list[int]
) -> None:
    # quad's own mistake: a correct double standing in could not move the deduction.
    tests = _grade(grader, tmp_path, SOLUTION.replace("double(x))", "double(x)) + 1"))
    assert tests["double.secret"].outcome == "passed"
    assert tests["quad.values"].outcome == "failed"
    assert tests["quad.values"].message == "quad(3) should be 12, not 13"
    assert served[0] == 0


def test_a_helper_that_lost_a_hidden_check_gets_the_visible_caller_graded_again(
    grader: Grader, tmp_path: Path, served: list[int]
) -> None:
    # double's only check is hidden, and runs after quad's visible one: the second run of
    # quad.values still happens (once every check has run once), and passes.
    tests = _grade(grader, tmp_path, SOLUTION.replace("2 * x", "3 * x"))
    assert tests["double.secret"].outcome == "failed"
    assert tests["quad.values"].outcome == "passed"
    assert served[0] > 0


def test_a_visible_checks_second_run_never_sees_a_hidden_input(
    grader: Grader, tmp_path: Path
) -> None:
    # The student's double keeps every input it gets; quad prints and returns them. Its second
    # run comes after the hidden check, in a fresh child: nothing hidden to show.
    leaky = (
        "SEEN = []\n\n\ndef double(x):\n    SEEN.append(x)\n    return 3 * x\n\n\n"
        "def quad(x):\n    print('seen', SEEN)\n    return double(double(x)) + sum(SEEN)\n"
    )
    tests = _grade(grader, tmp_path, leaky)
    assert tests["double.secret"].outcome == "failed"
    quad = tests["quad.values"]
    assert quad.outcome == "passed"  # a correct double stood in, and SEEN stayed empty
    assert "424242" not in quad.output and "424242" not in quad.message
