"""The website's pure parts: histogram bins, the gradebook CSV, SVG charts, marks, the cache."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from grader.server.charts import failure_rates_svg, histogram_svg
from grader.server.dashboard import (
    Bin,
    CheckRate,
    Gradebook,
    GradebookRow,
    gradebook_csv_text,
    histogram,
)
from grader.server.feedback_view import FeedbackCache, result_from_view
from grader.server.models import User
from grader.server.pages_student import function_marks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def test_histogram_bins_cover_zero_to_the_maximum_and_the_maximum_lands_in_the_last() -> None:
    bins = histogram([0.0, 9.99, 10.0, 55.0, 100.0, 100.0], 100.0)
    assert len(bins) == 10
    assert (bins[0].low, bins[-1].high) == (0.0, 100.0)
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert sum(b.count for b in histogram([], 0.0)) == 0  # no maximum: still bins, no error


def test_the_gradebook_csv_cannot_carry_a_spreadsheet_formula() -> None:
    user = User(id="s1", name='=HYPERLINK("http://x")', email="+1@example.org", role="student")
    book = Gradebook(("a1", "a2"), (GradebookRow(user, {"a1": 7.5}),), "id", False, "")
    rows = list(csv.reader(io.StringIO(gradebook_csv_text(book))))
    assert rows[0] == ["id", "name", "email", "a1", "a2", "total"]
    assert rows[1] == ["s1", '\'=HYPERLINK("http://x")', "'+1@example.org", "7.5", "", "7.5"]


def test_charts_are_well_formed_svg_with_every_text_escaped() -> None:
    hostile = "<script>alert(1)</script>&"
    rates = [CheckRate(hostile, "f", 1, 4), CheckRate("f.ok", "f", 0, 4)]
    for markup in (
        failure_rates_svg(rates, hostile),
        histogram_svg([Bin(0, 5, 3), Bin(5, 10, 1)], hostile),
        failure_rates_svg([], "empty"),
    ):
        root = ET.fromstring(str(markup))  # parses: nothing unescaped broke the markup
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        assert not list(root.iter(f"{SVG}script"))
        assert all("style" not in element.attrib for element in root.iter())
        assert "<script>" not in str(markup)
    names = [t.text for t in ET.fromstring(str(failure_rates_svg(rates, "x"))).iter(f"{SVG}text")]
    assert "<script>alert(1)</script>&" in names and "25%" in names


def _test(function: str, outcome: str, score: float) -> dict[str, Any]:
    return {
        "id": f"{function}.c",
        "function": function,
        "score": score,
        "max_score": 1.0,
        "outcome": outcome,
    }


def test_function_marks_are_text_check_tilde_and_cross() -> None:
    marks = function_marks(
        [
            _test("full", "passed", 1.0),
            _test("some", "passed", 1.0),
            _test("some", "failed", 0.0),
            _test("none", "error", 0.0),
            _test("none", "timeout", 0.0),
        ]
    )
    assert [(m["name"], m["mark"], m["score"], m["max_score"]) for m in marks] == [
        ("full", "✓", 1.0, 1.0),
        ("some", "~", 1.0, 2.0),
        ("none", "✗", 0.0, 2.0),
    ]


def test_the_feedback_body_is_built_from_the_view_and_cached_per_view() -> None:
    data = (EXAMPLES / "bob.ipynb").read_bytes()
    view = {
        "id": "bob",
        "path": "bob.ipynb",
        "status": "graded",
        "score": 0.0,
        "max_score": 1.0,
        "tests": [
            {
                "id": "predict.values",
                "function": "predict",
                "score": 0.0,
                "max_score": 1.0,
                "outcome": "failed",
                "message": "VISIBLE-MESSAGE <b>x</b>",
                "visibility": "visible",
            }
        ],
    }
    assert result_from_view(view, "abc").tests[0].message == "VISIBLE-MESSAGE <b>x</b>"
    loads: list[int] = []

    def load() -> bytes:
        loads.append(1)
        return data

    cache = FeedbackCache(size=1)
    body = cache.body("abc", "bob.ipynb", view, load)
    assert "VISIBLE-MESSAGE" in body and "<b>x</b>" not in body
    assert "<body" not in body and "<style" not in body and "<script" not in body
    assert "celltag_grader-feedback" in body
    assert cache.body("abc", "bob.ipynb", view, load) == body and len(loads) == 1
    other = {**view, "score": 1.0}
    cache.body("abc", "bob.ipynb", other, load)
    cache.body("abc", "bob.ipynb", view, load)  # evicted by the other view (size 1)
    assert len(loads) == 3
