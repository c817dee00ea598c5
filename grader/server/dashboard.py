"""The instructor's view of the course: the gradebook and each assignment's statistics.

Built from :func:`grader.server.records.records` and the submissions that count
(:func:`grader.server.records.counting_ids`), late penalty applied, so the numbers are those
of the results document and the gradebook CSV. Statistics are over the submissions that count
(one per student): a student who submitted ten times weighs as much as one who submitted once.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.server.course import Course, CourseAssignment
from grader.server.models import User
from grader.server.records import Record, counting_ids, records
from grader.server.visibility import with_penalty

__all__ = [
    "AssignmentStats",
    "Bin",
    "CheckRate",
    "Gradebook",
    "GradebookRow",
    "assignment_stats",
    "counting_records",
    "gradebook",
    "gradebook_csv_text",
    "histogram",
]

HISTOGRAM_BINS = 10
COMMON_MESSAGES = 10


@dataclass(frozen=True)
class Bin:
    """Scores in ``[low, high)`` (the last bin includes its ``high``)."""

    low: float
    high: float
    count: int


@dataclass(frozen=True)
class CheckRate:
    """How often one check failed among the submissions that count."""

    check: str
    function: str
    failed: int
    total: int

    @property
    def rate(self) -> float:
        """The fraction failed, 0 when no submission ran the check."""
        return self.failed / self.total if self.total else 0.0


@dataclass(frozen=True)
class AssignmentStats:
    """One assignment at a glance."""

    assignment_id: str
    max_score: float
    scores: tuple[float, ...]
    bins: tuple[Bin, ...]
    rates: tuple[CheckRate, ...]
    messages: tuple[tuple[str, int], ...]  # (message, how many submissions that count)
    late: tuple[Record, ...]
    missing: tuple[User, ...]
    invalid: int = 0

    @property
    def mean(self) -> float | None:
        """The mean score, None with no submission."""
        return sum(self.scores) / len(self.scores) if self.scores else None


@dataclass(frozen=True)
class GradebookRow:
    """One student: their score per assignment (None: nothing graded counts yet)."""

    user: User
    scores: dict[str, float | None] = field(default_factory=dict)
    submissions: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """The sum of the scores that count."""
        return sum(s for s in self.scores.values() if s is not None)


@dataclass(frozen=True)
class Gradebook:
    """Students x assignments, sorted and filtered as asked."""

    assignments: tuple[str, ...]
    rows: tuple[GradebookRow, ...]
    sort: str
    descending: bool
    query: str


def counting_records(db: Session, entry: CourseAssignment) -> list[tuple[Record, dict[str, Any]]]:
    """The submission that counts for each student, with its document (penalty applied)."""
    return _counting(records(db, assignment_id=entry.id), entry)


def _counting(
    every: Sequence[Record], entry: CourseAssignment
) -> list[tuple[Record, dict[str, Any]]]:
    found = [r for r in every if r.result is not None]
    counts = counting_ids(found, entry.rules)
    out = []
    for record in found:
        if record.submission.id in counts:
            out.append((record, with_penalty(record.document() or {}, entry.rules)))
    return out


def histogram(scores: Sequence[float], max_score: float, bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """``bins`` equal bins over ``[0, max_score]``; a score at the maximum lands in the last."""
    top = max_score if max_score > 0 else max([*scores, 1.0])
    width = top / bins
    counts = [0] * bins
    for score in scores:
        index = min(bins - 1, max(0, int(score / width))) if width > 0 else 0
        counts[index] += 1
    return [Bin(i * width, (i + 1) * width, counts[i]) for i in range(bins)]


def _rates(documents: Iterable[dict[str, Any]]) -> list[CheckRate]:
    failed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    functions: dict[str, str] = {}
    for document in documents:
        for test in document.get("tests", ()):
            if not isinstance(test, dict):
                continue
            check = str(test.get("id", "?"))
            functions.setdefault(check, str(test.get("function", "")))
            total[check] += 1
            if test.get("outcome") != "passed":
                failed[check] += 1
    return [CheckRate(c, functions[c], failed[c], total[c]) for c in total]


def _messages(documents: Iterable[dict[str, Any]]) -> list[tuple[str, int]]:
    seen: Counter[str] = Counter()
    for document in documents:
        if document.get("status") == "invalid" and document.get("error"):
            seen[f"not graded: {str(document['error'])[:300]}"] += 1
        mine = set()
        for test in document.get("tests", ()):
            if isinstance(test, dict) and test.get("outcome") != "passed":
                message = str(test.get("message") or test.get("outcome") or "")[:300]
                mine.add(f"{test.get('id', '?')}: {message}")
        seen.update(mine)
    return seen.most_common(COMMON_MESSAGES)


def _students(db: Session) -> list[User]:
    return list(db.scalars(select(User).where(User.role == "student").order_by(User.id)))


def assignment_stats(db: Session, entry: CourseAssignment, max_score: float) -> AssignmentStats:
    """Histogram, failure rate per check (worst first), common failures, late and missing."""
    every = records(db, assignment_id=entry.id)
    documents = [document for _, document in _counting(every, entry)]
    graded = [d for d in documents if d.get("status") == "graded"]
    scores = tuple(float(d.get("score", 0.0)) for d in documents)
    submitted = {r.submission.user_id for r in every}
    late = tuple(r for r in every if r.submission.late_days > 0)
    return AssignmentStats(
        assignment_id=entry.id,
        max_score=max_score,
        scores=scores,
        bins=tuple(histogram(scores, max_score)),
        rates=tuple(sorted(_rates(graded), key=lambda rate: -rate.rate)),  # worst first
        messages=tuple(_messages(documents)),
        late=late,
        missing=tuple(u for u in _students(db) if u.id not in submitted),
        invalid=len(documents) - len(graded),
    )


def _sort_key(sort: str) -> Any:
    if sort == "name":
        return lambda row: (row.user.name.lower(), row.user.id)
    if sort == "total":
        return lambda row: (row.total, row.user.id)
    if sort.startswith("a:"):
        assignment = sort[2:]
        # students with nothing graded sort below a zero
        return lambda row: (
            row.scores.get(assignment) is not None,
            row.scores.get(assignment) or 0.0,
            row.user.id,
        )
    return lambda row: row.user.id


def gradebook(
    db: Session, course: Course, *, sort: str = "id", descending: bool = False, query: str = ""
) -> Gradebook:
    """Every student's counting score per assignment; ``query`` filters on id, name or email.

    ``sort`` is ``id``, ``name``, ``total`` or ``a:<assignment id>``; anything else sorts by id.
    """
    assignments = tuple(course.assignments)
    if sort.startswith("a:") and sort[2:] not in assignments:
        sort = "id"
    if sort not in ("id", "name", "total") and not sort.startswith("a:"):
        sort = "id"
    rows = {u.id: GradebookRow(u) for u in _students(db)}
    for assignment_id in assignments:
        entry = course.assignments[assignment_id]
        every = records(db, assignment_id=assignment_id)
        for record in every:
            row = rows.get(record.submission.user_id)
            if row is not None:
                row.submissions[assignment_id] = row.submissions.get(assignment_id, 0) + 1
        for record, document in _counting(every, entry):
            row = rows.get(record.submission.user_id)
            if row is not None:
                row.scores[assignment_id] = float(document.get("score", 0.0))
    needle = query.strip().lower()
    chosen = [
        row
        for row in rows.values()
        if not needle
        or needle in row.user.id.lower()
        or needle in row.user.name.lower()
        or needle in row.user.email.lower()
    ]
    chosen.sort(key=_sort_key(sort), reverse=descending)
    return Gradebook(assignments, tuple(chosen), sort, descending, query)


def _cell(text: str) -> str:
    # a spreadsheet runs a cell starting with = + - @ as a formula: a roster name cannot
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv_text(book: Gradebook) -> str:
    """The gradebook as CSV: id, name, email, one column per assignment, total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "name", "email", *book.assignments, "total"])
    for row in book.rows:
        scores = [row.scores.get(a) for a in book.assignments]
        writer.writerow(
            [
                _cell(row.user.id),
                _cell(row.user.name),
                _cell(row.user.email),
                *("" if s is None else f"{s:g}" for s in scores),
                f"{row.total:g}",
            ]
        )
    return out.getvalue()
