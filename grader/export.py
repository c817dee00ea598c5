"""``grader export gradescope``: a Gradescope autograder zip, and the code it runs there.

The zip (instructor-side only: it holds the hidden tests and the reference solution)::

    setup.sh           installs the bundled grader wheel and its public dependencies with pip
    run_autograder     grades /autograder/submission/*.ipynb -> /autograder/results/results.json
    wheels/grader-*.whl
    course/...         the assignment folder, plus the files its assignment.toml points to
                       outside it (e.g. ../../solutions/<id>.ipynb), at the same relative places
    requirements.txt   only if the assignment folder has one (extra packages for student code)

On Gradescope, ``run_autograder`` calls ``python3 -m grader.export autograde``, i.e.
:func:`autograde`. The ``GRADER_AUTOGRADER_ROOT`` environment variable, read by
``run_autograder`` only, replaces ``/autograder`` so the whole flow can be tested locally.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.errors import GraderError, UsageError

__all__ = [
    "ROOT_ENV",
    "ExportSummary",
    "autograde",
    "build_wheel",
    "export_gradescope",
    "find_submission",
]

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
_SKIP = {"__pycache__", ".ipynb_checkpoints", ".grader-cache", ".pytest_cache", ".mypy_cache"}
_EXECUTABLE = 0o100755 << 16
_FILE = 0o100644 << 16
_SAFE_PATH = re.compile(r"[A-Za-z0-9._/-]+")
_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root in /autograder/source, when it builds the autograder image.
# It installs the grader from the wheel bundled here; pip fetches its public dependencies
# (numpy, nbformat, nbconvert, pytest) from the package index. pip's own environment variables
# apply, e.g. PIP_INDEX_URL, or PIP_NO_INDEX=1 with PIP_FIND_LINKS=DIR to install offline.
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3 python3-pip
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore
python3 -m pip install --quiet wheels/*.whl
if [ -f requirements.txt ]; then
    python3 -m pip install --quiet -r requirements.txt
fi
python3 -c "import grader; print('grader', grader.__version__, 'installed')"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope copies this to /autograder/run_autograder and runs it for every submission: it
# grades the notebook in submission/ with all tests and writes results/results.json.
# GRADER_AUTOGRADER_ROOT replaces /autograder (for testing the autograder outside Gradescope).
set -euo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
exec python3 -m grader.export autograde --root "$ROOT" \\
    --assignment "$ROOT/source/{assignment}" --hidden-visibility {visibility}
"""


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_gradescope` wrote."""

    output: Path
    wheel: str  # the wheel's file name inside the zip
    assignment: str  # the assignment folder inside the zip (relative to /autograder/source)
    files: tuple[str, ...]  # every member of the zip


def project_root() -> Path | None:
    """The source checkout this grader runs from (None when installed from a wheel)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def build_wheel(dest: Path, project: Path | None = None) -> Path:
    """Build the grader's wheel from its source checkout into ``dest``.

    The sources are copied to a temporary folder first, so the build writes nothing into the
    checkout. The build runs without isolation when the build backend is installed (offline),
    else with pip's isolated build environment (which fetches setuptools from the index).

    Raises:
        UsageError: there is no checkout (the grader was installed from a wheel: pass one).
        GraderError: pip could not build the wheel (its output is in the message).
    """
    project = project or project_root()
    if project is None:
        raise UsageError("the grader is not running from a source checkout: pass --wheel FILE")
    with tempfile.TemporaryDirectory(prefix="grader-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in"):
            if (project / name).is_file():
                shutil.copy2(project / name, src / name)
        shutil.copytree(project / "grader", src / "grader", ignore=shutil.ignore_patterns(*_SKIP))
        out = Path(tmp) / "out"
        errors = ""
        for isolation in (["--no-build-isolation"], []):
            command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation]
            done = subprocess.run(
                [*command, str(src), "-w", str(out)], capture_output=True, text=True, check=False
            )
            wheels = sorted(out.glob("grader-*.whl"))
            if done.returncode == 0 and wheels:
                dest.mkdir(parents=True, exist_ok=True)
                return Path(shutil.copy2(wheels[0], dest / wheels[0].name))
            errors += done.stderr[-2000:]
    raise GraderError(f"pip could not build the grader wheel:\n{errors}")


def _referenced_files(assignment: Assignment) -> list[Path]:
    """Files assignment.toml points to (tests, helpers, solution, release, mutants)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    data = tomllib.loads((assignment.root / "assignment.toml").read_text(encoding="utf-8"))
    tests = [
        (assignment.root / rel).resolve()
        for key in ("public_tests", "hidden_tests")
        for rel in ([data[key]] if isinstance(data.get(key), str) else data.get(key, []))
    ]
    optional = (assignment.solution, assignment.release, assignment.mutants)
    return [*tests, *assignment.helpers, *(p for p in optional if p is not None)]


def assignment_files(assignment: Assignment) -> tuple[Path, list[Path]]:
    """The files to ship and the folder they are relative to (their common ancestor).

    Everything under the assignment folder (caches excluded) plus what its assignment.toml
    names outside it, so relative paths such as ``../../solutions/<id>.ipynb`` keep working.
    """
    inside = [
        p
        for p in sorted(assignment.root.rglob("*"))
        if p.is_file() and not _SKIP.intersection(p.relative_to(assignment.root).parts)
    ]
    outside = [p for p in _referenced_files(assignment) if assignment.root not in p.parents]
    files = list(dict.fromkeys([*inside, *outside]))
    base = Path(os.path.commonpath([assignment.root, *(p.parent for p in files)]))
    return base, files


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = _FILE) -> None:
    info = zipfile.ZipInfo(name, _DATE)
    info.external_attr = mode
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def export_gradescope(
    assignment: Assignment,
    output: str | Path,
    *,
    wheel: str | Path | None = None,
    hidden_visibility: str = "after_published",
) -> ExportSummary:
    """Write a Gradescope autograder zip for ``assignment``.

    Args:
        assignment: the loaded assignment.
        output: the zip file to write.
        wheel: a prebuilt grader wheel to bundle; default: build one from this checkout.
        hidden_visibility: Gradescope visibility of hidden tests' results.

    Returns:
        What was written.

    Raises:
        UsageError: ``hidden_visibility`` is not a Gradescope visibility, ``wheel`` does not
            exist, or no wheel can be built.
        GraderError: pip failed to build the wheel.
    """
    from grader.reports.gradescope import GRADESCOPE_VISIBILITIES

    if hidden_visibility not in GRADESCOPE_VISIBILITIES:
        raise UsageError(f"--hidden-visibility must be one of {', '.join(GRADESCOPE_VISIBILITIES)}")
    base, files = assignment_files(assignment)
    rel = "course/" + assignment.root.relative_to(base).as_posix()
    if not _SAFE_PATH.fullmatch(rel):
        raise UsageError(
            f"the assignment's path {rel!r} has characters a shell script would mangle"
        )
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="grader-export-") as tmp:
        wheel_path = Path(wheel) if wheel is not None else build_wheel(Path(tmp))
        if not wheel_path.is_file():
            raise UsageError(f"no such wheel: {wheel_path}")
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w") as archive:
            _add(archive, "setup.sh", SETUP_SH.encode(), _EXECUTABLE)
            script = RUN_AUTOGRADER.format(assignment=rel, visibility=hidden_visibility)
            _add(archive, "run_autograder", script.encode(), _EXECUTABLE)
            _add(archive, f"wheels/{wheel_path.name}", wheel_path.read_bytes())
            requirements = assignment.root / "requirements.txt"
            if requirements.is_file():
                _add(archive, "requirements.txt", requirements.read_bytes())
            for path in files:
                _add(archive, f"course/{path.relative_to(base).as_posix()}", path.read_bytes())
            names = tuple(archive.namelist())
    return ExportSummary(output, wheel_path.name, rel, names)


def find_submission(folder: Path, assignment: Assignment) -> tuple[Path | None, list[str]]:
    """The notebook to grade among the files a student submitted, with notes for the student.

    One ``.ipynb`` (else ``.py``) file is taken as it is; among several, the one named like the
    release notebook wins, then the first in name order (and a note says so).
    """
    found: list[Path] = []
    for suffix in (".ipynb", ".py"):
        found = sorted(
            p
            for p in folder.rglob(f"*{suffix}")
            if p.is_file() and not {"__MACOSX", *_SKIP}.intersection(p.relative_to(folder).parts)
        )
        if found:
            break
    if len(found) <= 1:
        return (found[0] if found else None), []
    wanted = assignment.release.name if assignment.release is not None else None
    chosen = next((p for p in found if p.name == wanted), found[0])
    others = ", ".join(p.relative_to(folder).as_posix() for p in found if p != chosen)
    note = f"Several files were submitted; graded {chosen.name} (not {others})."
    return chosen, [note]


def _no_submission(assignment: Assignment) -> dict[str, object]:
    wanted = assignment.release.name if assignment.release is not None else "your notebook"
    return {
        "score": 0.0,
        "output": f"No notebook (.ipynb) was found in your submission: upload {wanted}.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def _grading_failed(exc: GraderError) -> dict[str, object]:
    return {
        "score": 0.0,
        "output": (
            f"The autograder could not grade your submission ({exc}). This is not a problem "
            "with your code: please tell your instructor."
        ),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def autograde(
    root: str | Path, assignment_dir: str | Path, *, hidden_visibility: str = "after_published"
) -> int:
    """Grade ``<root>/submission/`` and write ``<root>/results/results.json`` (Gradescope).

    Every test runs; hidden tests get ``hidden_visibility``. A missing or unreadable notebook
    scores 0 with an explanation; so does a grader failure, which also gives exit status 1.

    Args:
        root: Gradescope's ``/autograder`` (or a folder laid out like it).
        assignment_dir: the assignment folder shipped in the zip.
        hidden_visibility: Gradescope visibility of hidden tests' results.

    Returns:
        0 when the submission was graded (whatever its score), 1 when the grader failed.
    """
    from grader.reports.gradescope import gradescope_results
    from grader.runner import Grader

    root = Path(root)
    status = 0
    try:
        assignment = load_assignment(assignment_dir)
        path, notes = find_submission(root / "submission", assignment)
        if path is None:
            doc = _no_submission(assignment)
        else:
            with Grader(assignment) as grader:
                result = grader.grade_path(path, path.stem)
            doc = gradescope_results(result, hidden_visibility=hidden_visibility)
            doc["output"] = "\n".join([*notes, str(doc["output"])])
    except GraderError as exc:
        doc, status = _grading_failed(exc), 1
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m grader.export autograde --root R --assignment A``: what run_autograder runs."""
    parser = argparse.ArgumentParser(prog="python -m grader.export")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("autograde", help="grade a Gradescope submission")
    run.add_argument("--root", required=True, help="Gradescope's /autograder folder")
    run.add_argument("--assignment", required=True, help="the assignment folder")
    run.add_argument("--hidden-visibility", default="after_published")
    args = parser.parse_args(argv)
    code = autograde(args.root, args.assignment, hidden_visibility=args.hidden_visibility)
    if code:
        print("grader: the submission could not be graded; see results.json", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
