"""``grader verify``: it passes on a sound assignment and fails, precisely, on a weakened one."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.cli import ExitCode, main
from grader.errors import AssignmentError
from grader.mutants import Mutant, load_mutants, mutant_problems, mutant_source
from grader.notebook import read_submission
from grader.results import CheckResult, SubmissionResult
from grader.verify import format_verify_report, verify_assignment

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"


def copy_course(tmp_path: Path, assignment_id: str = PLANAR) -> Path:
    """Copy an assignment and its solution to tmp_path, keeping their relative layout."""
    target = tmp_path / "assignments" / assignment_id
    shutil.copytree(
        ROOT / "assignments" / assignment_id,
        target,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / "solutions").mkdir()
    shutil.copy2(ROOT / "solutions" / f"{assignment_id}.ipynb", tmp_path / "solutions")
    return target


def neutralise_check(test_module: Path, function_name: str) -> None:
    """Replace the body of one check function with ``pass`` (a text edit, as a TA might)."""
    text = test_module.read_text(encoding="utf-8")
    lines = text.split("\n")
    node = next(
        n
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.FunctionDef) and n.name == function_name
    )
    first, last = node.body[0].lineno, node.end_lineno
    assert last is not None
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    lines[first - 1 : last] = [f"{indent}pass"]
    test_module.write_text("\n".join(lines), encoding="utf-8")


def test_every_item_holds_on_the_planar_assignment(capsys: pytest.CaptureFixture[str]) -> None:
    # About 3 s: the reference (twice, plus public only), the release, 25 mutants and 3 repeats,
    # all in one sandbox.
    assert main(["verify", str(ROOT / "assignments" / PLANAR)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "✗" not in out
    assert "✓ reference solution earns full marks (100/100" in out
    assert "✓ mutant no_scale caught by exactly its 1 expected test" in out
    assert "OK: all 32 items hold" in out


def test_a_weakened_hidden_check_lets_the_no_scale_mutant_survive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_course(tmp_path)
    neutralise_check(folder / "tests" / "hidden.py", "initialize_parameters_scale")
    code = main(["verify", str(folder), "--mutant", "no_scale"])
    out = capsys.readouterr().out
    assert code == ExitCode.CHECKS_FAILED
    assert "✗ mutant no_scale survives: every test passes on it" in out
    assert "mutant no_scale: expected to fail initialize_parameters.scale but it passed" in out
    # A check that no longer checks anything also passes on the empty stub: caught twice.
    assert "    initialize_parameters.scale passed on the stub" in out
    assert "FAILED: 2 of 8 items do not hold (release, mutant:no_scale)" in out
    assert "✓ reference solution earns full marks" in out


def test_the_intact_check_catches_the_same_mutant(tmp_path: Path) -> None:
    report = verify_assignment(load_assignment(copy_course(tmp_path)), mutant="no_scale")
    assert report.ok, format_verify_report(report)
    assert [i.name for i in report.items] == [
        "release_sync",
        "authoring",
        "reference",
        "public",
        "release",
        "mutant:no_scale",
        "check_bugs",
        "determinism",
    ]


def test_a_wrong_fails_list_is_reported_test_by_test(tmp_path: Path) -> None:
    folder = copy_course(tmp_path)
    mutants = folder / "mutants.toml"
    text = mutants.read_text(encoding="utf-8")
    old = 'name = "no_scale"\ndescription = "weights drawn with randn but not multiplied by 0.01"\n'
    old += 'fails = ["initialize_parameters.scale"]'
    assert old in text
    new = old.replace(
        '["initialize_parameters.scale"]',
        '["initialize_parameters.shapes", "initialize_parameters.sclae"]',
    )
    mutants.write_text(text.replace(old, new), encoding="utf-8")
    report = verify_assignment(load_assignment(folder), mutant="no_scale")
    item = report.item("mutant:no_scale")
    assert not item.ok and not report.ok
    assert item.summary == "mutant no_scale is not caught as its `fails` list says"
    assert set(item.problems) == {
        "mutant no_scale: `fails` names initialize_parameters.sclae, which is not a test of "
        "this assignment",
        "mutant no_scale: expected to fail initialize_parameters.shapes but it passed",
        next(p for p in item.problems if "initialize_parameters.scale failed but" in p),
    }
    scale = next(p for p in item.problems if "initialize_parameters.scale failed but" in p)
    assert scale.startswith(
        "mutant no_scale: initialize_parameters.scale failed but is not in `fails` (failed: "
    )


def test_an_out_of_date_release_that_leaks_the_solution_fails_two_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_course(tmp_path)
    # The worst stale release: the solution itself was committed as the student notebook.
    shutil.copy2(tmp_path / "solutions" / f"{PLANAR}.ipynb", folder / f"{PLANAR}.ipynb")
    code = main(["verify", str(folder), "--mutant", "zero_weights"])
    out = capsys.readouterr().out
    assert code == ExitCode.CHECKS_FAILED
    assert (
        f"✗ {PLANAR}.ipynb is out of date with the solution: run `grader release {folder}` "
        "to regenerate it"
    ) in out
    assert "✗ student release earns 0 without crashing (100/100" in out
    assert "    initialize_parameters.scale passed on the stub" in out
    assert "FAILED: 2 of 8 items do not hold (release_sync, release)" in out


def test_a_release_edited_by_hand_is_out_of_date(tmp_path: Path) -> None:
    folder = copy_course(tmp_path)
    release = folder / f"{PLANAR}.ipynb"
    nb = json.loads(release.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "# A title someone changed in the release only\n"
    release.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    report = verify_assignment(load_assignment(folder), mutant="no_scale")
    assert [i.name for i in report.failed] == ["release_sync"]


def test_an_unknown_mutant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", PLANAR, "--mutant", "nope"]) == ExitCode.USAGE
    assert "no mutant named 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "entry, words",
    [
        ('name = "a"\nfails = []\ncode = "x = 1"', "non-empty list"),
        ('name = "a"\nfails = ["f.g"]', "missing 'code'"),
        (
            'name = "a"\nfails = ["f.g"]\ncode = "x"\n\n[[mutant]]\nname = "a"\nfails = ["f.g"]\n'
            'code = "y"',
            "two mutants are named a",
        ),
        ('name = "a"\nfails = ["f.g"]\ncode = "x"\nfail = ["typo"]', "unknown keys ['fail']"),
    ],
)
def test_malformed_mutants_files_are_assignment_errors(
    tmp_path: Path, entry: str, words: str
) -> None:
    path = tmp_path / "mutants.toml"
    path.write_text(f"[[mutant]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(AssignmentError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_mutants(path)


def test_a_broken_mutants_file_exits_with_the_assignment_error_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy_course(tmp_path)
    (folder / "mutants.toml").write_text("[[mutant]]\nname = 'x'\n", encoding="utf-8")
    assert main(["verify", str(folder)]) == ExitCode.ASSIGNMENT_ERROR
    assert "mutants.toml: mutant x: missing 'fails'" in capsys.readouterr().err


def test_a_mutant_is_the_reference_plus_one_last_cell() -> None:
    reference = read_submission(str(ROOT / "solutions" / f"{PLANAR}.ipynb"))
    mutant = Mutant("m", "", ("f.g",), "def f():\n    return 1\n")
    source = mutant_source(reference, mutant)
    assert source.cells[:-1] == reference.cells
    assert source.cells[-1].source == mutant.code
    assert source.cells[-1].number > reference.cells[-1].number
    assert source.sha256 != reference.sha256
    assert "mutant m" in source.path


def _result(outcomes: dict[str, str]) -> SubmissionResult:
    tests = tuple(
        CheckResult(
            id=test_id,
            function=test_id.split(".")[0],
            score=1.0 if outcome == "passed" else 0.0,
            max_score=1.0,
            outcome=outcome,  # type: ignore[arg-type]
            message="" if outcome == "passed" else "wrong",
        )
        for test_id, outcome in outcomes.items()
    )
    return SubmissionResult(
        id="m",
        path="m",
        sha256="",
        status="graded",
        error=None,
        score=sum(t.score for t in tests),
        max_score=len(tests),
        duration_s=0.0,
        tests=tests,
    )


def test_mutant_problems_name_each_departure() -> None:
    mutant = Mutant("m", "", ("f.a", "f.b"), "")
    result = _result({"f.a": "failed", "f.b": "passed", "f.c": "timeout"})
    assert mutant_problems(mutant, result, ["f.a", "f.b", "f.c"]) == [
        "mutant m: expected to fail f.b but it passed",
        "mutant m: f.c failed but is not in `fails` (timeout: wrong)",
    ]
    exact = _result({"f.a": "error", "f.b": "missing", "f.c": "passed"})
    assert mutant_problems(mutant, exact, ["f.a", "f.b", "f.c"]) == []
