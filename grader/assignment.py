"""Load an assignment folder: ``assignment.toml``, its test modules and helper files."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader._toml import tomllib
from grader.errors import AssignmentError, AssignmentNotFound, UsageError
from grader.installed import ASSIGNMENT_ID, bundled_assignments
from grader.results import Visibility
from grader.sandbox.limits import Limits
from grader.sandbox.npcompat import NUMPY_VERSIONS
from grader.testing import HINT_LEVELS, CheckSpec, HintLevel, checks_in

__all__ = ["Assignment", "Check", "load_assignment", "resolve_assignment"]


@dataclass(frozen=True)
class Check:
    """A check with the visibility it has in this assignment."""

    spec: CheckSpec
    visibility: Visibility

    @property
    def id(self) -> str:
        """The stable test id."""
        return self.spec.id


@dataclass(frozen=True)
class Assignment:
    """Everything the grader needs to know about one assignment."""

    root: Path
    id: str
    title: str
    functions: tuple[str, ...]
    checks: tuple[Check, ...]
    helpers: tuple[Path, ...] = ()
    release: Path | None = None
    # Where assignment.toml says the release goes, even before `grader release` creates it
    # (``release`` is set only once it exists).
    release_target: Path | None = None
    solution: Path | None = None
    mutants: Path | None = None
    limits: Limits = field(default_factory=Limits)
    # How much of a formula a hidden check's public message gives (grader.testing.hint):
    # "property" (what fails, where to look) or "formula" (the whole formula).
    hints: HintLevel = "property"
    requires: tuple[str, ...] = ()  # modules the notebooks and helpers need (the machine's job)
    # The numpy major version the course was written for ([compat] numpy): with "1", the
    # aliases numpy 2 removed (np.int, np.float_, np.product...) work, each use a warning.
    numpy: str = "2"
    # Checks graded with the student's functions only, never with stand-ins ([standins] off;
    # the same as the check's decorator saying standins=False).
    standins_off: frozenset[str] = frozenset()

    @property
    def max_score(self) -> float:
        """The sum of every check's points."""
        return sum(c.spec.points for c in self.checks)

    def select(self, visibility: str = "all") -> tuple[Check, ...]:
        """The checks to run: ``all``, or only ``visible`` (public) ones."""
        if visibility == "all":
            return self.checks
        return tuple(c for c in self.checks if c.visibility == visibility)


def resolve_assignment(name: str | Path) -> Path:
    """Find an assignment folder from a path or a bare id (``assignments/<id>``).

    For a name typed by the user (``grader grade A``, ``--assignment A``): a folder path, or
    an id found as ``./<id>``, ``./assignments/<id>`` or among the bundled assignments. When
    the current folder and the bundled assignments both have that id, and they differ, the
    name is refused instead of letting the current folder win silently. A notebook's metadata
    is never resolved here (see :mod:`grader.installed`).

    Raises:
        AssignmentNotFound: no such assignment.
        UsageError: a bare id names two different assignments.
    """
    path = Path(name)
    bundled = bundled_assignments() / path
    candidates = [path, Path("assignments") / path, bundled]
    found = [c.resolve() for c in candidates if (c / "assignment.toml").is_file()]
    if not found:
        raise AssignmentNotFound(
            f"no assignment at '{name}': expected a folder with an assignment.toml "
            "(or the id of one under ./assignments)"
        )
    here, bundled_root = found[0], bundled.resolve()
    if (
        isinstance(name, str)
        and ASSIGNMENT_ID.fullmatch(name)
        and bundled_root in found
        and here != bundled_root
    ):
        raise UsageError(
            f"'{name}' names two different assignments: {here} (in the current folder) and "
            f"the bundled {bundled_root}; name the folder you mean"
        )
    return here


def _str_list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise AssignmentError(f"assignment.toml: '{key}' must be a list of strings")
    return value


