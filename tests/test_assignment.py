"""Loading assignment folders, and the errors an instructor sees when one is broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.errors import AssignmentError

TINY = Path(__file__).parent / "data" / "assignments" / "tiny"


def test_tiny_assignment_loads_with_ordered_checks_and_limits() -> None:
    a = load_assignment(TINY)
    assert a.id == "tiny" and a.functions == ("add", "scale")
    assert [c.id for c in a.checks] == ["add.example", "add.values", "scale.values"]
    assert [c.visibility for c in a.checks] == ["visible", "hidden", "hidden"]
    assert a.max_score == 6.0
    assert a.limits.call_timeout_s == 2.0 and a.limits.memory_mb == 1024
    assert [h.name for h in a.helpers] == ["tinyhelp.py"]
    assert [c.id for c in a.select("visible")] == ["add.example"]


def broken(tmp_path: Path, toml_edit: tuple[str, str] | None = None) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(TINY, root)
    if toml_edit:
        path = root / "assignment.toml"
        text = path.read_text()
        assert toml_edit[0] in text
        path.write_text(text.replace(*toml_edit))
    return root


@pytest.mark.parametrize(
    "edit, words",
    [
        (('functions = ["add", "scale"]', 'functions = ["add"]'), "not in 'functions'"),
        (('id = "tiny"', 'id = "not an id"'), "'id'"),
        (('helpers = ["tinyhelp.py"]', 'helpers = ["nope.py"]'), "nope.py"),
        (('call_timeout_s = 2.0', 'call_timeout = 2.0'), "unknown limits"),
        (('title = "Tiny test assignment"', 'title = "unterminated'), "cannot read"),
        (('hidden_tests = ["tests/hidden.py"]', 'hidden_tests = ["tests/gone.py"]'), "gone.py"),
    ],
)
def test_broken_assignments_say_what_to_fix(
    tmp_path: Path, edit: tuple[str, str], words: str
) -> None:
    with pytest.raises(AssignmentError, match=words.replace("(", r"\(")):
        load_assignment(broken(tmp_path, edit))


def test_a_test_module_that_fails_to_import_is_an_assignment_error(tmp_path: Path) -> None:
    root = broken(tmp_path)
    (root / "tests" / "hidden.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(AssignmentError, match=r"failed to import"):
        load_assignment(root)


def test_duplicate_check_ids_are_refused(tmp_path: Path) -> None:
    root = broken(tmp_path)
    hidden = root / "tests" / "hidden.py"
    hidden.write_text(hidden.read_text().replace('"scale", "values"', '"add", "values"'))
    with pytest.raises(AssignmentError, match=r"two checks have the id add\.values"):
        load_assignment(root)


def test_unknown_assignment_names_the_expected_layout(tmp_path: Path) -> None:
    with pytest.raises(AssignmentError, match=r"assignment\.toml"):
        load_assignment(tmp_path / "nothing")
