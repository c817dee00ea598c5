"""A fast, sandboxed autograder for Jupyter-notebook exercises.

The library mirrors the commands::

    from grader import load_assignment, Grader, grade_submissions

    assignment = load_assignment("planar_data_classification")
    with Grader(assignment) as grader:                 # one submission at a time
        result = grader.grade_path("alice.ipynb", "alice")
    run = grade_submissions(assignment, ["subs/"])     # a folder, in parallel

Submodules are imported lazily, so ``import grader`` stays cheap (``grader check`` counts on it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "Assignment": "grader.assignment",
    "load_assignment": "grader.assignment",
    "Grader": "grader.runner",
    "BatchSettings": "grader.batch",
    "grade_submissions": "grader.batch",
    "plan_submissions": "grader.batch",
    "run_batch": "grader.batch",
    "check_notebook": "grader.local_check",
    "verify_assignment": "grader.verify",
    "export_gradescope": "grader.export",
    "export_student": "grader.student_bundle",
    "write_skeleton": "grader.scaffold",
    "find_assignments": "grader.listing",
    "make_release": "grader.release",
    "read_submission": "grader.notebook",
    "extract_program": "grader.extract",
    "CheckResult": "grader.results",
    "GradingRun": "grader.results",
    "SubmissionResult": "grader.results",
    "AssignmentError": "grader.errors",
    "GraderError": "grader.errors",
    "InvalidSubmission": "grader.errors",
    "SandboxError": "grader.errors",
    "UsageError": "grader.errors",
}

__all__ = [
    "Assignment",
    "AssignmentError",
    "BatchSettings",
    "CheckResult",
    "Grader",
    "GraderError",
    "GradingRun",
    "InvalidSubmission",
    "SandboxError",
    "SubmissionResult",
    "UsageError",
    "__version__",
    "check_notebook",
    "export_gradescope",
    "export_student",
    "extract_program",
    "find_assignments",
    "grade_submissions",
    "load_assignment",
    "make_release",
    "plan_submissions",
    "read_submission",
    "run_batch",
    "verify_assignment",
    "write_skeleton",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from grader.assignment import Assignment, load_assignment
    from grader.batch import BatchSettings, grade_submissions, plan_submissions, run_batch
    from grader.errors import (
        AssignmentError,
        GraderError,
        InvalidSubmission,
        SandboxError,
        UsageError,
    )
    from grader.export import export_gradescope
    from grader.extract import extract_program
    from grader.listing import find_assignments
    from grader.local_check import check_notebook
    from grader.notebook import read_submission
    from grader.release import make_release
    from grader.results import CheckResult, GradingRun, SubmissionResult
    from grader.runner import Grader
    from grader.scaffold import write_skeleton
    from grader.student_bundle import export_student
    from grader.verify import verify_assignment


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'grader' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
