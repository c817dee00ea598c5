"""``grader export student``: the public part of an assignment, for students to check offline.

The bundle is a zip a student unpacks and installs with one pip command::

    README.md                      what to do, with the exact install command
    <release>.ipynb                the notebook to fill in (the released one, with stubs)
    wheels/grader-*.whl            the grader itself
    wheels/grader_assignment_<id>-*.whl
                                   the assignment's public part, as a package that registers
                                   itself in the ``grader.assignments`` entry-point group, so
                                   ``grader check`` finds it by the id in a notebook's metadata
    requirements.txt               only if the assignment folder has one

The assignment wheel holds a *student* ``assignment.toml`` (id, title, functions, limits, the
release, the helpers and the public tests, nothing else) and exactly the files it names. It is
built here, by writing the zip a wheel is, so no build backend or index is needed. Hidden tests,
the reference solution and the mutants are never read into the bundle: an allow-list decides
what goes in, not a deny-list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader._toml import tomllib
from grader.assignment import Assignment, load_assignment
from grader.errors import AssignmentError, UsageError
from grader.export import _add, build_wheel
from grader.installed import ASSIGNMENT_ID, ENTRY_POINT_GROUP

__all__ = ["StudentBundle", "assignment_wheel", "export_student", "student_toml"]

_WHEEL_NAME = re.compile(r"grader-([0-9][A-Za-z0-9.+!_]*)-py3-none-any\.whl")
_STUDENT_KEYS = ("id", "title", "release", "helpers", "public_tests", "functions")


@dataclass(frozen=True)
class StudentBundle:
    """What :func:`export_student` wrote."""

    output: Path
    grader_wheel: str  # file names inside wheels/
    assignment_wheel: str
    install: str  # the one command that installs the bundle, run in the unpacked folder
    files: tuple[str, ...]  # every member of the zip
    packaged: tuple[str, ...]  # the assignment's files inside its wheel (relative paths)


def package_name(assignment_id: str) -> str:
    """The import name (and wheel name) of an assignment's package."""
    return "grader_assignment_" + re.sub(r"[^a-z0-9]+", "_", assignment_id.lower())


def _relative(assignment: Assignment, path: Path, what: str) -> str:
    """``path`` relative to the assignment folder, refusing anything outside it."""
    try:
        return path.resolve().relative_to(assignment.root).as_posix()
    except ValueError:
        raise AssignmentError(
            f"the {what} {path} is outside the assignment folder {assignment.root}; a student "
            "bundle ships only files inside it: move it there"
        ) from None


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):  # JSON's escapes (without \/) are TOML basic-string escapes
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise AssignmentError(f"assignment.toml: cannot carry {value!r} into a student bundle")


