"""The hostile notebooks of tests/data/attacks/: one per ATTACKS.md row, graded end to end.

``test_hostile_function_in_the_sandbox`` reads and extracts each notebook and calls its hostile
function through the sandbox (no runner needed). ``test_graded_by_the_full_grader`` grades
the notebook against the planar assignment once that assignment loads, and checks each test's
outcome: the hostile function's checks get the expected outcome, every other check passes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignment import load_assignment
from grader.extract import extract_program
from grader.notebook import read_submission
from grader.runner import Grader
from grader.sandbox import Limits, Zygote
from grader.session import SandboxSubmission
from grader.testing import StudentCodeError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the sandbox layers are Linux's"),
]

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "attacks"
PLANAR = REPO / "assignments" / "planar_data_classification"
EXPECTED: dict[str, dict[str, str]] = json.loads((DATA / "expected.json").read_text())
LIMITS = Limits(call_timeout_s=1.5, load_timeout_s=5.0, memory_mb=2048, output_chars=500,
                processes=32, file_size_mb=8, open_files=128, result_mb=16)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote([PLANAR / "planar_utils.py"]) as z:
        yield z


def _arguments(function: str) -> tuple[Any, ...]:
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(4, 2)) * 0.01, "b1": np.zeros((4, 1)),
              "W2": rng.normal(size=(1, 4)) * 0.01, "b2": np.zeros((1, 1))}
    return {
        "initialize_parameters": (2, 4, 1),
        "forward_propagation": (rng.normal(size=(2, 5)), params),
        "predict": (params, rng.normal(size=(2, 5))),
    }[function]


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_hostile_function_in_the_sandbox(zygote: Zygote, scenario: str) -> None:
    expected = EXPECTED[scenario]
    program = extract_program(read_submission(str(DATA / f"{scenario}.ipynb")).cells)
    sub = SandboxSubmission(zygote, program, LIMITS)
    sub.start()
    try:
        function = expected["function"]
        try:
            value = sub.call(function, _arguments(function), {})
        except StudentCodeError as exc:
            assert expected["outcome"] in ("timeout", "error"), exc.message
            assert (exc.kind == "timeout") == (expected["outcome"] == "timeout")
            assert expected["word"] in exc.message
        else:
            assert expected["outcome"] in ("passed", "failed"), value
        assert len(sub.take_output()) < LIMITS.output_chars + 100
        assert sub.layer_sizes(np.zeros((2, 3)), np.zeros((1, 3))) == (2, 4, 1)
    finally:
        sub.close()
    assert not Path("/tmp/pwned-by-reduce").exists()


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(str(PLANAR)), limits=LIMITS) as g:
        yield g


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_graded_by_the_full_grader(grader: Grader, scenario: str) -> None:
    expected = EXPECTED[scenario]
    result = grader.grade_path(DATA / f"{scenario}.ipynb", scenario)
    assert result.status == "graded"
    own = [t for t in result.tests if t.function == expected["function"]]
    if expected["outcome"] == "failed":
        # Wrong values (e.g. computed on inputs the student zeroed), never a pass by trickery.
        assert any(t.outcome in ("failed", "error") for t in own), own
    for test in result.tests:
        if test.function == expected["function"]:
            if expected["outcome"] == "failed":
                assert test.outcome in ("passed", "failed", "error"), test
            else:
                assert test.outcome == expected["outcome"], test
                assert expected["word"] in test.message
        elif test.function not in ("nn_model", "predict"):
            # nn_model and predict call the hostile function themselves.
            assert test.outcome == "passed", test


def test_a_clean_submission_after_all_hostile_ones_gets_full_marks(grader: Grader) -> None:
    # Runs after the parametrized tests above, on the same Grader (and zygote): nothing a
    # hostile notebook did may leak into the next submission.
    result = grader.grade_path(REPO / "solutions" / "planar_data_classification.ipynb", "clean")
    assert result.score == result.max_score == 100.0
    left = [p for p in Path(grader.zygote.root).iterdir() if p.name.startswith("box-")]
    assert left == []  # every child's private working directory was removed