def _requires(data: dict[str, Any]) -> tuple[str, ...]:
    """``requires``: the modules the assignment's notebooks and helpers import, checked."""
    names = _str_list(data, "requires")
    for name in names:
        if not all(part.isidentifier() for part in name.split(".")):
            raise AssignmentError(
                f"assignment.toml: 'requires' lists {name!r}, which is not a module name "
                "(write the name you import, like \"matplotlib\" or \"scipy.stats\")"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise AssignmentError(f"assignment.toml: 'requires' lists {repeated[0]!r} twice")
    return tuple(names)


def _optional_path(root: Path, data: dict[str, Any], key: str) -> Path | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AssignmentError(f"assignment.toml: '{key}' must be a path string")
    path = (root / value).resolve()
    if not path.exists():
        raise AssignmentError(f"assignment.toml: '{key}' names {value}, which does not exist")
    return path


def _release_target(root: Path, data: dict[str, Any]) -> Path | None:
    """Where ``release`` points, whether or not ``grader release`` has created it yet."""
    value = data.get("release")
    if value is None:
        return None
    if not isinstance(value, str):
        raise AssignmentError("assignment.toml: 'release' must be a path string")
    return (root / value).resolve()


def _load_checks(root: Path, assignment_id: str, files: Sequence[str]) -> list[CheckSpec]:
    specs: list[CheckSpec] = []
    for rel in files:
        path = root / rel
        if not path.is_file():
            raise AssignmentError(f"test module {rel} does not exist in {root}")
        module_name = f"_grader_checks_{assignment_id}_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise AssignmentError(f"cannot load test module {path}")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise AssignmentError(f"test module {rel} failed to import: {exc!r}") from exc
        specs.extend(checks_in(vars(module)))
    return specs


def _limits(data: dict[str, Any]) -> Limits:
    raw = data.get("limits", {})
    if not isinstance(raw, dict):
        raise AssignmentError("assignment.toml: [limits] must be a table")
    unknown = set(raw) - set(Limits.__dataclass_fields__)
    if unknown:
        raise AssignmentError(f"assignment.toml: unknown limits {sorted(unknown)}")
    try:
        return Limits.from_dict(raw)
    except TypeError as exc:
        raise AssignmentError(f"assignment.toml: bad [limits]: {exc}") from exc


def _hints(data: dict[str, Any]) -> HintLevel:
    value = data.get("hints", "property")
    for level in HINT_LEVELS:
        if value == level:
            return level
    allowed = " or ".join(f'"{level}"' for level in HINT_LEVELS)
    raise AssignmentError(
        f"assignment.toml: 'hints' must be {allowed} (what a hidden check's message tells a "
        f"student: the property that fails, or the whole formula), not {value!r}"
    )


def _numpy_compat(data: dict[str, Any]) -> str:
    """``[compat] numpy``: the numpy major version the notebooks were written for."""
    raw = data.get("compat", {})
    if not isinstance(raw, dict):
        raise AssignmentError(
            'assignment.toml: [compat] must be a table, like [compat] numpy = "1"'
        )
    unknown = sorted(set(raw) - {"numpy"})
    if unknown:
        raise AssignmentError(
            f"assignment.toml: [compat] has unknown key {unknown[0]!r} (only 'numpy' is known: "
            'the numpy the course was written for, "1" or "2")'
        )
    value = raw.get("numpy", "2")
    if value not in NUMPY_VERSIONS:
        allowed = " or ".join(f'"{v}"' for v in NUMPY_VERSIONS)
        raise AssignmentError(
            f"assignment.toml: [compat] numpy must be {allowed} (the numpy major version the "
            f"course was written for; with \"1\", numpy 1's removed aliases like np.int work), "
            f"not {value!r}"
        )
    return str(value)


def _standins_off(data: dict[str, Any], checks: Sequence[Check]) -> frozenset[str]:
    """``[standins] off``: ids of checks never graded with stand-ins (grader.standins)."""
    raw = data.get("standins", {})
    if not isinstance(raw, dict):
        raise AssignmentError(
            'assignment.toml: [standins] must be a table, like [standins] off = ["nn_model.trains"]'
        )
    unknown_keys = sorted(set(raw) - {"off"})
    if unknown_keys:
        raise AssignmentError(
            f"assignment.toml: [standins] has unknown key {unknown_keys[0]!r} (only 'off' is "
            "known: the ids of checks graded without stand-ins)"
        )
    off = _str_list(raw, "off")
    known = {check.id for check in checks}
    unknown = sorted(set(off) - known)
    if unknown:
        raise AssignmentError(
            f"assignment.toml: [standins] off names {', '.join(map(repr, unknown))}, which "
            "no check has as its id (ids are <function>.<check>, like 'nn_model.trains')"
        )
    return frozenset(off)


def load_assignment(name: str | Path) -> Assignment:
    """Load and validate an assignment folder (or id). Raises AssignmentError."""
    root = resolve_assignment(name)
    try:
        data = tomllib.loads((root / "assignment.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(f"cannot read {root / 'assignment.toml'}: {exc}") from exc
    assignment_id = data.get("id")
    if not isinstance(assignment_id, str) or not assignment_id.isidentifier():
        raise AssignmentError("assignment.toml: 'id' must be an identifier-like string")
    functions = tuple(_str_list(data, "functions"))
    checks: list[Check] = []
    for files, visibility in (("public_tests", "visible"), ("hidden_tests", "hidden")):
        for spec in _load_checks(root, assignment_id, _str_list(data, files)):
            checks.append(Check(spec, visibility))  # type: ignore[arg-type]
    _validate_checks(checks, functions)
    order = {name: i for i, name in enumerate(functions)}
    checks.sort(key=lambda c: order[c.spec.function])  # stable: keeps module order within
    helpers = tuple((root / h).resolve() for h in _str_list(data, "helpers"))
    for helper in helpers:
        if not helper.is_file():
            raise AssignmentError(f"helper module {helper} does not exist")
    release_target = _release_target(root, data)
    return Assignment(
        root=root,
        id=assignment_id,
        title=str(data.get("title", assignment_id)),
        functions=functions,
        checks=tuple(checks),
        helpers=helpers,
        release=release_target if release_target and release_target.exists() else None,
        release_target=release_target,
        solution=_optional_path(root, data, "solution"),
        mutants=_optional_path(root, data, "mutants"),
        limits=_limits(data),
        hints=_hints(data),
        requires=_requires(data),
        numpy=_numpy_compat(data),
        standins_off=_standins_off(data, checks),
    )


def _validate_checks(checks: Sequence[Check], functions: Sequence[str]) -> None:
    if not checks:
        raise AssignmentError("the assignment has no checks")
    seen: set[str] = set()
    for check in checks:
        if check.id in seen:
            raise AssignmentError(f"two checks have the id {check.id}")
        seen.add(check.id)
        if check.spec.function not in functions:
            raise AssignmentError(
                f"check {check.id} tests {check.spec.function}, which is not in 'functions'"
            )
