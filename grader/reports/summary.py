"""The run summary for instructors, as Markdown and as plain terminal text."""

from __future__ import annotations

from collections.abc import Sequence

from grader.reports._common import fmt_num, one_line
from grader.reports.feedback_md import md_escape
from grader.reports.stats import BUCKETS, CheckRate, RunStats, run_stats
from grader.results import GradingRun

__all__ = ["stats_markdown", "stats_text", "summary_markdown", "summary_text"]

_BAR_WIDTH = 40


def _num(value: float | None) -> str:
    """A statistic of scores, to at most two decimals (a mean of thirds is not 66.6667)."""
    return "n/a" if value is None else fmt_num(round(value, 2))


def _percent(rate: float) -> str:
    """A rate as a whole percentage that never reads 0% or 100% when it is neither."""
    if 0 < rate < 0.005:
        return "<1%"
    if 0.995 <= rate < 1:
        return ">99%"
    return f"{rate:.0%}"


def _failing(stats: RunStats) -> list[CheckRate]:
    """The tests some graded submission did not pass (a 0% row says nothing), worst first."""
    return [r for r in stats.test_rates if r.failed > 0]


_NONE_FAILED = "every test passed on every graded submission"


def _bucket_label(index: int) -> str:
    low, high = index * 100 // BUCKETS, (index + 1) * 100 // BUCKETS
    closing = "]" if index == BUCKETS - 1 else ")"
    return f"[{low:>3}%, {high:>3}%{closing}"


def _bars(stats: RunStats) -> list[str]:
    peak = max(stats.histogram, default=0)
    lines = []
    for index, count in enumerate(stats.histogram):
        width = round(count / peak * _BAR_WIDTH) if peak else 0
        lines.append(f"{_bucket_label(index)} {'█' * width + ' ' if width else ''}{count}")
    return lines


def _score_lines(stats: RunStats) -> list[str]:
    return [
        f"Graded: {stats.graded}   Invalid: {stats.invalid}",
        f"Score (out of {fmt_num(stats.max_score)}, graded submissions): "
        f"mean {_num(stats.mean)}, median {_num(stats.median)}, "
        f"min {_num(stats.minimum)}, max {_num(stats.maximum)}",
    ]


def summary_markdown(run: GradingRun) -> str:
    """Render the run summary as Markdown.

    Args:
        run: the results of one grading run.

    Returns:
        Markdown with the counts, score statistics, a histogram, per-test failure rates
        (worst first), the commonest failure messages and the invalid submissions, after
        the run-level warnings for the instructor (a required module missing).
    """
    return stats_markdown(
        run.assignment.title, run_stats(run), warnings=run.environment_warnings
    )


def _unlisted(stats: RunStats) -> int:
    return stats.invalid - len(stats.invalid_reasons)


def stats_markdown(title: str, stats: RunStats, *, warnings: Sequence[str] = ()) -> str:
    """Render already computed statistics as the Markdown of :func:`summary_markdown`.

    Args:
        title: the assignment's title.
        stats: e.g. from :class:`~grader.reports.stats.StatsAccumulator` (a streamed run).
        warnings: run-level warnings for the instructor, listed first (none: no section).

    Returns:
        The Markdown summary, ending in a newline.
    """
    parts = [f"# Summary: {md_escape(title)}"]
    if warnings:
        listed = "\n".join(f"- {md_escape(w)}" for w in warnings)
        parts.append(f"## Warnings for the instructor\n\n{listed}")
    parts.append("\n\n".join(_score_lines(stats)))
    parts.append("## Score distribution\n\n```text\n" + "\n".join(_bars(stats)) + "\n```")
    rows = [f"| `{r.id}` | {r.failed} / {r.total} | {_percent(r.rate)} |" for r in _failing(stats)]
    if rows:
        parts.append(
            "## Failure rate per test\n\n| Test | Not passed | Rate |\n|---|---|---|\n"
            + "\n".join(rows)
        )
    elif stats.graded:
        parts.append(f"## Failure rate per test\n\n{_NONE_FAILED[0].upper()}{_NONE_FAILED[1:]}.")
    if stats.top_failures:
        items = [f"| {n} | `{t}` | {md_escape(m)} |" for t, m, n in stats.top_failures]
        parts.append(
            "## Most common failures\n\n| Count | Test | Message |\n|---|---|---|\n"
            + "\n".join(items)
        )
    if stats.invalid_reasons:
        items = [f"- **{md_escape(i)}**: {md_escape(r)}" for i, r in stats.invalid_reasons]
        if _unlisted(stats) > 0:
            items.append(f"- … and {_unlisted(stats)} more")
        parts.append("## Invalid submissions\n\n" + "\n".join(items))
    return "\n\n".join(parts) + "\n"


def summary_text(run: GradingRun) -> str:
    """Render the run summary as plain text for a terminal (no colour, no control characters).

    Args:
        run: the results of one grading run.

    Returns:
        The same content as :func:`summary_markdown`, laid out for a terminal.
    """
    return stats_text(run.assignment.title, run_stats(run), warnings=run.environment_warnings)


def stats_text(title: str, stats: RunStats, *, warnings: Sequence[str] = ()) -> str:
    """Render already computed statistics as the plain text of :func:`summary_text`.

    Args:
        title: the assignment's title.
        stats: e.g. from :class:`~grader.reports.stats.StatsAccumulator` (a streamed run).
        warnings: run-level warnings for the instructor, listed first (none: no section).

    Returns:
        The terminal summary, ending in a newline.
    """
    lines = [f"Summary: {one_line(title)}"]
    lines += [f"warning: {one_line(w, 400)}" for w in warnings]
    lines += [*_score_lines(stats), ""]
    lines += ["Score distribution:", *("  " + bar for bar in _bars(stats)), ""]
    failing = _failing(stats)
    if failing:
        lines.append("Failure rate per test (worst first; tests nobody failed are not listed):")
        width = max(len(r.id) for r in failing)
        lines += [
            f"  {r.id:<{width}}  {_percent(r.rate):>4}  ({r.failed}/{r.total})" for r in failing
        ]
    elif stats.graded:
        lines.append(f"Failure rate per test: {_NONE_FAILED}.")
    if stats.top_failures:
        lines += ["", "Most common failures:"]
        lines += [f"  {n:>4}  {t}: {m}" for t, m, n in stats.top_failures]
    if stats.invalid_reasons:
        lines += ["", "Invalid submissions:"]
        lines += [f"  {one_line(i)}: {r}" for i, r in stats.invalid_reasons]
        if _unlisted(stats) > 0:
            lines.append(f"  … and {_unlisted(stats)} more")
    return "\n".join(lines) + "\n"
