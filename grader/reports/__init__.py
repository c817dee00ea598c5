"""Report renderers: in-memory results in, text out (JSON, CSV, Gradescope, JUnit, feedback).

Every renderer is a pure function of :mod:`grader.results` objects, except that
:func:`feedback_html` reads the student's notebook it renders. Only :func:`write_report`
writes files. One module per format:

- ``json_doc``: :func:`json_report`, the results contract of DESIGN.md
- ``gradebook``: :func:`gradebook_csv`
- ``gradescope``: :func:`gradescope_results`, Gradescope's ``results.json``
- ``junit``: :func:`junit_xml`
- ``feedback_md``: :func:`feedback_markdown`, per-student feedback
- ``notebook_html``: :func:`feedback_html`, the student's notebook with feedback cells
- ``stats`` / ``summary``: :func:`run_stats`, :func:`summary_markdown`, :func:`summary_text`
- ``terminal``: :func:`terminal_table`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.reports._io import write_report
from grader.reports.feedback_md import feedback_markdown
from grader.reports.gradebook import gradebook_csv
from grader.reports.gradescope import gradescope_results
from grader.reports.json_doc import json_report
from grader.reports.junit import junit_xml
from grader.reports.stats import RunStats, run_stats
from grader.reports.summary import summary_markdown, summary_text
from grader.reports.terminal import terminal_table

if TYPE_CHECKING:
    from grader.reports.notebook_html import feedback_html


def __getattr__(name: str) -> Any:
    """Import the HTML renderer (and nbconvert with it) only when it is asked for.

    nbconvert costs about half a second to import; ``grader grade`` without
    ``--feedback`` and every batch worker never need it.
    """
    if name == "feedback_html":
        from grader.reports.notebook_html import feedback_html

        return feedback_html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RunStats",
    "feedback_html",
    "feedback_markdown",
    "gradebook_csv",
    "gradescope_results",
    "json_report",
    "junit_xml",
    "run_stats",
    "summary_markdown",
    "summary_text",
    "terminal_table",
    "write_report",
]
