"""Grade many submissions against one assignment: parallel, resumable, in the plan's order.

:func:`run_batch` hands each result to a callback as soon as it and every result before it
in the plan are known, then forgets it, so memory does not grow with the number of
submissions (only a bounded window of results waits for an earlier, slower one). With a
:class:`~grader.cache.ResultCache`, each result is stored the moment it is graded and a
re-run grades only new or changed files.

Parallelism (``backend``):

- ``processes`` (``auto`` picks it unless the batch is small): ``jobs`` worker processes,
  each owning a :class:`~grader.runner.Grader` and its zygote. Much of a submission's cost
  is Python in the grader's own process (reading and validating the notebook, the checks),
  which threads of one process run one at a time under the GIL; worker processes do not.
  Results travel back between trusted grader processes (pickled ``SubmissionResult``);
  nothing from a sandbox is ever unpickled.
- ``threads``: a thread pool over one shared :class:`~grader.runner.Grader` (one zygote);
  no start-up cost, so ``auto`` uses it for small batches.
- ``jobs == 1`` or a single submission: everything in this process, one after another.
- ``settings.cluster`` (``local:N`` or a scheduler's address): on Dask distributed, one
  warm Grader per worker (:mod:`grader.batch_dask`); the optional ``cluster`` extra.

Ctrl-C (SIGINT, when the batch runs in the main thread) asks the batch to stop: it starts
no more submissions, lets the ones in progress finish (each is bounded by its limits),
caches and emits them, and returns with ``interrupted`` set. The first Ctrl-C only sets a
flag; a second one raises KeyboardInterrupt wherever the batch is, which the batch also
treats as a request to stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment
from grader.batch_backends import (
    BatchOutcome,
    BatchSettings,
    ResultCallback,
    State,
    run_processes,
    run_serial,
    run_threads,
    sigint_requests_stop,
)
from grader.collect import collect
from grader.ids import submission_id_for, unique_ids
from grader.results import GradingRun, SubmissionResult

__all__ = [
    "BatchOutcome",
    "BatchSettings",
    "SubmissionPlan",
    "collect_plan",
    "grade_submissions",
    "plan_submissions",
    "run_batch",
]

# ``auto`` uses threads below this many submissions per job: starting a worker process (an
# interpreter, numpy, the assignment, a zygote) costs about as much as grading a few dozen.
_PROCESSES_FROM = 8
_LISTED = 5  # files named in a several-submissions warning; the rest are counted
_NAME_CHARS = 120  # of each file's name there: a stranger's nested folders can be long


@dataclass(frozen=True)
class SubmissionPlan:
    """What to grade: (id, file) pairs, and the entries passed over, each with its reason.

    ``students`` names, entry by entry, whose submission it is (the student's folder, or the
    file's stem); ``warnings`` has one line per student with several submissions.
    """

    entries: tuple[tuple[str, Path], ...]
    skipped: tuple[str, ...] = ()
    students: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def collect_plan(paths: Sequence[str | Path]) -> SubmissionPlan:
    """The submissions under ``paths`` with unique, safe ids (see :mod:`grader.ids`).

    Ids come from file or student-folder names; a link found in a folder is planned as it is
    (the reader grades it invalid), never followed. Several notebooks in one student's folder
    are each graded, as ``alice``, ``alice-2``... in path order, and the plan warns once for
    that student, naming the files and the ids they get.
    """
    collection = collect(paths)
    bases = [submission_id_for(f.named, f.root) for f in collection.files]
    ids = unique_ids(bases)
    entries = tuple((sid, f.path) for sid, f in zip(ids, collection.files, strict=True))
    files = [_shown(f.named, f.root) for f in collection.files]
    warnings = several_per_student(bases, ids, files)
    return SubmissionPlan(entries, collection.skipped, tuple(bases), warnings)


def _shown(path: Path, root: Path | None) -> str:
    """How a file is named in a warning: within the folder given, or as typed (bounded)."""
    text = path.relative_to(root).as_posix() if root is not None else str(path)
    return text if len(text) <= _NAME_CHARS else "..." + text[-_NAME_CHARS:]


def several_per_student(
    students: Sequence[str], ids: Sequence[str], files: Sequence[str]
) -> tuple[str, ...]:
    """One warning per student with several submissions, in the order students first appear.

    Each names the files (a few, then how many more) and the ids they are graded under.
    """
    mine: dict[str, list[int]] = {}
    for index, student in enumerate(students):
        mine.setdefault(student, []).append(index)
    warnings = []
    for student, indices in mine.items():
        if len(indices) < 2:
            continue
        shown = indices[:_LISTED]
        more = f" and {len(indices) - _LISTED} more" if len(indices) > _LISTED else ""
        pairs = ", ".join(f"{files[i]} as {ids[i]}" for i in shown)
        warnings.append(
            f"{student} has {len(indices)} submissions, each graded on its own: "
            f"{pairs}{more}; the gradebook's path column tells them apart"
        )
    return tuple(warnings)


def plan_submissions(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """The (id, file) pairs to grade: ids from file or folder names, made unique."""
    return list(collect_plan(paths).entries)


def run_batch(
    assignment: Assignment,
    plan: Sequence[tuple[str, Path]],
    on_result: ResultCallback,
    *,
    settings: BatchSettings | None = None,
    on_progress: Callable[[bool], None] | None = None,
) -> BatchOutcome:
    """Grade ``plan``, calling ``on_result(result, cached)`` once per submission, in order.

    Args:
        assignment: the loaded assignment.
        plan: (id, path) pairs, e.g. from :func:`plan_submissions`.
        on_result: receives each result in the plan's order; may raise KeyboardInterrupt to
            stop the batch (that result counts as emitted).
        settings: jobs, backend, visibility, cache; defaults to :class:`BatchSettings()`.
        on_progress: called with ``cached`` as each submission finishes (any order).

    Returns:
        The counts, whether the batch was interrupted, and the run's header.

    Raises:
        SandboxError: if the sandbox cannot start.
        OSError: if the cache cannot be written.
        UsageError: ``settings.cluster`` without Dask installed, or unreachable.
    """
    settings = settings or BatchSettings()
    state = State(assignment, plan, settings, on_result, on_progress)
    jobs = settings.job_count()
    with sigint_requests_stop(state):
        if settings.cluster is not None:
            from grader.batch_dask import run_cluster

            run_cluster(state, settings.cluster)
        elif jobs == 1 or len(plan) <= 1:
            run_serial(state)
        elif settings.backend == "threads" or (
            settings.backend == "auto" and len(plan) < _PROCESSES_FROM * jobs
        ):
            run_threads(state, jobs)
        else:
            run_processes(state, jobs)
    return state.finish()


def grade_submissions(
    assignment: Assignment,
    paths: Sequence[str | Path],
    *,
    jobs: int | None = None,
    visibility: str = "all",
    on_result: Callable[[SubmissionResult], None] | None = None,
) -> GradingRun:
    """Grade every submission under ``paths`` into one in-memory run, in the plan's order.

    Convenient for a handful of submissions; for a course, use :func:`run_batch` with
    streaming reports, whose memory does not grow with the number of submissions.
    """
    results: list[SubmissionResult] = []

    def keep(result: SubmissionResult, cached: bool) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    settings = BatchSettings(jobs=jobs, visibility=visibility, backend="threads")
    outcome = run_batch(assignment, plan_submissions(paths), keep, settings=settings)
    header = outcome.header
    return GradingRun(
        grader_version=header.grader_version,
        assignment=header.assignment,
        isolation=header.isolation,
        submissions=tuple(results),
        isolation_warnings=header.isolation_warnings,
        environment_warnings=header.environment_warnings,
    )
