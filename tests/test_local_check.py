"""``grader check``: the public tests only, a readable report, and the documented exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.commands._color import use_color
from grader.local_check import check_notebook, format_check_report

ROOT = Path(__file__).resolve().parents[1]
PLANAR = "planar_data_classification"
SOLUTION = ROOT / "solutions" / f"{PLANAR}.ipynb"
RELEASE = ROOT / "assignments" / PLANAR / f"{PLANAR}.ipynb"
ASSIGNMENT = str(ROOT / "assignments" / PLANAR)
NO_SCALE = """
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.random.randn(n_h, n_x), "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h), "b2": np.zeros((n_y, 1))}
"""


def notebook_with(tmp_path: Path, extra: str = "", metadata: object = "keep") -> Path:
    """The reference solution plus one last code cell, with its metadata kept or replaced."""
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    if extra:
        nb["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "extra",
                "metadata": {},
                "outputs": [],
                "source": extra,
            }
        )
    if metadata != "keep":
        nb["metadata"] = metadata
    path = tmp_path / "student.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_the_solution_passes_every_public_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SOLUTION)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "8/8 public tests passed (12/12 points)" in out
    assert "✓ initialize_parameters  1/1 passed" in out
    assert "✗" not in out
    assert "\x1b[" not in out  # not a terminal: no colours


def test_the_release_fails_with_messages_a_student_can_act_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", str(RELEASE)]) == ExitCode.CHECKS_FAILED
    out = capsys.readouterr().out
    assert "0/8 public tests passed (0/12 points)" in out
    assert "  ✗ example (error) 0/1" in out
    assert "`layer_sizes` is not implemented yet" in out
    assert "run `grader check` again" in out


def test_only_public_tests_run(tmp_path: Path) -> None:
    # no_scale fails only a hidden test: the local check cannot see it.
    check = check_notebook(notebook_with(tmp_path, NO_SCALE))
    assert check.passed
    assert {t.visibility for t in check.result.tests} == {"visible"}
    ids = [t.id for t in check.result.tests]
    assert ids == [c.id for c in check.assignment.checks if c.visibility == "visible"]
    assert "initialize_parameters.scale" not in ids


def test_warnings_are_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = notebook_with(tmp_path, "import no_such_module_for_the_grader_test\n")
    assert main(["check", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "warning: import of 'no_such_module_for_the_grader_test' failed" in out


def test_a_failing_test_shows_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = notebook_with(tmp_path, "def layer_sizes(X, Y):\n    return (X.shape[1], 4, 1)\n")
    assert main(["check", str(path)]) == ExitCode.CHECKS_FAILED
    out = capsys.readouterr().out
    assert "✗ layer_sizes  0/1 passed\n  ✗ example 0/1\n      " in out
    # nn_model calls layer_sizes: a correct one stands in, so only layer_sizes pays
    assert "✓ nn_model  1/1 passed" in out
    assert "7/8 public tests passed (11/12 points)" in out


def test_colours_on_request_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(SOLUTION), "--color", "always"]) == ExitCode.OK
    assert "\x1b[32m✓\x1b[0m" in capsys.readouterr().out

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("auto", Terminal())
    assert not use_color("auto", io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Terminal())
    assert use_color("always", io.StringIO())


def test_an_unreadable_notebook_exits_3_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = ROOT / "tests" / "data" / "notebooks" / "truncated.ipynb"
    assert main(["check", str(bad), "--assignment", ASSIGNMENT]) == ExitCode.INVALID_SUBMISSION
    err = capsys.readouterr().err
    assert "grader: invalid submission: the file is not a valid notebook" in err
    assert "Traceback" not in err
    # Without --assignment the reader explains the problem before any assignment is looked for.
    assert main(["check", str(bad)]) == ExitCode.INVALID_SUBMISSION
    assert "JSON is broken" in capsys.readouterr().err


def test_no_assignment_in_metadata_exits_2_unless_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = notebook_with(tmp_path, metadata={})
    assert main(["check", str(path)]) == ExitCode.USAGE
    assert "pass --assignment FOLDER" in capsys.readouterr().err
    assert main(["check", str(path), "--assignment", ASSIGNMENT]) == ExitCode.OK


def test_an_unknown_assignment_in_metadata_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = notebook_with(tmp_path, metadata={"grader": {"assignment": "no_such_assignment"}})
    assert main(["check", str(path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "belongs to assignment 'no_such_assignment', which is not under ./assignments" in err


def test_a_missing_assignment_folder_is_a_usage_error(tmp_path: Path) -> None:
    # The README's table: "no assignment found" is 2; 4 is for a folder that exists but is broken.
    code = main(["check", str(SOLUTION), "--assignment", str(tmp_path / "nothing")])
    assert code == ExitCode.USAGE
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "assignment.toml").write_text("id = [\n", encoding="utf-8")
    code = main(["check", str(SOLUTION), "--assignment", str(tmp_path / "broken")])
    assert code == ExitCode.ASSIGNMENT_ERROR


def test_the_report_groups_tests_by_function(tmp_path: Path) -> None:
    check = check_notebook(RELEASE)
    text = format_check_report(check)
    lines = text.splitlines()
    assert lines[0] == f"{check.assignment.title}: public tests on {PLANAR}.ipynb"
    headers = [line.split()[1] for line in lines if line.startswith(("✓ ", "✗ "))]
    assert headers == list(check.assignment.functions)
