"""``requires``: a module the machine lacks is the instructor's warning, never each student's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.batch import BatchSettings, plan_submissions, run_batch
from grader.errors import AssignmentError
from grader.reports.summary import summary_markdown, summary_text
from grader.results import GradingRun, SubmissionResult
from grader.runner import Grader

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
ABSENT = "graderabsentplotting"  # a module no machine has


def tiny_requiring(tmp_path: Path, requires: str) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root, ignore=shutil.ignore_patterns("__pycache__"))
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text().replace("[limits]", f"requires = {requires}\n\n[limits]"))
    return root


@pytest.mark.parametrize(
    "requires, words",
    [
        ('"matplotlib"', None),  # a single string is a list of one, as for helpers
        ('["matplotlib", "scipy.stats"]', None),
        ('["mat plot"]', "'mat plot', which is not a module name"),
        ('["matplotlib."]', "not a module name"),
        ('[""]', "not a module name"),
        ('["numpy", "numpy"]', "'numpy' twice"),
        ("[1]", "'requires' must be a list of strings"),
    ],
)
def test_requires_is_validated(tmp_path: Path, requires: str, words: str | None) -> None:
    root = tiny_requiring(tmp_path, requires)
    if words is None:
        assert load_assignment(root).requires == tuple(
            requires.strip("[]").replace('"', "").replace(" ", "").split(",")
        )
    else:
        with pytest.raises(AssignmentError, match=words):
            load_assignment(root)


def grade(root: Path, subs: Path, **settings: object) -> tuple[list[SubmissionResult], GradingRun]:
    results: list[SubmissionResult] = []
    outcome = run_batch(
        load_assignment(root),
        plan_submissions([subs]),
        lambda r, cached: results.append(r),
        settings=BatchSettings(**settings),  # type: ignore[arg-type]
    )
    return results, outcome.header


def student_files(tmp_path: Path, count: int = 1) -> Path:
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(count):
        text = (
            f"import {ABSENT}.pyplot as plt\nfrom {ABSENT} import cm\nimport not_installed_either\n"
            + CORRECT
        )
        (subs / f"s{i}.py").write_text(text)
    return subs


def test_missing_required_module_warns_the_instructor_not_the_students(tmp_path: Path) -> None:
    root = tiny_requiring(tmp_path, f'["{ABSENT}"]')
    results, header = grade(root, student_files(tmp_path), jobs=1)
    (result,) = results
    assert result.score == result.max_score  # the failed import costs nothing
    # The module the assignment declared is not the student's fault; another one still is.
    assert not any(ABSENT in w for w in result.warnings), result.warnings
    assert "import of 'not_installed_either' failed: module not installed" in result.warnings
    (warning,) = header.environment_warnings
    assert f"requires '{ABSENT}'" in warning and "module not installed" in warning
    assert GradingRun.from_dict(header.to_dict()).environment_warnings == (warning,)
    for summary in (summary_text(header), summary_markdown(header)):
        assert f"requires '{ABSENT}'" in summary


def test_results_graded_without_a_required_module_are_not_cached(tmp_path: Path) -> None:
    # Installing the module must not leave the results graded without it in the cache.
    from grader.cache import ResultCache

    root = tiny_requiring(tmp_path, f'["{ABSENT}"]')
    subs = student_files(tmp_path)
    cache = ResultCache(tmp_path / "cache")
    for _ in range(2):
        results, header = grade(root, subs, jobs=1, cache=cache)
        assert header.environment_warnings and results[0].score == results[0].max_score
    assert not list((tmp_path / "cache").rglob("*.json"))
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text().replace(f'["{ABSENT}"]', '["json"]'))
    grade(root, subs, jobs=1, cache=cache)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1


def test_worker_processes_report_the_missing_module_too(tmp_path: Path) -> None:
    root = tiny_requiring(tmp_path, f'["{ABSENT}"]')
    results, header = grade(root, student_files(tmp_path, 2), jobs=2, backend="processes")
    assert len(results) == 2 and not any(ABSENT in w for r in results for w in r.warnings)
    assert len(header.environment_warnings) == 1


def test_installed_required_module_gives_no_warning(tmp_path: Path) -> None:
    root = tiny_requiring(tmp_path, '["json", "email.mime"]')
    with Grader(load_assignment(root)) as grader:
        assert grader.environment_warnings == ()
        assert grader.missing == {}


def test_without_requires_a_failed_import_stays_the_students_warning(tmp_path: Path) -> None:
    results, header = grade(TINY, student_files(tmp_path), jobs=1)
    assert f"import of '{ABSENT}' failed: module not installed" in results[0].warnings
    assert header.environment_warnings == ()
    assert "warning" not in summary_text(header).lower()


def test_the_bundled_planar_assignment_needs_nothing_the_default_install_lacks() -> None:
    assignment = load_assignment("planar_data_classification")
    assert "matplotlib" in assignment.requires
    with Grader(assignment, visibility="visible") as grader:
        assert grader.environment_warnings == ()


def test_a_students_local_check_names_the_missing_module_once(tmp_path: Path) -> None:
    # On a student's own machine the environment is theirs: a note, not a per-import warning.
    from grader.local_check import check_notebook, format_check_report

    root = tiny_requiring(tmp_path, f'["{ABSENT}"]')
    check = check_notebook(student_files(tmp_path) / "s0.py", assignment=root)
    report = format_check_report(check)
    (line,) = [line for line in report.splitlines() if ABSENT in line]
    assert line.startswith(f"note: the assignment requires '{ABSENT}'")
    assert "warning: import of 'not_installed_either' failed" in report


def test_a_required_module_whose_own_dependency_is_missing(tmp_path: Path) -> None:
    # The helper folder's module imports a module nobody has: importing it fails with the
    # dependency's name, in the probe and in each student's notebook alike.
    root = tiny_requiring(tmp_path, '["plotwrap"]')
    (root / "plotwrap.py").write_text(f"import {ABSENT}\n")
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text().replace('["tinyhelp.py"]', '["tinyhelp.py", "plotwrap.py"]'))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s.py").write_text("import plotwrap\nimport other_absent_module\n" + CORRECT)
    results, header = grade(root, subs, jobs=1)
    assert results[0].warnings == ("import of 'other_absent_module' failed: module not installed",)
    (warning,) = header.environment_warnings
    assert "requires 'plotwrap'" in warning and f"import of '{ABSENT}'" in warning
