"""Grade many submissions against one assignment, in parallel, in a deterministic order."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader import __version__
from grader.assignment import Assignment
from grader.results import AssignmentInfo, GradingRun, SubmissionResult
from grader.runner import Grader, find_submissions, submission_id_for

__all__ = ["grade_submissions", "plan_submissions"]


def plan_submissions(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """The (id, file) pairs to grade: ids from file or folder names, made unique."""
    plan: list[tuple[str, Path]] = []
    seen: dict[str, int] = {}
    for path, root in find_submissions(paths):
        base = submission_id_for(path, root)
        count = seen.get(base, 0) + 1
        seen[base] = count
        plan.append((base if count == 1 else f"{base}-{count}", path))
    return plan


def grade_submissions(
    assignment: Assignment,
    paths: Sequence[str | Path],
    *,
    jobs: int | None = None,
    visibility: str = "all",
    on_result: Callable[[SubmissionResult], None] | None = None,
) -> GradingRun:
    """Grade every submission under ``paths``; results keep the order of the plan."""
    plan = plan_submissions(paths)
    jobs = max(1, jobs or os.cpu_count() or 1)
    with Grader(assignment, visibility=visibility) as grader:
        if jobs == 1 or len(plan) <= 1:
            results = []
            for sid, path in plan:
                result = grader.grade_path(path, sid)
                if on_result:
                    on_result(result)
                results.append(result)
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(grader.grade_path, path, sid) for sid, path in plan]
                results = []
                for future in futures:
                    result = future.result()
                    if on_result:
                        on_result(result)
                    results.append(result)
        isolation = {"process": True, "resource_limits": True}
    return GradingRun(
        grader_version=__version__,
        assignment=AssignmentInfo(assignment.id, assignment.title, grader.max_score),
        isolation=isolation,
        submissions=tuple(results),
    )
