"""The package's public names: exactly these, each importable and documented."""

from __future__ import annotations

import subprocess
import sys

import grader

EXPECTED = {
    "__version__", "Assignment", "load_assignment", "Grader", "BatchSettings",
    "grade_submissions", "plan_submissions", "run_batch", "check_notebook", "verify_assignment",
    "export_gradescope", "make_release", "read_submission", "extract_program", "CheckResult",
    "GradingRun", "SubmissionResult", "AssignmentError", "GraderError", "InvalidSubmission",
    "SandboxError", "UsageError", "export_student", "write_skeleton", "find_assignments",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(grader.__all__) == EXPECTED


def test_every_public_name_resolves_and_has_a_docstring() -> None:
    for name in grader.__all__:
        value = getattr(grader, name)
        if name != "__version__":
            assert (value.__doc__ or "").strip(), name


def test_importing_grader_does_not_import_numpy_or_nbformat() -> None:
    code = "import sys, grader; print('numpy' in sys.modules, 'nbformat' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_lazy_exports_and_all_agree() -> None:
    assert set(grader.__all__) - {"__version__"} == set(grader._EXPORTS)
