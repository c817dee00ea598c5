"""What a student may see of a result: decided when it is read, from the assignment's policy.

The stored document has every check. A student sees the visible checks at once, with their
messages; the hidden checks' scores and messages follow the policy (``hidden`` in course.toml):
``immediately``, ``after_deadline`` (the default; with no deadline there is nothing to wait
for), or ``never``. Until then the student sees how many hidden checks there are and what they
are worth, and a score out of the visible checks only, so the total cannot leak them. Hidden
checks never show the student's printed output nor the instructor-only fields, whatever the
policy. Changing the policy needs no regrade.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from grader.results import CheckResult
from grader.server.course import Rules

__all__ = ["hidden_shown", "late_penalty", "student_view", "with_penalty"]

_INSTRUCTOR_ONLY = ("check_bug", "public_message")


def hidden_shown(rules: Rules, deadline: dt.datetime | None, now: dt.datetime) -> bool:
    """True when a student may see hidden checks now (UTC times without a zone)."""
    if rules.hidden == "immediately":
        return True
    if rules.hidden == "never":
        return False
    return deadline is None or now >= deadline


def late_penalty(document: dict[str, Any], rules: Rules) -> float:
    """Points taken for lateness: ``penalty_per_day`` percent of the maximum per late day."""
    days = int(document.get("late_days", 0) or 0)
    if rules.late != "penalty" or days <= 0:
        return 0.0
    percent = min(100.0, rules.penalty_per_day * days)
    return float(document.get("max_score", 0.0)) * percent / 100.0


def with_penalty(document: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """The document with its late penalty applied to ``score`` (the grader's own kept)."""
    penalty = late_penalty(document, rules)
    out = dict(document)
    if penalty > 0:
        out["score_before_penalty"] = document["score"]
        out["late_penalty"] = penalty
        out["score"] = max(0.0, float(document["score"]) - penalty)
    return out


def _student_test(test: dict[str, Any]) -> dict[str, Any]:
    check = CheckResult.from_dict(test)
    out = {k: v for k, v in test.items() if k not in _INSTRUCTOR_ONLY}
    out["message"] = check.student_message
    if check.visibility == "hidden":
        out["output"] = ""  # printed output can carry a hidden check's inputs
    if check.check_bug is not None:
        out["message"] = "this check could not run; your score keeps its points"
    return out


def student_view(
    document: dict[str, Any], rules: Rules, deadline: dt.datetime | None, now: dt.datetime
) -> dict[str, Any]:
    """The result entry a student may read now, penalty applied."""
    doc = with_penalty(document, rules)
    tests = [t for t in doc.get("tests", ()) if isinstance(t, dict)]
    out = {k: v for k, v in doc.items() if k not in ("tests", "path")}
    out["path"] = document.get("path", "")
    if hidden_shown(rules, deadline, now):
        out["tests"] = [_student_test(t) for t in tests]
        out["hidden"] = {"shown": True}
        return out
    visible = [t for t in tests if t.get("visibility") == "visible"]
    hidden = [t for t in tests if t.get("visibility") != "visible"]
    out["tests"] = [_student_test(t) for t in visible]
    score = sum(float(t.get("score", 0.0)) for t in visible)
    most = sum(float(t.get("max_score", 0.0)) for t in visible)
    penalty = late_penalty({**document, "max_score": most}, rules)
    out["score"], out["max_score"] = max(0.0, score - penalty), most
    out.pop("score_before_penalty", None)
    if penalty > 0:
        out["late_penalty"] = penalty
    out["hidden"] = {
        "shown": False,
        "checks": len(hidden),
        "max_score": sum(float(t.get("max_score", 0.0)) for t in hidden),
        "shown_after": None
        if rules.hidden == "never" or deadline is None
        else deadline.isoformat() + "Z",
    }
    return out
