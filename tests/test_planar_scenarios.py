"""Scenario notebooks (tests/data/planar/scenarios) graded end to end by the real grader.

Correct solutions in other styles earn full marks; each classic lecture mistake loses exactly
the tests named for it in expected.json, and its messages say what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.runner import Grader

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).parent / "data" / "planar" / "scenarios"
EXPECTED: dict[str, list[str]] = json.loads((SCENARIOS / "expected.json").read_text())


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    with Grader(load_assignment(REPO / "assignments" / "planar_data_classification")) as g:
        yield g


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario_loses_exactly_its_tests(grader: Grader, scenario: str) -> None:
    result = grader.grade_path(SCENARIOS / f"{scenario}.ipynb", scenario)
    assert result.status == "graded"
    lost = sorted(t.id for t in result.tests if t.outcome != "passed")
    assert lost == EXPECTED[scenario]
    if not lost:
        assert result.score == 100.0
    for test in result.tests:
        if test.outcome != "passed":
            assert test.message and "Traceback" not in test.message
            assert len(test.message) < 600


def test_scenarios_cover_correct_styles_and_mistakes() -> None:
    styles = [name for name, lost in EXPECTED.items() if not lost]
    mistakes = [name for name, lost in EXPECTED.items() if lost]
    assert len(styles) >= 4 and len(mistakes) >= 10
