"""``grader grade``: grade one or many submissions against an assignment.

Parallel (``--jobs``), resumable (a content-addressed cache, ``--force`` to regrade), with a
progress bar on a terminal and log lines elsewhere (stderr), and every report written as
results arrive, in the plan's order, so memory stays flat however many submissions there
are. Ctrl-C keeps everything graded so far: the reports are written for it, marked partial,
and the exit status is 130.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from grader.commands._outpaths import OutputError
from grader.exitcodes import ExitCode

if TYPE_CHECKING:
    from grader.assignment import Check
    from grader.batch import BatchOutcome, BatchSettings
    from grader.reports.stats import StatsAccumulator
    from grader.reports.stream import ReportStream
    from grader.results import SubmissionResult

NAME = "grade"
HELP = "grade one or many submissions (files or folders)"
TABLE_LIMIT = 50  # above this many submissions the per-submission table is only printed on request
DEFAULT_CACHE = ".grader-cache"
_FILE_OPTIONS = ("json", "csv", "junit", "summary")  # each names one report file
_FOLDER_OPTIONS = ("gradescope", "feedback")  # each names a folder of per-student files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``grade``."""
    parser.add_argument("assignment", help="assignment folder or id")
    parser.add_argument("submissions", nargs="+", help="notebooks, .py files or folders")
    run = parser.add_argument_group("running")
    run.add_argument(
        "-j", "--jobs", type=_positive, default=None, help="parallel jobs (default: CPU count)"
    )
    run.add_argument(
        "--parallel",
        choices=("auto", "processes", "threads"),
        default="auto",
        help="worker processes, each with its own grader, or threads over one grader "
        "(default auto: processes unless the batch is small)",
    )
    run.add_argument(
        "--cluster",
        metavar="ADDRESS",
        type=_cluster,
        default=None,
        help="grade on Dask distributed: a scheduler address (tcp://host:8786) or local:N "
        "(N worker processes here); needs pip install 'grader[cluster]'",
    )
    run.add_argument(
        "--public-only", action="store_true", help="run only the public (visible) tests"
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="refuse to grade (exit 5) unless every sandbox isolation layer is active",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the per-submission table and warnings: no progress, no summary",
    )
    cache = parser.add_argument_group("resuming")
    cache.add_argument(
        "--cache",
        metavar="DIR",
        default=DEFAULT_CACHE,
        help=f"keep graded results here and reuse them (default: ./{DEFAULT_CACHE})",
    )
    cache.add_argument("--no-cache", action="store_true", help="neither read nor write a cache")
    cache.add_argument("--force", action="store_true", help="regrade what the cache holds")
    out = parser.add_argument_group("reports")
    out.add_argument("--json", metavar="FILE", help="the results document (DESIGN.md)")
    out.add_argument("--csv", metavar="FILE", help="gradebook: one row per student")
    out.add_argument("--gradescope", metavar="DIR", help="DIR/<id>/results.json per student")
    out.add_argument("--junit", metavar="FILE", help="JUnit XML, one suite per student")
    out.add_argument("--feedback", metavar="DIR", help="DIR/<id>.md and DIR/<id>.html")
    out.add_argument("--summary", metavar="FILE", help="instructor summary (Markdown)")
    out.add_argument(
        "--table",
        action="store_true",
        help=f"print the per-submission table even for more than {TABLE_LIMIT} submissions",
    )
    parser.add_argument(
        "--fail-under",
        type=_score,
        default=None,
        metavar="SCORE",
        help="exit 1 if any submission scores below SCORE",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _cluster(text: str) -> str:
    from grader.batch_dask import parse_cluster
    from grader.errors import UsageError

    try:
        return parse_cluster(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--cluster {text!r}: ")) from None


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):  # `score < nan` is never true: the gate would never fail
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Grade, stream the reports, print the table and the summary; return the exit code."""
    from grader.assignment import load_assignment
    from grader.batch import BatchSettings, collect_plan, run_batch
    from grader.cache import ResultCache
    from grader.errors import UsageError
    from grader.progress import make_progress

    _check_paths(args)  # before anything is loaded or graded: a typo costs one line
    if args.cluster:
        from grader.batch_dask import require_dask

        require_dask()
    assignment = load_assignment(args.assignment)
    collected = collect_plan(args.submissions)
    _print_skipped([*collected.skipped, *collected.warnings])
    plan = list(collected.entries)
    if not plan:
        raise UsageError("no .ipynb or .py submissions found under the given paths")
    _refuse_overwriting_submissions(args, plan)
    visibility = "visible" if args.public_only else "all"
    settings = BatchSettings(
        jobs=args.jobs,
        backend=args.parallel,
        visibility=visibility,
        cache=None if args.no_cache else ResultCache(args.cache),
        force=args.force,
        strict=args.strict,
        cluster=args.cluster,
    )
    functions = _functions(assignment.select(visibility))
    outputs = _Outputs(args, plan, functions, assignment.title)
    outputs.plan_warnings = collected.warnings
    start = time.monotonic()
    try:  # whatever goes wrong from here on, no temporary report file stays behind
        progress = None if args.quiet else make_progress(len(plan), sys.stderr)
        try:
            outcome = run_batch(
                assignment,
                plan,
                outputs.add,
                settings=settings,
                on_progress=(lambda cached: progress.advance(cached=cached)) if progress else None,
            )
        finally:
            if progress is not None:
                progress.close()
        outputs.finish(outcome)
    except BaseException:
        outputs.abort()
        raise
    _print_counts(outcome, settings, time.monotonic() - start, quiet=args.quiet)
    if outcome.interrupted:
        return ExitCode.INTERRUPTED
    if outputs.low_scores:
        return ExitCode.CHECKS_FAILED
    return ExitCode.OK


def _check_paths(args: argparse.Namespace) -> None:
    """Refuse missing submissions and unusable report paths before any grading."""
    from grader.commands._outpaths import check_output_paths
    from grader.errors import UsageError

    missing = [p for p in args.submissions if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    files = {f"--{name}": getattr(args, name) for name in _FILE_OPTIONS}
    folders = {f"--{name}": getattr(args, name) for name in _FOLDER_OPTIONS}
    if not args.no_cache:
        folders["--cache"] = args.cache
    try:
        check_output_paths(files, folders)
    except UsageError as exc:
        if str(exc).startswith("--cache ") and args.cache == DEFAULT_CACHE:
            # The default cache was not asked for: say how to do without it.
            raise UsageError(f"{exc} (pass --cache DIR elsewhere, or --no-cache)") from None
        raise


def _refuse_overwriting_submissions(args: argparse.Namespace, plan: list[tuple[str, Path]]) -> None:
    """A report named like a submission (``--json alice.ipynb``) would destroy a student's work."""
    from grader.errors import UsageError

    graded = {Path(path).resolve() for _, path in plan}
    for name in _FILE_OPTIONS:
        value = getattr(args, name)
        if value and Path(value).resolve() in graded:
            raise UsageError(f"--{name} {value}: is a submission being graded; choose another file")


def _print_skipped(skipped: Sequence[str]) -> None:
    """Entries passed over while collecting (links, pipes, unreadable folders), and students
    with several submissions: never silent."""
    from grader.reports._common import one_line

    for line in skipped:
        print(f"grader: warning: {one_line(line, 400)}", file=sys.stderr)


def _functions(checks: Sequence[Check]) -> list[str]:
    return list(dict.fromkeys(c.spec.function for c in checks))


def _print_counts(
    outcome: BatchOutcome, settings: BatchSettings, elapsed_s: float, *, quiet: bool
) -> None:
    """The closing line on stderr (only what needs acting on with ``-q``) and the warnings."""
    from grader.durations import fmt_duration

    cached = outcome.emitted - outcome.graded
    where = f" from the cache ({settings.cache.directory})" if settings.cache else ""
    line = f"grader: {outcome.graded} graded, {cached}{where or ' cached'}"
    line += f" in {fmt_duration(elapsed_s)}"
    if outcome.interrupted:
        line += f"; interrupted: {outcome.planned - outcome.emitted} not graded (re-run to finish)"
    if outcome.interrupted or not quiet:
        print(line, file=sys.stderr)
    for warning in (*outcome.header.isolation_warnings, *outcome.header.environment_warnings):
        print(f"grader: warning: {warning}", file=sys.stderr)


class _Outputs:
    """Everything that consumes results: report streams, summary, table, gate, feedback."""

    def __init__(
        self,
        args: argparse.Namespace,
        plan: list[tuple[str, Path]],
        functions: list[str],
        title: str,
    ) -> None:
        from grader.reports._common import one_line

        self.args = args
        self.title = title
        self.functions = functions
        self.planned = len(plan)
        self.stats: StatsAccumulator | None = None  # created when the max score is known
        self.show_table = args.table or len(plan) <= TABLE_LIMIT
        self.single = len(plan) == 1
        self.last: SubmissionResult | None = None
        self.plan_warnings: Sequence[str] = ()  # e.g. a student with several notebooks
        self.low_scores = 0  # submissions below --fail-under
        self.color = sys.stdout.isatty()
        self.id_width = max(len(one_line(sid, 40)) for sid, _ in plan)
        self.table: IO[str] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=1 << 20, mode="w+", encoding="utf-8", errors="replace"
        )
        self.streams: list[tuple[str, ReportStream]] = []
        try:
            _open_streams(self.streams, args, len(plan), functions, title)
        except BaseException:
            self.abort()
            raise

    def add(self, sub: SubmissionResult, cached: bool) -> None:
        """Hand one result (in plan order) to every consumer."""
        from grader.reports._common import fmt_num
        from grader.reports.stats import StatsAccumulator
        from grader.reports.terminal import terminal_row

        for option, stream in self.streams:
            with _writing(option):
                stream.add(sub)
        if self.stats is None:
            self.stats = StatsAccumulator(sub.max_score)
        self.stats.add(sub)
        if self.args.fail_under is not None and sub.score < self.args.fail_under:
            self.low_scores += 1
        if self.show_table:
            top = fmt_num(round(sub.max_score, 2))
            width = len(f"{top}/{top}")
            self.table.write(
                terminal_row(
                    sub,
                    self.functions,
                    id_width=self.id_width,
                    score_width=width,
                    color=self.color,
                )
            )
        if self.single:
            self.last = sub

    def abort(self) -> None:
        """The batch failed: leave no temporary files behind (safe to call more than once)."""
        for _, stream in self.streams:
            stream.abort()
        self.table.close()

    def finish(self, outcome: BatchOutcome) -> None:
        """Complete the reports, then print the table, the failures and the summary.

        Raises:
            OutputError: a report could not be written; every other report still was.
        """
        from grader.reports.stats import StatsAccumulator
        from grader.reports.summary import stats_markdown, stats_text

        header, partial = outcome.header, outcome.interrupted
        failures: list[str] = []
        for option, stream in self.streams:
            try:
                with _writing(option):
                    stream.finish(header, partial=partial)
            except OutputError as exc:
                failures.append(str(exc))
        stats = (self.stats or StatsAccumulator(header.assignment.max_score)).stats()
        note = (
            f"**Partial run**: interrupted after {outcome.emitted} of {outcome.planned} "
            "submissions.\n\n"
            if partial
            else ""
        )
        warnings = [*header.environment_warnings, *self.plan_warnings]
        if self.args.summary:
            from grader.reports import write_report

            try:
                with _writing("--summary"):
                    markdown = stats_markdown(self.title, stats, warnings=warnings)
                    write_report(self.args.summary, note + markdown)
            except OutputError as exc:
                failures.append(str(exc))
        self._print_table()
        if self.last is not None:
            # One submission (a student, or a TA checking one file): what to fix is the
            # whole story; a score distribution of one would only be noise.
            sys.stdout.write(_failures_text(self.last))
        elif not self.args.quiet:
            print()
            text = stats_text(self.title, stats, warnings=warnings)
            sys.stdout.write(note.replace("**", "") + text)
        if failures:
            raise OutputError("; ".join(failures))

    def _print_table(self) -> None:
        from grader.reports.terminal import legend

        self.table.seek(0)
        printed = False
        for line in self.table:
            sys.stdout.write(line)
            printed = True
        self.table.close()
        if printed and not self.args.quiet:
            sys.stdout.write(legend(self.functions, color=self.color))
        elif not self.show_table and not self.args.quiet:
            print(
                f"(per-submission table not printed for {self.planned} submissions, more "
                f"than {TABLE_LIMIT}: add --table to print it)"
            )


