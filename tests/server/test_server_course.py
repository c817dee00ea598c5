"""course.toml: assignments, deadlines and rules, and a specific message for each mistake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.server.course import Rules, demo_course, load_course


def _course(tmp_path: Path, text: str) -> Path:
    (tmp_path / "course.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_rules_default_then_per_assignment(tmp_path: Path) -> None:
    course = load_course(
        _course(
            tmp_path,
            """
title = "DL 2026"
timezone = "Europe/Paris"
[defaults]
late = "penalty"
penalty_per_day = 10
max_submissions = 5
cooldown = 30
counts = "best"
[assignments.planar_data_classification]
deadline = 2026-12-01T23:59:00
[assignments.deep_initialization]
hidden = "never"
late = "refuse"
""",
        )
    )
    assert course.title == "DL 2026"
    planar = course.assignments["planar_data_classification"]
    assert planar.rules == Rules("penalty", 10.0, 5, 30.0, "best", "after_deadline")
    # a deadline without an offset is in the course's zone (Paris is UTC+1 in December)
    assert planar.deadline == dt.datetime(2026, 12, 1, 22, 59, tzinfo=dt.timezone.utc)
    deep = course.assignments["deep_initialization"]
    assert (deep.rules.late, deep.rules.hidden, deep.rules.counts) == ("refuse", "never", "best")
    assert deep.deadline is None
    assert deep.path.name == "deep_initialization"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no [assignments"),
        ("[assignments.x]\n", "no assignment folder 'x'"),
        ("[defaults]\nlate = 'sometimes'\n[assignments.planar_data_classification]\n", "late"),
        ("[defaults]\ncooldown = -1\n[assignments.planar_data_classification]\n", "cooldown"),
        ("[defaults]\nmax_submission = 3\n[assignments.planar_data_classification]\n",
         "unknown setting(s) max_submission"),
        ("[assignments.planar_data_classification]\ndeadline = 'soon'\n", "not a date"),
        ("timezone = 'Mars/Olympus'\n[assignments.planar_data_classification]\n", "timezone"),
        ("[assignments.planar_data_classification\n", "cannot read"),
        ("[defaults]\npenalty_per_day = 250\n[assignments.planar_data_classification]\n",
         "at most 100"),
    ],
)
def test_a_wrong_course_toml_says_what_is_wrong(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_course(_course(tmp_path, text))
    assert words in str(caught.value)


def test_a_folder_without_course_toml(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"has no course\.toml"):
        load_course(tmp_path)


def test_the_demo_course_is_the_bundled_assignments_without_deadlines(tmp_path: Path) -> None:
    course = demo_course(tmp_path)
    assert {"planar_data_classification", "deep_initialization"} <= set(course.assignments)
    assert all(a.deadline is None for a in course.assignments.values())


def test_the_readme_course_toml_is_a_valid_course(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("A course is a folder with a `course.toml`", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    course = load_course(_course(tmp_path, example))
    planar = course.assignments["planar_data_classification"]
    assert planar.deadline is not None and planar.rules.counts == "best"
