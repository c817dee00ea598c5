"""``grader new`` (the skeleton of an assignment) and ``grader release`` creating a release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.cli import ExitCode, main
from grader.release import END_MARKER, START_MARKER, release_bytes
from grader.verify import verify_assignment

BUNDLED = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_ASSIGNMENTS", raising=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_new_writes_every_part_and_says_what_to_run_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "mean_of"]) == ExitCode.OK
    folder = Path("assignments/mean_of")
    assert sorted(_tree(tmp_path)) == [
        "assignments/mean_of/assignment.toml",
        "assignments/mean_of/mean_of.ipynb",
        "assignments/mean_of/mutants.toml",
        "assignments/mean_of/tests/hidden.py",
        "assignments/mean_of/tests/public.py",
        "solutions/mean_of.ipynb",
    ]
    out = capsys.readouterr().out
    for path in _tree(tmp_path):
        assert f"  {path}\n" in out
    assert "grader release mean_of" in out and "grader verify mean_of" in out
    solution = json.loads(Path("solutions/mean_of.ipynb").read_text())
    assert solution["metadata"]["grader"] == {"assignment": "mean_of"}
    code = "".join("".join(c["source"]) for c in solution["cells"] if c["cell_type"] == "code")
    assert START_MARKER in code and END_MARKER in code
    release = (folder / "mean_of.ipynb").read_text()
    assert release == release_bytes("solutions/mean_of.ipynb")
    assignment = load_assignment("mean_of")
    assert assignment.functions == ("double",)
    assert [(c.id, c.visibility) for c in assignment.checks] == [
        ("double.example", "visible"),
        ("double.random", "hidden"),
    ]


def test_the_skeleton_passes_verify_as_generated() -> None:
    assert main(["new", "mean_of"]) == ExitCode.OK
    report = verify_assignment(load_assignment("mean_of"))
    assert report.ok, [(i.name, i.summary, i.problems) for i in report.failed]
    names = [item.name for item in report.items]
    for item in ("release_sync", "reference", "public", "release", "mutant:adds_two"):
        assert item in names, f"verify did not check {item}"


def test_new_writes_into_another_course_folder_with_a_title(tmp_path: Path) -> None:
    title = 'Means, "quoted" \\ and ünïcode'
    assert main(["new", "mean_of", "-C", "course", "--title", title]) == ExitCode.OK
    assignment = load_assignment(tmp_path / "course/assignments/mean_of")
    assert assignment.title == title
    assert (tmp_path / "course/solutions/mean_of.ipynb").is_file()
    assert not (tmp_path / "assignments").exists()


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "mean_of"]) == ExitCode.OK
    Path("assignments/mean_of/tests/public.py").write_text("# my checks\n")
    before = _tree(tmp_path)
    capsys.readouterr()
    assert main(["new", "mean_of"]) == ExitCode.USAGE
    assert "assignments/mean_of already exists" in capsys.readouterr().err
    assert _tree(tmp_path) == before
    # A solution left behind (its folder removed) is not replaced either.
    for path in sorted(Path("assignments").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert main(["new", "mean_of"]) == ExitCode.USAGE
    assert "solutions/mean_of.ipynb already exists" in capsys.readouterr().err
    assert not Path("assignments/mean_of").exists()


def test_a_skeleton_that_cannot_be_written_is_not_left_half_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("solutions").write_text("a file where the solutions folder should be\n")
    assert main(["new", "mean_of"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "cannot write the skeleton" in err and "solutions" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["assignments", "solutions"]
    assert list(Path("assignments").iterdir()) == []


@pytest.mark.parametrize(
    "bad", ["1abc", "my-hw", "week.3", "../x", "a/b", "/tmp/x", "_x", "ünï", "class", "x" * 101]
)
def test_new_refuses_an_id_that_cannot_name_an_assignment(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", bad]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "assignment id" in err or "keyword" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_the_id_of_an_installed_assignment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["new", "planar_data_classification"]) == ExitCode.USAGE
    assert "already the id of the installed assignment" in capsys.readouterr().err
    installed = tmp_path / "installed"
    (installed / "mine").mkdir(parents=True)
    (installed / "mine" / "assignment.toml").write_text('id = "mine"\n')
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(installed))
    assert main(["new", "mine"]) == ExitCode.USAGE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["installed"]


@pytest.mark.parametrize("title", ["", "two\nlines", "bell\x07", "x" * 201])
def test_new_refuses_a_title_that_is_not_one_printable_line(
    title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "mean_of", "--title", title]) == ExitCode.USAGE
    assert "title" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _deep_without_release() -> Path:
    """A copy of the bundled deep_initialization assignment whose release was never made."""
    shutil.copytree(BUNDLED / "assignments/deep_initialization", "assignments/deep_initialization")
    Path("solutions").mkdir()
    shutil.copy(BUNDLED / "solutions/deep_initialization.ipynb", "solutions")
    release = Path("assignments/deep_initialization/deep_initialization.ipynb")
    release.unlink()
    return release


def test_release_creates_a_release_that_does_not_exist_yet(
    capsys: pytest.CaptureFixture[str],
) -> None:
    release = _deep_without_release()
    folder = "assignments/deep_initialization"
    assignment = load_assignment(folder)  # a missing release is not a broken assignment
    assert assignment.release is None
    assert assignment.release_target == release.resolve()
    assert main(["release", folder, "--check"]) == ExitCode.CHECKS_FAILED
    assert f"{release} is missing: run `grader release" in capsys.readouterr().out
    assert main(["release", folder]) == ExitCode.OK
    assert capsys.readouterr().out.startswith(f"created {release} (from solutions/")
    assert release.read_text() == release_bytes("solutions/deep_initialization.ipynb")
    assert main(["release", folder, "--check"]) == ExitCode.OK
    assert main(["release", folder]) == ExitCode.OK
    assert "already up to date" in capsys.readouterr().out


def test_verify_says_a_missing_release_is_missing_and_how_to_create_it() -> None:
    _deep_without_release()
    assignment = load_assignment("assignments/deep_initialization")
    report = verify_assignment(assignment, mutant="deep_no_scale")
    item = report.item("release_sync")
    assert not item.ok
    assert item.summary == (
        f"deep_initialization.ipynb is missing: run `grader release {assignment.root}` to create it"
    )
    assert report.item("reference").ok and report.item("mutant:deep_no_scale").ok
