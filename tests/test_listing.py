"""``grader list``: every assignment the commands can find, read without running its code."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.installed import bundled_assignments
from grader.listing import find_assignments, format_listing

TOML = """\
id = "{id}"
title = "{title}"
functions = ["f", "g"]
public_tests = ["tests/public.py"]
hidden_tests = ["tests/hidden.py"]
"""
PUBLIC = """\
from grader.testing import check
import grader.testing as testing

@check("f", "one", points=1)
def one(submission): pass

@testing.check("g", "two", points=1)
def two(submission): pass

def helper(): pass
"""
HIDDEN = """\
import pathlib
pathlib.Path("{marker}").write_text("the listing imported me")
from grader.testing import check

@check("f", "hidden", points=1)
def hidden(submission): pass
"""


def _make(folder: Path, assignment_id: str, title: str = "A title", marker: str = "x") -> Path:
    root = folder / assignment_id
    (root / "tests").mkdir(parents=True)
    (root / "assignment.toml").write_text(TOML.format(id=assignment_id, title=title))
    (root / "tests/public.py").write_text(PUBLIC)
    (root / "tests/hidden.py").write_text(HIDDEN.format(marker=marker))
    return root


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_ASSIGNMENTS", raising=False)


def test_list_shows_local_installed_and_bundled_assignments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "imported"
    _make(Path("assignments"), "week1", "Week one", marker=str(marker))
    _make(tmp_path / "installed", "week2", "Week two", marker=str(marker))
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(tmp_path / "installed"))
    found = {item.id: item for item in find_assignments()}
    assert {"week1", "week2", "planar_data_classification", "deep_initialization"} <= set(found)
    week1 = found["week1"]
    assert (week1.title, week1.functions, week1.public_checks, week1.hidden_checks) == (
        "Week one",
        2,
        2,
        1,
    )
    assert week1.place == "./assignments" and found["week2"].place == "GRADER_ASSIGNMENTS"
    assert found["planar_data_classification"].place == "bundled"
    assert found["planar_data_classification"].public_checks == 8
    assert not marker.exists(), "listing must never import an assignment's test modules"
    assert main(["list"]) == ExitCode.OK
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("week1 "))
    assert "Week one" in line and "2 public, 1 hidden" in line and "assignments/week1" in line
    assert str(bundled_assignments() / "deep_initialization") in out


def test_an_id_found_in_several_places_is_marked(tmp_path: Path) -> None:
    _make(Path("assignments"), "planar_data_classification")
    items = [i for i in find_assignments() if i.id == "planar_data_classification"]
    assert len(items) == 2
    assert items[0].also_in == (items[1].root,) and items[1].also_in == (items[0].root,)
    text = format_listing(items, cwd=tmp_path)
    assert [line.split()[:2] for line in text.splitlines()[1:3]] == [
        ["planar_data_classification", "*"],
        ["planar_data_classification", "*"],
    ]
    assert "this id is in several places" in text


def test_broken_folders_are_listed_with_the_reason_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (Path("assignments/bad_toml")).mkdir(parents=True)
    Path("assignments/bad_toml/assignment.toml").write_text("id = [unclosed\n")
    root = _make(Path("assignments"), "bad_test")
    (root / "tests/hidden.py").write_text("def broken(:\n")
    root = _make(Path("assignments"), "other_id")
    (root / "assignment.toml").write_text(TOML.format(id="not_the_folder", title="t"))
    root = _make(Path("assignments"), "deep_test")
    (root / "tests/hidden.py").write_text("x" + ".a" * 200_000 + "\n")  # recursion in ast
    _make(Path("assignments"), "fine")
    assert main(["list"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "! bad_toml: assignment.toml cannot be read" in out
    assert "! bad_test: test module tests/hidden.py cannot be read: SyntaxError" in out
    assert "! deep_test: test module tests/hidden.py cannot be read: RecursionError" in out
    assert "! other_id: its assignment.toml says id = 'not_the_folder', not 'other_id'" in out
    assert "! fine" not in out and "\nfine " in out


def test_text_from_assignment_files_cannot_drive_the_terminal(tmp_path: Path) -> None:
    _make(Path("assignments"), "evil", title="\\u001b[2J\\u202eNice title\\u0007")
    items = [i for i in find_assignments() if i.id == "evil"]
    assert items[0].title == "\x1b[2J\u202eNice title\x07"
    text = format_listing(items, cwd=tmp_path)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "[2JNice title" in text


def test_nothing_found_says_how_to_start() -> None:
    assert "grader new ID" in format_listing([])


def test_an_assignment_given_instead_of_its_parent_folder_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _make(tmp_path / "installed", "week2")
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(root))
    assert main(["list"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert f"! week2: {root} is an assignment itself, not a folder of assignments" in out
    assert f"put its parent, {tmp_path / 'installed'}, in GRADER_ASSIGNMENTS" in out