def student_toml(assignment: Assignment) -> tuple[str, list[str]]:
    """The student ``assignment.toml`` and the files (relative paths) it names.

    Only the keys a student's ``grader check`` needs are kept: ``hidden_tests``, ``solution``,
    ``mutants`` and any key this function does not know are left out.

    Raises:
        AssignmentError: a file it names is outside the assignment folder, or is also a
            hidden test, the solution or the mutants (it would leak them).
    """
    data = tomllib.loads((assignment.root / "assignment.toml").read_text(encoding="utf-8"))
    keep: dict[str, Any] = {k: data[k] for k in _STUDENT_KEYS if k in data}
    for key in ("helpers", "public_tests"):
        if isinstance(keep.get(key), str):
            keep[key] = [keep[key]]
    files: list[str] = []
    if assignment.release is not None:
        keep["release"] = _relative(assignment, assignment.release, "release notebook")
        files.append(keep["release"])
    keep["helpers"] = [_relative(assignment, h, "helper module") for h in assignment.helpers]
    public = [assignment.root / rel for rel in keep.get("public_tests", [])]
    keep["public_tests"] = [_relative(assignment, p, "public test module") for p in public]
    files += [*keep["helpers"], *keep["public_tests"]]
    secret = {p.resolve() for p in _secret_files(assignment, data)}
    for rel in files:
        if (assignment.root / rel).resolve() in secret:
            raise AssignmentError(
                f"{rel} is named as a public file but is also a hidden test, the solution or "
                "the mutants: it cannot go into a student bundle"
            )
    lines = ["# The student copy of this assignment: public tests only (grader export student)"]
    lines += [f"{key} = {_toml_value(keep[key])}" for key in _STUDENT_KEYS if key in keep]
    limits = data.get("limits", {})
    if limits:
        lines += ["", "[limits]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in limits.items()]
    compat = data.get("compat", {})  # the numpy the course targets: `grader check` agrees
    if compat:
        lines += ["", "[compat]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in compat.items()]
    text = "\n".join(lines) + "\n"
    expected = {**keep, **({"limits": limits} if limits else {})}
    expected |= {"compat": compat} if compat else {}
    if tomllib.loads(text) != expected:  # pragma: no cover - a bug in _toml_value
        raise AssignmentError("the student assignment.toml did not round-trip")
    return text, list(dict.fromkeys(files))


def _secret_files(assignment: Assignment, data: dict[str, Any]) -> list[Path]:
    hidden = data.get("hidden_tests", [])
    hidden = [hidden] if isinstance(hidden, str) else hidden
    optional = (assignment.solution, assignment.mutants)
    return [*(assignment.root / h for h in hidden), *(p for p in optional if p is not None)]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:200]


def assignment_wheel(assignment: Assignment, grader_version: str, dest: Path) -> Path:
    """Write the wheel of the assignment's public part into ``dest``.

    The wheel requires exactly ``grader==grader_version`` and registers the assignment in the
    ``grader.assignments`` entry-point group. Its version is the grader's, with a local label
    that is a digest of the contents, so a changed bundle always reinstalls over an old one.
    """
    name = package_name(assignment.id)
    toml_text, files = student_toml(assignment)
    contents: dict[str, bytes] = {f"{name}/__init__.py": _init_py(assignment).encode()}
    contents[f"{name}/assignment.toml"] = toml_text.encode()
    for rel in files:
        contents[f"{name}/{rel}"] = (assignment.root / rel).read_bytes()
    digest = hashlib.sha256()
    for path in sorted(contents):
        digest.update(path.encode() + b"\0" + hashlib.sha256(contents[path]).digest())
    version = f"{grader_version.split('+')[0]}+a{digest.hexdigest()[:12]}"
    dist_info = f"{name}-{version}.dist-info"
    contents[f"{dist_info}/METADATA"] = _metadata(assignment, version, grader_version).encode()
    contents[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: grader export student\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    contents[f"{dist_info}/entry_points.txt"] = (
        f"[{ENTRY_POINT_GROUP}]\n{assignment.id} = {name}\n"
    ).encode()
    contents[f"{dist_info}/top_level.txt"] = f"{name}\n".encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    contents[f"{dist_info}/RECORD"] = (
        "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    ).encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            _add(archive, path, data)
    return wheel


def _init_py(assignment: Assignment) -> str:
    return (
        f'"""The public part of the assignment {assignment.id!r}, for `grader check`.\n\n'
        "Installed from a student bundle (`grader export student`); the grader finds this\n"
        "folder through the `grader.assignments` entry point, without importing it.\n"
        '"""\n'
    )


def _metadata(assignment: Assignment, version: str, grader_version: str) -> str:
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {package_name(assignment.id).replace('_', '-')}\n"
        f"Version: {version}\n"
        f"Summary: {_one_line(assignment.title) or assignment.id} (public tests)\n"
        f"Requires-Dist: grader=={grader_version}\n"
    )


def _grader_version(wheel: Path) -> str:
    match = _WHEEL_NAME.fullmatch(wheel.name)
    if match is None:
        raise UsageError(
            f"{wheel.name} is not a grader wheel (expected grader-VERSION-py3-none-any.whl)"
        )
    return match.group(1)


def install_command(wheels: Iterable[str], requirements: bool) -> str:
    """The one pip command that installs the bundle, run in its unpacked folder.

    The wheels are named as files, never looked up by name: ``grader`` on the package index is
    not this grader, and must never be installed instead of the bundled one.
    """
    parts = ["python -m pip install", *(f"wheels/{w}" for w in wheels)]
    if requirements:
        parts.append("-r requirements.txt")
    return " ".join(parts)


def export_student(
    assignment: Assignment, output: str | Path, *, wheel: str | Path | None = None
) -> StudentBundle:
    """Write the student bundle of ``assignment`` (see the module's docstring).

    Args:
        assignment: the loaded assignment (instructor side).
        output: the zip to write.
        wheel: a prebuilt grader wheel to bundle; default: build one from this checkout.

    Raises:
        UsageError: the id cannot name a package, the wheel does not exist or is not a
            grader wheel, or no wheel can be built.
        AssignmentError: the public files cannot be shipped (outside the folder, or secret),
            or the student copy does not load.
        GraderError: pip failed to build the grader wheel.
    """
    if not ASSIGNMENT_ID.fullmatch(assignment.id):
        raise UsageError(f"the assignment id {assignment.id!r} cannot name an installed package")
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="grader-student-") as tmp:
        wheel_path = Path(wheel) if wheel is not None else build_wheel(Path(tmp) / "grader")
        if not wheel_path.is_file():
            raise UsageError(f"no such wheel: {wheel_path}")
        ours = assignment_wheel(assignment, _grader_version(wheel_path), Path(tmp) / "ours")
        packaged = _check_student_copy(ours, Path(tmp) / "unpacked", assignment)
        requirements = assignment.root / "requirements.txt"
        names = (wheel_path.name, ours.name)
        install = install_command(names, requirements.is_file())
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w") as archive:
            _add(archive, "README.md", _readme(assignment, install).encode())
            if assignment.release is not None:
                _add(archive, assignment.release.name, assignment.release.read_bytes())
            _add(archive, f"wheels/{wheel_path.name}", wheel_path.read_bytes())
            _add(archive, f"wheels/{ours.name}", ours.read_bytes())
            if requirements.is_file():
                _add(archive, "requirements.txt", requirements.read_bytes())
            files = tuple(archive.namelist())
    return StudentBundle(output, wheel_path.name, ours.name, install, files, packaged)


def _check_student_copy(wheel: Path, into: Path, assignment: Assignment) -> tuple[str, ...]:
    """Load the student copy as ``grader check`` will, so a broken bundle is never written."""
    name = package_name(assignment.id)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(into)
    try:
        student = load_assignment(into / name)
    except AssignmentError as exc:
        raise AssignmentError(f"the student copy of the assignment does not load: {exc}") from exc
    if student.select("visible") != student.checks or not student.checks:
        raise AssignmentError("the student copy of the assignment has no public tests")
    root = into / name
    return tuple(sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()))


def _readme(assignment: Assignment, install: str) -> str:
    notebook = assignment.release.name if assignment.release is not None else "your notebook"
    return f"""# {_one_line(assignment.title)}: your notebook and its public tests

This folder has the notebook to complete, `{notebook}`, and what you need to check it on
your own computer with the same public tests the autograder runs (the autograder also runs
hidden tests when you submit).

## Install (once)

You need Python 3.10 or newer. In this folder (best inside a virtual environment), run
(with `python3` instead of `python` if that is how Python is called on your computer):

    {install}

pip installs the grader and this assignment's public tests from the files in `wheels/`, and
takes a few common packages (numpy, nbformat, ...) from the package index. Checking needs no
network afterwards.

## Check your notebook

    grader check {notebook}

It lists every public test with a ✓ or a ✗ and what went wrong, and exits with status 0 only
when all of them pass. Your notebook says which assignment it belongs to (in its metadata), so
run it on any copy of it, from any folder. If you start from another notebook, add
`--assignment {assignment.id}`.
"""
