"""The student's notebook with feedback cells, as ``grader grade --feedback html`` writes it.

The core's :func:`grader.reports.feedback_html` renders a whole page from a notebook file and
a :class:`grader.results.SubmissionResult`. Here the file is the submission's stored bytes
(written to a private temporary file) and the result is rebuilt from the view the reader may
see (a student's is filtered by the visibility policy), so a hidden check the policy withholds
never reaches the page. The core sanitises the notebook (nh3 allow-list, no script, MathML
for math); only the ``<body>`` of its page is kept, to sit inside the site's own page, whose
stylesheet (``static/notebook.css``) replaces the page's inline one (the site's CSP allows no
inline style).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup

from grader.reports import feedback_html
from grader.results import SubmissionResult

__all__ = ["feedback_body", "result_from_view"]

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def result_from_view(view: dict[str, Any], sha256: str) -> SubmissionResult:
    """A SubmissionResult from a result entry as the reader may see it."""
    return SubmissionResult.from_dict(
        {
            "id": str(view.get("id", "")),
            "path": str(view.get("path", "")),
            "sha256": sha256,
            "status": view.get("status", "graded"),
            "error": view.get("error"),
            "score": float(view.get("score", 0.0)),
            "max_score": float(view.get("max_score", 0.0)),
            "warnings": list(view.get("warnings", ())),
            "tests": [t for t in view.get("tests", ()) if isinstance(t, dict)],
        }
    )


def feedback_body(data: bytes, filename: str, view: dict[str, Any], sha256: str) -> Markup:
    """The core's feedback page's body for these bytes and this (already filtered) view."""
    suffix = ".py" if filename.lower().endswith(".py") else ".ipynb"
    handle, name = tempfile.mkstemp(prefix="grader-feedback-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        page = feedback_html(name, result_from_view(view, sha256))
    finally:
        Path(name).unlink(missing_ok=True)
    found = _BODY.search(page)
    # the core's output is sanitised HTML (its contract): safe to place as it is
    return Markup(found.group(1) if found else "")
