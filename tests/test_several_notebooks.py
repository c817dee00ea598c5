"""Several notebooks from one student: each graded, one warning, reports that tell them apart."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from grader.batch import collect_plan
from grader.cli import ExitCode, main
from grader.reports.feedback_md import feedback_markdown
from grader.reports.gradebook import gradebook_header, gradebook_row
from grader.results import SubmissionResult

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
WRONG = "def add(a, b):\n    return a - b\n\ndef scale(v):\n    return v * 7\n"


def notebook(path: Path, code: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])  # type: ignore[no-untyped-call]
    path.write_text(nbformat.writes(nb), encoding="utf-8")  # type: ignore[no-untyped-call]


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    subs = tmp_path / "subs"
    notebook(subs / "alice" / "planar.ipynb", CORRECT)
    notebook(subs / "alice" / "planar-Copy1.ipynb", WRONG)
    (subs / "alice" / "tinyhelp.py").write_text("# a helper that came with the workspace\n")
    notebook(subs / "bob" / "planar.ipynb", CORRECT)
    return subs


def test_the_plan_names_each_notebook_and_warns_once_per_student(course: Path) -> None:
    plan = collect_plan([course])
    assert [(sid, p.relative_to(course).as_posix()) for sid, p in plan.entries] == [
        ("alice", "alice/planar-Copy1.ipynb"),  # path order, as ids always were
        ("alice-2", "alice/planar.ipynb"),
        ("bob", "bob/planar.ipynb"),
    ]
    assert plan.students == ("alice", "alice", "bob")
    (warning,) = plan.warnings
    assert warning.startswith("alice has 2 submissions, each graded on its own")
    assert "alice/planar-Copy1.ipynb as alice, alice/planar.ipynb as alice-2" in warning


def test_flat_files_of_one_name_are_one_student_too(tmp_path: Path) -> None:
    (tmp_path / "carol.py").write_text(CORRECT)
    notebook(tmp_path / "carol.ipynb", CORRECT)
    (tmp_path / "dave.py").write_text(CORRECT)
    plan = collect_plan([tmp_path])
    assert [sid for sid, _ in plan.entries] == ["carol", "carol-2", "dave"]
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith("carol has 2 submissions")


def test_a_folder_of_many_notebooks_is_listed_briefly(tmp_path: Path) -> None:
    for i in range(8):
        notebook(tmp_path / "erin" / f"try{i}.ipynb", CORRECT)
    (warning,) = collect_plan([tmp_path]).warnings
    assert "erin has 8 submissions" in warning and "try4.ipynb as erin-5" in warning
    assert "try5.ipynb" not in warning and "and 3 more" in warning


def test_a_warning_stays_short_however_deep_the_folders(tmp_path: Path) -> None:
    deep = tmp_path / "frank" / "/".join(["d" * 200] * 8)
    notebook(deep / "a.ipynb", CORRECT)
    notebook(deep / "b.ipynb", CORRECT)
    (warning,) = collect_plan([tmp_path]).warnings
    assert len(warning) < 500 and "/a.ipynb as frank," in warning


def test_gradebook_feedback_and_summary_tell_the_notebooks_apart(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = course.parent / "out"
    argv = ["grade", TINY, str(course), "--csv", f"{out}/g.csv", "--feedback", f"{out}/fb"]
    argv += ["--summary", f"{out}/summary.md", "-j", "1", "--no-cache"]
    assert main(argv) == ExitCode.OK
    out_err = capsys.readouterr()
    err = out_err.err
    assert err.count("alice has 2 submissions") == 1 and "bob has" not in err
    # Repeated in the summary printed last, where a long run's instructor is looking.
    assert "warning: alice has 2 submissions" in out_err.out
    with (out / "g.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    cells = [(r["id"], Path(r["path"]).relative_to(course).as_posix(), r["score"]) for r in rows]
    assert cells == [
        ("alice", "alice/planar-Copy1.ipynb", "0"),
        ("alice-2", "alice/planar.ipynb", "6"),
        ("bob", "bob/planar.ipynb", "6"),
    ]
    assert sorted(p.name for p in (out / "fb").iterdir()) == [
        "alice-2.html", "alice-2.md", "alice.html", "alice.md", "bob.html", "bob.md",
    ]
    second = (out / "fb" / "alice-2.md").read_text()
    assert "Submission: alice-2 (planar.ipynb)" in second
    assert str(course) not in second  # the grading machine's folders are not the student's
    assert "Submission: alice-2 (planar.ipynb)" in (out / "fb" / "alice-2.html").read_text()
    assert "alice has 2 submissions" in (out / "summary.md").read_text()


def test_gradebook_path_cells_are_never_formulas() -> None:
    sub = SubmissionResult("x", "=HYPERLINK(1).ipynb", "", "invalid", "bad", 0.0, 1.0, 0.0)
    header = gradebook_header(["add"])
    row = dict(zip(header, gradebook_row(sub, ["add"]), strict=True))
    assert header[-1] == "path" and row["path"] == "'=HYPERLINK(1).ipynb"


def test_feedback_without_a_path_still_names_the_submission() -> None:
    sub = SubmissionResult("x", "", "", "invalid", "bad", 0.0, 1.0, 0.0)
    assert "Submission: x\n" in feedback_markdown(sub, title="T")
