"""Report writers that take one submission at a time, so memory stays flat in the batch size.

Each writer has ``add(sub)`` (called in the plan's order) and ``finish(header, partial)``.
The single-file reports (JSON, CSV, JUnit) are written to a temporary file next to their
target and renamed into place by ``finish``: a report under its real name is always whole,
and a run killed before ``finish`` leaves any previous report untouched. The per-student
reports (Gradescope, feedback) are written atomically one file at a time, named by
submission id, made safe for a file system and unique within the run, so no result ever
overwrites another's. If rendering one of them fails, that submission gets a short fallback
(its score, and a note that the feedback could not be rendered) and the run goes on.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from grader.reports._common import fmt_num, one_line
from grader.reports._io import atomic_write, open_part
from grader.reports._plain_html import plain_page
from grader.reports.feedback_md import feedback_markdown, md_escape
from grader.reports.gradebook import gradebook_header, gradebook_row
from grader.reports.gradescope import gradescope_results
from grader.reports.junit import JUnitCounts, junit_root_tag, junit_suite
from grader.results import GradingRun, SubmissionResult

__all__ = [
    "CsvStream",
    "FeedbackStream",
    "GradescopeStream",
    "JUnitStream",
    "JsonStream",
    "ReportStream",
    "SafeNames",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


_NOT_RENDERED = (
    "Your detailed feedback could not be rendered; your score is recorded. "
    "Please tell your instructor."
)


def _or_fallback(render: Callable[[], Any], fallback: Callable[[], Any]) -> Any:
    """``render()``, or ``fallback()`` if it raises: one submission never stops the run."""
    try:
        return render()
    except Exception:  # a renderer's bug on one odd result must not cost the others theirs
        return fallback()


def _score_text(sub: SubmissionResult) -> str:
    return f"Score: {fmt_num(sub.score)} / {fmt_num(sub.max_score)}"


def _fallback_markdown(sub: SubmissionResult) -> str:
    title = md_escape(one_line(sub.id))
    return f"# Feedback: {title}\n\n**{_score_text(sub)}**\n\n{_NOT_RENDERED}\n"


def _fallback_gradescope(sub: SubmissionResult) -> dict[str, Any]:
    score = sub.score if sub.status == "graded" and math.isfinite(sub.score) else 0.0
    return {"score": score, "output": f"{_score_text(sub)}\n{_NOT_RENDERED}", "tests": []}


class ReportStream(Protocol):
    """A report written one submission at a time."""

    def add(self, sub: SubmissionResult) -> None:
        """Write one submission (calls come in the plan's order)."""

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Complete the report; ``header`` carries the run's metadata (no submissions)."""

    def abort(self) -> None:
        """Give up: remove temporary files, leave the target as it was."""


class SafeNames:
    """File-name stems for submission ids: safe on any file system and unique in a run."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def name(self, submission_id: str) -> str:
        """A stem for ``submission_id``; a collision gets ``-2``, ``-3``... appended."""
        base = _UNSAFE.sub("_", submission_id).strip(".") or "submission"
        base = base[:100]
        name, n = base, 1
        while name.lower() in self._used:  # case-insensitive file systems collide too
            n += 1
            name = f"{base}-{n}"
        self._used.add(name.lower())
        return name


class _PartFile:
    """A file written next to ``path`` and renamed to it on :meth:`commit`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = open_part(self.path)
        try:
            self.handle: IO[str] = os.fdopen(
                fd, "w", encoding="utf-8", errors="replace", newline=""
            )
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise

    def commit(self) -> None:
        """Close and move into place; on any failure the temporary file is removed."""
        try:
            self.handle.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close and remove without touching the target (safe to call again, or after commit)."""
        with contextlib.suppress(OSError):  # closing flushes: a full disk must not stop the rest
            self.handle.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def _spool() -> IO[str]:
    return tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace", newline="")


def _write_around(path: Path, spool: IO[str], before: str, after: str) -> None:
    """Write ``before``, the spooled text and ``after`` to ``path`` in one atomic step.

    The spool is closed whatever happens; a failed write leaves no partial file.
    """
    out = _PartFile(path)
    try:
        out.handle.write(before)
        spool.seek(0)
        shutil.copyfileobj(spool, out.handle)
        out.handle.write(after)
        out.commit()
    except BaseException:
        out.discard()
        raise
    finally:
        spool.close()


class JsonStream:
    """DESIGN.md's results document, plus ``"partial"`` and ``"planned"`` at the end.

    For a complete run the document equals :func:`~grader.reports.json_report` of the same
    results, with those two fields added.
    """

    def __init__(self, path: str | Path, planned: int) -> None:
        self.path = Path(path)
        self.planned = planned
        self._spool = _spool()
        self._count = 0

    def add(self, sub: SubmissionResult) -> None:
        """Append one submission (to a temporary spool; the header comes at the end)."""
        text = json.dumps(sub.to_dict(), indent=2, allow_nan=False)
        self._spool.write((",\n" if self._count else "\n") + textwrap.indent(text, "    "))
        self._count += 1

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Write header, submissions and trailer to the target."""
        head = json.dumps(header.to_dict(), indent=2, allow_nan=False)
        head = head[: head.rindex('"submissions"')]  # the last key of to_dict()
        tail = {"partial": partial, "planned": self.planned}
        after = ("\n  ]" if self._count else "]") + "".join(
            f',\n  "{k}": {json.dumps(v)}' for k, v in tail.items()
        )
        _write_around(self.path, self._spool, head + '"submissions": [', after + "\n}\n")

    def abort(self) -> None:
        """Drop the spooled submissions."""
        self._spool.close()


class CsvStream:
    """The CSV gradebook (see :func:`~grader.reports.gradebook_csv`), row by row."""

    def __init__(self, path: str | Path, functions: Sequence[str]) -> None:
        self.functions = list(functions)
        header = gradebook_header(self.functions)
        self._out = _PartFile(path)
        self._writer = csv.writer(self._out.handle)
        self._writer.writerow(header)

    def add(self, sub: SubmissionResult) -> None:
        """Write one row."""
        self._writer.writerow(gradebook_row(sub, self.functions))

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Move the gradebook into place (a partial run has fewer rows, nothing else)."""
        self._out.commit()

    def abort(self) -> None:
        """Remove the temporary file."""
        self._out.discard()


class JUnitStream:
    """The JUnit XML document (see :func:`~grader.reports.junit_xml`), suite by suite."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._spool = _spool()
        self._counts = JUnitCounts()

    def add(self, sub: SubmissionResult) -> None:
        """Render one submission's suite to the spool and count its tests."""
        suite, counts = junit_suite(sub)
        self._counts.add(counts)
        self._spool.write("  " + suite + "\n")

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Write the root element with the totals around the spooled suites."""
        before, after = junit_root_tag(header.assignment.id, self._counts)
        _write_around(self.path, self._spool, before, after)

    def abort(self) -> None:
        """Drop the spooled suites."""
        self._spool.close()


class GradescopeStream:
    """One Gradescope ``results.json`` per submission: ``<dir>/<id>/results.json``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._names = SafeNames()

    def add(self, sub: SubmissionResult) -> None:
        """Write this submission's results.json."""
        data = _or_fallback(
            lambda: json.dumps(gradescope_results(sub), indent=2, allow_nan=False),
            lambda: json.dumps(_fallback_gradescope(sub), indent=2, allow_nan=False),
        )
        atomic_write(self.directory / self._names.name(sub.id) / "results.json", data + "\n")

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Nothing left to write: every file was written by :meth:`add`."""

    def abort(self) -> None:
        """Nothing to undo: the files written so far are whole and stay."""


class FeedbackStream:
    """Per-student feedback: ``<dir>/<id>.md`` and ``<dir>/<id>.html``.

    Args:
        directory: where the files go.
        title: the Markdown heading (the assignment's title).
        html: also render the student's notebook with feedback cells (nbconvert; slower).
    """

    def __init__(self, directory: str | Path, title: str, *, html: bool = True) -> None:
        self.directory = Path(directory)
        self.title = title
        self.html = html
        self._names = SafeNames()

    def add(self, sub: SubmissionResult) -> None:
        """Write this student's feedback files."""
        name = self._names.name(sub.id)
        markdown = _or_fallback(
            lambda: feedback_markdown(sub, title=self.title), lambda: _fallback_markdown(sub)
        )
        atomic_write(self.directory / f"{name}.md", markdown)
        if self.html:
            page = _or_fallback(
                lambda: _feedback_html(sub.path, sub),
                lambda: plain_page(f"Feedback: {one_line(sub.id)}", _fallback_markdown(sub)),
            )
            atomic_write(self.directory / f"{name}.html", page)

    def finish(self, header: GradingRun, *, partial: bool) -> None:
        """Nothing left to write: every file was written by :meth:`add`."""

    def abort(self) -> None:
        """Nothing to undo: the files written so far are whole and stay."""


def _feedback_html(path: str, sub: SubmissionResult) -> str:
    """The HTML feedback page; nbconvert is imported here, only when HTML is asked for."""
    from grader.reports.notebook_html import feedback_html

    return feedback_html(path, sub)