@contextlib.contextmanager
def _writing(option: str) -> Iterator[None]:
    """Turn a failed write into one line naming the report (exit 74), not a traceback."""
    try:
        yield
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OutputError(f"cannot write the {option} report{where}: {reason}") from exc


def _open_streams(
    streams: list[tuple[str, ReportStream]],
    args: argparse.Namespace,
    planned: int,
    functions: list[str],
    title: str,
) -> None:
    """Append one stream per report asked for; ``streams`` holds those opened if one fails."""
    from grader.reports.stream import (
        CsvStream,
        FeedbackStream,
        GradescopeStream,
        JsonStream,
        JUnitStream,
    )

    makers: dict[str, Callable[[str], ReportStream]] = {
        "json": lambda path: JsonStream(path, planned),
        "csv": lambda path: CsvStream(path, functions),
        "junit": JUnitStream,
        "gradescope": GradescopeStream,
        "feedback": lambda path: FeedbackStream(path, title),
    }
    for name, make in makers.items():
        path = getattr(args, name)
        if path:
            with _writing(f"--{name}"):
                streams.append((f"--{name}", make(path)))


def _failures_text(sub: SubmissionResult) -> str:
    """For a single submission: what to fix, test by test."""
    from grader.reports._common import printable

    lines = [f"warning: {printable(w)}" for w in sub.warnings]
    if sub.error:  # the table row shows the reason truncated: here it is whole
        lines.append(f"invalid: {printable(sub.error)}")
    for test in sub.tests:
        if test.outcome == "passed":
            continue
        message = printable(test.message).strip() or test.outcome
        indented = message.replace("\n", "\n    ")
        lines.append(f"{test.id} ({test.outcome}): {indented}")
    return "".join(f"\n{line}" for line in lines) + ("\n" if lines else "")
