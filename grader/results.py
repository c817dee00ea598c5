"""Typed, frozen results and their JSON form (the results contract, schema_version 1).

These classes hold data only; rendering lives in :mod:`grader.reports`.
``to_dict()`` produces exactly the JSON documented in DESIGN.md and ``from_dict()``
reads it back, so other tools (and the resume cache) can round-trip results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = [
    "OUTCOMES",
    "SCHEMA_VERSION",
    "AssignmentInfo",
    "CheckResult",
    "GradingRun",
    "Outcome",
    "SubmissionResult",
    "Visibility",
]

SCHEMA_VERSION = 1

Outcome = Literal["passed", "failed", "error", "timeout", "missing"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "timeout", "missing")
Visibility = Literal["visible", "hidden"]
Status = Literal["graded", "invalid"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one test (one ``<function>.<check>``) on one submission."""

    id: str
    function: str
    score: float
    max_score: float
    outcome: Outcome
    message: str = ""
    visibility: Visibility = "hidden"
    duration_s: float = 0.0
    output: str = ""  # what the student's code printed during this test (capped)
    # For a hidden check: ``message`` without anything the student's code chose (exception
    # messages, returned values and numbers computed from them). None for visible checks.
    public_message: str | None = None
    # When the check's own code failed (grader.checkbug): "file:line: Error: message". The
    # outcome is then "error" and the submission keeps the check's points.
    check_bug: str | None = None

    @property
    def student_message(self) -> str:
        """The message a student may see: ``public_message`` when there is one, else ``message``.

        The runner gives every hidden check a ``public_message``. A result made without one
        (by hand, or by a grader older than the field) shows its ``message`` as it always did.
        """
        if self.visibility == "hidden" and self.public_message is not None:
            return self.public_message
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form of this result."""
        return {
            "id": self.id,
            "function": self.function,
            "score": self.score,
            "max_score": self.max_score,
            "outcome": self.outcome,
            "message": self.message,
            "visibility": self.visibility,
            "duration_s": round(self.duration_s, 6),
            "output": self.output,
            "public_message": self.public_message,
            "check_bug": self.check_bug,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(
            id=str(data["id"]),
            function=str(data["function"]),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            outcome=cast(Outcome, data["outcome"]),
            message=str(data.get("message", "")),
            visibility=cast(Visibility, data.get("visibility", "hidden")),
            duration_s=float(data.get("duration_s", 0.0)),
            output=str(data.get("output", "")),
            public_message=(
                None if data.get("public_message") is None else str(data["public_message"])
            ),
            check_bug=None if data.get("check_bug") is None else str(data["check_bug"]),
        )


@dataclass(frozen=True)
class SubmissionResult:
    """Everything the grader says about one submission file."""

    id: str
    path: str
    sha256: str
    status: Status
    error: str | None
    score: float
    max_score: float
    duration_s: float
    warnings: tuple[str, ...] = ()
    tests: tuple[CheckResult, ...] = ()

    @property
    def passed_all(self) -> bool:
        """True when the submission was graded and every test passed."""
        return self.status == "graded" and all(t.outcome == "passed" for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form of this result."""
        return {
            "id": self.id,
            "path": self.path,
            "sha256": self.sha256,
            "status": self.status,
            "error": self.error,
            "score": self.score,
            "max_score": self.max_score,
            "duration_s": round(self.duration_s, 6),
            "warnings": list(self.warnings),
            "tests": [t.to_dict() for t in self.tests],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(
            id=str(data["id"]),
            path=str(data["path"]),
            sha256=str(data["sha256"]),
            status=cast(Status, data["status"]),
            error=None if data.get("error") is None else str(data["error"]),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            duration_s=float(data.get("duration_s", 0.0)),
            warnings=tuple(str(w) for w in data.get("warnings", ())),
            tests=tuple(CheckResult.from_dict(t) for t in data.get("tests", ())),
        )


@dataclass(frozen=True)
class AssignmentInfo:
    """The assignment a run graded against."""

    id: str
    title: str
    max_score: float

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form."""
        return {"id": self.id, "title": self.title, "max_score": self.max_score}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssignmentInfo:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", data["id"])),
            max_score=float(data["max_score"]),
        )


@dataclass(frozen=True)
class GradingRun:
    """The results of one ``grader grade`` run: the whole JSON document."""

    grader_version: str
    assignment: AssignmentInfo
    isolation: dict[str, bool]
    submissions: tuple[SubmissionResult, ...] = ()
    isolation_warnings: tuple[str, ...] = field(default=())
    # run-level warnings for the instructor about the machine (a required module missing)
    environment_warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON document of DESIGN.md's results contract."""
        return {
            "schema_version": SCHEMA_VERSION,
            "grader_version": self.grader_version,
            "assignment": self.assignment.to_dict(),
            "isolation": dict(self.isolation),
            "isolation_warnings": list(self.isolation_warnings),
            "environment_warnings": list(self.environment_warnings),
            "submissions": [s.to_dict() for s in self.submissions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradingRun:
        """Rebuild a run from :meth:`to_dict` output (schema_version 1 only)."""
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"results have schema_version {version!r}; this grader reads {SCHEMA_VERSION}"
            )
        return cls(
            grader_version=str(data["grader_version"]),
            assignment=AssignmentInfo.from_dict(data["assignment"]),
            isolation={str(k): bool(v) for k, v in data.get("isolation", {}).items()},
            submissions=tuple(SubmissionResult.from_dict(s) for s in data["submissions"]),
            isolation_warnings=tuple(str(w) for w in data.get("isolation_warnings", ())),
            environment_warnings=tuple(
                str(w) for w in data.get("environment_warnings", ())
            ),
        )
