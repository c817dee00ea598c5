"""A course: its assignments and the rules of submitting, read from ``course.toml``.

::

    title = "Deep learning, autumn 2026"
    timezone = "Europe/Paris"          # deadlines without an offset are in this zone (UTC)

    [defaults]                         # every assignment's rules unless it says otherwise
    late = "accept"                    # refuse | accept (flagged) | penalty
    penalty_per_day = 10               # percent of the maximum, with late = "penalty"
    max_submissions = 20               # per student and assignment (0: no limit)
    cooldown = 30                      # seconds between two submissions of one student
    counts = "best"                    # which submission counts: last | best
    hidden = "after_deadline"          # hidden checks shown: after_deadline | immediately | never

    [assignments.planar_data_classification]
    path = "planar_data_classification"    # a folder beside course.toml, or an installed id
    deadline = 2026-12-01T23:59:00

With no ``course.toml`` (``grader serve`` without a COURSE) the course is the bundled
assignments with no deadlines: :func:`demo_course`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader._toml import tomllib
from grader.errors import UsageError
from grader.installed import bundled_assignments

__all__ = [
    "Course",
    "CourseAssignment",
    "Rules",
    "demo_course",
    "load_course",
]

LatePolicy = Literal["refuse", "accept", "penalty"]
Counts = Literal["last", "best"]
HiddenPolicy = Literal["after_deadline", "immediately", "never"]

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,79}")
_RULE_KEYS = {"late", "penalty_per_day", "max_submissions", "cooldown", "counts", "hidden"}


@dataclass(frozen=True)
class Rules:
    """How one assignment takes submissions and shows results."""

    late: LatePolicy = "accept"
    penalty_per_day: float = 0.0
    max_submissions: int = 0
    cooldown_s: float = 0.0
    counts: Counts = "last"
    hidden: HiddenPolicy = "after_deadline"


@dataclass(frozen=True)
class CourseAssignment:
    """One assignment of the course: its folder, its deadline and its rules."""

    id: str
    path: Path
    deadline: dt.datetime | None
    rules: Rules


@dataclass(frozen=True)
class Course:
    """The course a server runs: where it lives and its assignments, in course.toml order."""

    root: Path
    title: str
    assignments: Mapping[str, CourseAssignment] = field(default_factory=dict)

    def assignment(self, assignment_id: str) -> CourseAssignment | None:
        """The assignment with that id, or None."""
        return self.assignments.get(assignment_id)


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise UsageError(f"{where}: must be one of {', '.join(allowed)} (got {value!r})")
    return str(value)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UsageError(f"{where}: must be a number >= 0 (got {value!r})")
    return float(value)


def _rules(data: Mapping[str, Any], base: Rules, where: str) -> Rules:
    unknown = sorted(set(data) - _RULE_KEYS - {"path", "deadline"})
    if unknown:
        raise UsageError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    rules = base
    if "late" in data:
        late = _choice(data["late"], ("refuse", "accept", "penalty"), f"{where}.late")
        rules = replace(rules, late=late)  # type: ignore[arg-type]
    if "penalty_per_day" in data:
        penalty = _number(data["penalty_per_day"], f"{where}.penalty_per_day")
        if penalty > 100:
            raise UsageError(f"{where}.penalty_per_day: a percentage, at most 100")
        rules = replace(rules, penalty_per_day=penalty)
    if "max_submissions" in data:
        count = data["max_submissions"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise UsageError(f"{where}.max_submissions: must be a whole number >= 0")
        rules = replace(rules, max_submissions=count)
    if "cooldown" in data:
        rules = replace(rules, cooldown_s=_number(data["cooldown"], f"{where}.cooldown"))
    if "counts" in data:
        counts = _choice(data["counts"], ("last", "best"), f"{where}.counts")
        rules = replace(rules, counts=counts)  # type: ignore[arg-type]
    if "hidden" in data:
        hidden = _choice(
            data["hidden"], ("after_deadline", "immediately", "never"), f"{where}.hidden"
        )
        rules = replace(rules, hidden=hidden)  # type: ignore[arg-type]
    return rules


def _deadline(value: object, zone: dt.tzinfo, where: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise UsageError(f"{where}: not a date and time: {value!r}") from exc
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59))
    if not isinstance(value, dt.datetime):
        raise UsageError(f"{where}: must be a date and time, e.g. 2026-12-01T23:59:00")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.timezone.utc)


def _assignment_folder(root: Path, name: str, where: str) -> Path:
    for candidate in (root / name, root / "assignments" / name, bundled_assignments() / name):
        if (candidate / "assignment.toml").is_file():
            return candidate.resolve()
    raise UsageError(
        f"{where}: no assignment folder '{name}' (looked beside course.toml, in its "
        "assignments/ folder and among the bundled assignments)"
    )


def load_course(folder: str | Path) -> Course:
    """Read ``folder/course.toml``. Raises UsageError with a specific message when it is wrong."""
    root = Path(folder).resolve()
    path = root / "course.toml"
    if not path.is_file():
        raise UsageError(f"{root} has no course.toml (see the README's 'Run a course server')")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    try:
        zone: dt.tzinfo = ZoneInfo(str(data.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"{path}: unknown timezone {data.get('timezone')!r}") from exc
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise UsageError(f"{path}: [defaults] must be a table")
    base = _rules(defaults, Rules(), "defaults")
    tables = data.get("assignments", {})
    if not isinstance(tables, dict) or not tables:
        raise UsageError(f"{path}: no [assignments.<id>] table")
    assignments: dict[str, CourseAssignment] = {}
    for assignment_id, table in tables.items():
        where = f"assignments.{assignment_id}"
        if not _ID.fullmatch(assignment_id) or not isinstance(table, dict):
            raise UsageError(f"{path}: [{where}] must be a table named by an identifier")
        assignments[assignment_id] = CourseAssignment(
            id=assignment_id,
            path=_assignment_folder(root, str(table.get("path", assignment_id)), where),
            deadline=_deadline(table.get("deadline"), zone, f"{where}.deadline"),
            rules=_rules(table, base, where),
        )
    return Course(root=root, title=str(data.get("title", root.name)), assignments=assignments)


def demo_course(root: str | Path = ".") -> Course:
    """The bundled assignments as a course with no deadlines (``grader serve`` alone)."""
    bundled = bundled_assignments()
    assignments = {
        folder.name: CourseAssignment(folder.name, folder.resolve(), None, Rules())
        for folder in sorted(bundled.iterdir())
        if (folder / "assignment.toml").is_file()
    }
    return Course(root=Path(root).resolve(), title="Demo course", assignments=assignments)
