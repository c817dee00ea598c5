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

import hashlib
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from grader.reports import feedback_html
from grader.results import SubmissionResult

__all__ = ["FeedbackCache", "feedback_body", "result_from_view"]

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
CACHED_PAGES = 128


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


class FeedbackCache:
    """The last rendered bodies, keyed by the bytes' sha256, the file name and the view.

    Rendering a notebook costs about half a second; a result page is reloaded while its
    student reads it, so the same body is asked for again and again. The key holds the whole
    view (what this reader may see now), so a policy change or a regrade is a new key.
    """

    def __init__(self, size: int = CACHED_PAGES) -> None:
        self.size = size
        self._bodies: OrderedDict[tuple[str, str, str], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def body(
        self, sha256: str, filename: str, view: dict[str, Any], load: Callable[[], bytes]
    ) -> Markup:
        """The body for this submission and view; ``load()`` gives the bytes on a miss."""
        digest = hashlib.sha256(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()
        key = (sha256, filename, digest)
        with self._lock:
            found = self._bodies.get(key)
            if found is not None:
                self._bodies.move_to_end(key)
                return found
        made = feedback_body(load(), filename, view, sha256)
        with self._lock:
            self._bodies[key] = made
            while len(self._bodies) > self.size:
                self._bodies.popitem(last=False)
        return made


CACHE = FeedbackCache()
