"""``grader verify`` warns about authoring slips that would surface only later, and still passes."""

from __future__ import annotations

import json
from pathlib import Path

from test_verify import PLANAR, copy_course

from grader.assignment import load_assignment
from grader.verify import format_verify_report, verify_assignment


def test_a_sound_assignment_has_no_warnings(tmp_path: Path) -> None:
    report = verify_assignment(load_assignment(copy_course(tmp_path)), mutant="no_scale")
    assert report.ok and report.warnings == ()
    text = format_verify_report(report)
    assert "✓ every listed function has checks; the solution names its assignment" in text
    assert "warning" not in text


def test_an_unchecked_function_and_a_solution_without_metadata_are_warned_about(
    tmp_path: Path,
) -> None:
    root = copy_course(tmp_path)
    toml = root / "assignment.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('"predict"]', '"predict", "plot_boundary"]'),
        encoding="utf-8",
    )
    solution = tmp_path / "solutions" / f"{PLANAR}.ipynb"
    notebook = json.loads(solution.read_text(encoding="utf-8"))
    del notebook["metadata"]["grader"]
    solution.write_text(json.dumps(notebook), encoding="utf-8")

    report = verify_assignment(load_assignment(root), mutant="no_scale")
    item = report.item("authoring")
    assert item.ok  # warnings never fail verify by themselves
    assert len(item.warnings) == 2, item.warnings
    unchecked, metadata = item.warnings
    assert unchecked.startswith(
        "function `plot_boundary` is listed in assignment.toml's 'functions' but no check tests it"
    )
    assert metadata.startswith(
        f'{PLANAR}.ipynb lacks {{"grader": {{"assignment": "{PLANAR}"}}}} in its notebook metadata'
    )
    assert "--assignment" in metadata
    text = format_verify_report(report)
    assert "! 2 authoring warnings" in text
    assert f"    warning: {unchecked}" in text
    assert "(2 warnings)" in text.splitlines()[-1]


def test_a_solution_naming_another_assignment_is_warned_about(tmp_path: Path) -> None:
    root = copy_course(tmp_path)
    solution = tmp_path / "solutions" / f"{PLANAR}.ipynb"
    notebook = json.loads(solution.read_text(encoding="utf-8"))
    notebook["metadata"]["grader"]["assignment"] = "deep_initialization"
    solution.write_text(json.dumps(notebook), encoding="utf-8")
    report = verify_assignment(load_assignment(root), mutant="no_scale")
    (warning,) = report.item("authoring").warnings
    assert warning.startswith(
        f"{PLANAR}.ipynb names assignment 'deep_initialization' in its notebook metadata, "
        f'where {{"grader": {{"assignment": "{PLANAR}"}}}} belongs'
    )
