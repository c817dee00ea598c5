"""Tests for grader.reports: every format is parsed back and checked against the results."""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import grader.reports as reports
from grader.errors import UsageError
from grader.reports import (
    feedback_html,
    feedback_markdown,
    gradebook_csv,
    gradescope_results,
    json_report,
    junit_xml,
    run_stats,
    summary_markdown,
    summary_text,
    terminal_table,
    write_report,
)
from grader.reports.feedback_md import OUTPUT_LIMIT
from grader.results import AssignmentInfo, CheckResult, GradingRun, SubmissionResult

FUNCTIONS = ["initialize_parameters", "forward_propagation", "backward_propagation"]
NASTY = "expected A1 < 0 & b | c \"quoted\" 'single'\nsecond line \x07bell"
NASTY_CLEAN = NASTY.replace("\x07", "")
HIDDEN_PRINT = "args were [1, 2, 3] SECRET-INPUT"


def check(
    test_id: str,
    score: float,
    max_score: float,
    outcome: Any,
    message: str = "",
    visibility: Any = "visible",
    output: str = "",
) -> CheckResult:
    function = test_id.split(".")[0]
    return CheckResult(
        test_id, function, score, max_score, outcome, message, visibility, 0.25, output
    )


def submission(sub_id: str, tests: tuple[CheckResult, ...], **kw: Any) -> SubmissionResult:
    defaults: dict[str, Any] = {
        "path": f"subs/{sub_id}.ipynb",
        "sha256": "0" * 64,
        "status": "graded",
        "error": None,
        "score": sum(t.score for t in tests),
        "max_score": 20.0,
        "duration_s": 1.5,
    }
    defaults.update(kw)
    return SubmissionResult(id=sub_id, tests=tests, **defaults)


FULL = submission(
    "alice",
    (
        check("initialize_parameters.shapes", 5, 5, "passed"),
        check("initialize_parameters.scale", 5, 5, "passed", visibility="hidden"),
        check("forward_propagation.shapes", 5, 5, "passed"),
        check("backward_propagation.shapes", 5, 5, "passed", visibility="hidden"),
    ),
)
PARTIAL = submission(
    "bob",
    (
        check("initialize_parameters.shapes", 5, 5, "passed"),
        check("initialize_parameters.scale", 0, 5, "failed", NASTY, output="x" * 2000 + "\x1b"),
        check("forward_propagation.shapes", 0, 5, "error", "ValueError: shapes | mismatch"),
        check(
            "backward_propagation.shapes",
            0,
            5,
            "timeout",
            "took longer than 2 s",
            visibility="hidden",
            output=HIDDEN_PRINT,
        ),
    ),
    warnings=("import of 'sklearn' failed: module not installed",),
)
MISSING = submission(
    "carol",
    (
        check("initialize_parameters.shapes", 5, 5, "passed"),
        check("initialize_parameters.scale", 5, 5, "passed", visibility="hidden"),
        check("forward_propagation.shapes", 0, 5, "missing", "forward_propagation not defined"),
        check("backward_propagation.shapes", 0, 5, "missing", "", visibility="hidden"),
    ),
)
INVALID = submission(
    "=dave",
    (),
    status="invalid",
    error="not a notebook: invalid JSON at line 1 <eof> \x07",
    score=0.0,
)
RUN = GradingRun(
    grader_version="0.1.0",
    assignment=AssignmentInfo("planar", "Planar <data> classification", 20.0),
    isolation={"network": True, "filesystem": False},
    submissions=(FULL, PARTIAL, MISSING, INVALID),
    isolation_warnings=("no seccomp",),
)


# ---------------------------------------------------------------- JSON


def test_json_report_round_trips_and_is_stable() -> None:
    text = json_report(RUN)
    assert text.endswith("}\n")
    assert text == json_report(RUN)
    data = json.loads(text)
    assert list(data)[:2] == ["schema_version", "grader_version"]
    assert GradingRun.from_dict(data) == RUN


def test_json_report_refuses_nan() -> None:
    broken = GradingRun("0", RUN.assignment, {}, (submission("x", (), score=float("nan")),))
    with pytest.raises(ValueError):
        json_report(broken)


# ---------------------------------------------------------------- CSV


def test_gradebook_columns_and_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(gradebook_csv(RUN, FUNCTIONS))))
    assert list(rows[0]) == ["id", "status", "score", "max_score", *FUNCTIONS, "error", "path"]
    assert [r["id"] for r in rows] == ["alice", "bob", "carol", "'=dave"]
    alice, bob, carol, dave = rows
    assert [alice[k] for k in ("score", "max_score", "initialize_parameters")] == ["20", "20", "10"]
    assert [bob[k] for k in ("score", *FUNCTIONS)] == ["5", "5", "0", "0"]
    assert carol["backward_propagation"] == "0" and carol["error"] == ""
    assert dave["status"] == "invalid"
    assert all(dave[f] == "" for f in FUNCTIONS)
    assert dave["error"].startswith("not a notebook") and "\x07" not in dave["error"]
    for row in (alice, bob, carol):
        assert float(row["score"]) == sum(float(row[f]) for f in FUNCTIONS)


def test_gradebook_refuses_clashing_columns() -> None:
    with pytest.raises(ValueError, match="unique"):
        gradebook_csv(RUN, ["score"])


# ---------------------------------------------------------------- Gradescope

TEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "score": (int, float),
    "max_score": (int, float),
    "name": str,
    "number": str,
    "status": str,
    "output": str,
    "visibility": str,
    "tags": list,
    "name_format": str,
    "output_format": str,
}


@pytest.mark.parametrize("sub", [FULL, PARTIAL, MISSING], ids=lambda s: s.id)
def test_gradescope_fields_types_and_sum(sub: SubmissionResult) -> None:
    result = json.loads(json.dumps(gradescope_results(sub)))
    assert isinstance(result["score"], (int, float))
    assert isinstance(result["execution_time"], (int, float))
    for key in ("output", "output_format", "visibility", "stdout_visibility"):
        assert isinstance(result[key], str)
    assert len(result["tests"]) == len(sub.tests)
    for entry in result["tests"]:
        for key, kind in TEST_FIELDS.items():
            assert isinstance(entry[key], kind), key
        assert entry["status"] in ("passed", "failed")
    assert sum(t["score"] for t in result["tests"]) == result["score"] == sub.score
    assert [t["status"] == "passed" for t in result["tests"]] == [
        t.outcome == "passed" for t in sub.tests
    ]


@pytest.mark.parametrize("hidden", ["hidden", "after_due_date", "after_published", "visible"])
def test_gradescope_hidden_visibility(hidden: str) -> None:
    tests = gradescope_results(PARTIAL, hidden_visibility=hidden)["tests"]
    expected = [hidden if t.visibility == "hidden" else "visible" for t in PARTIAL.tests]
    assert [t["visibility"] for t in tests] == expected


def test_gradescope_outputs_messages_and_withholds_hidden_prints() -> None:
    tests = gradescope_results(PARTIAL)["tests"]
    assert NASTY_CLEAN in tests[1]["output"]
    assert "took longer than 2 s" in tests[3]["output"]
    assert HIDDEN_PRINT not in tests[3]["output"]
    shown = gradescope_results(PARTIAL, show_hidden_output=True)["tests"]
    assert HIDDEN_PRINT in shown[3]["output"]


def test_gradescope_invalid_submission() -> None:
    result = gradescope_results(INVALID)
    assert result["score"] == 0
    assert result["tests"] == []
    assert "could not be graded" in result["output"] and "invalid JSON" in result["output"]


def test_gradescope_rejects_unknown_visibility() -> None:
    with pytest.raises(UsageError):
        gradescope_results(FULL, hidden_visibility="secret")


# ---------------------------------------------------------------- JUnit


def _count(suite: ET.Element, tag: str) -> int:
    return sum(1 for case in suite.iter("testcase") if case.find(tag) is not None)


def test_junit_counts_match() -> None:
    root = ET.fromstring(junit_xml(RUN))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [s.id for s in RUN.submissions]
    for suite in suites:
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))
        for attr, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(attr, "-1")) == _count(suite, tag), (suite.get("name"), attr)
    bob = suites[1]
    assert (bob.get("failures"), bob.get("errors"), bob.get("skipped")) == ("1", "2", "0")
    assert [e.get("type") for e in bob.iter("error")] == ["error", "timeout"]
    assert suites[2].get("skipped") == "2"
    for attr in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(attr, "-1")) == sum(int(s.get(attr, "0")) for s in suites)


def test_junit_messages_survive_escaping() -> None:
    text = junit_xml(RUN)
    assert "\x07" not in text and "\x1b" not in text
    root = ET.fromstring(text)
    case = root.find(".//testcase[@classname='bob'][@name='initialize_parameters.scale']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == NASTY_CLEAN
    assert failure.text == NASTY_CLEAN
    assert case.findtext("system-out", "").startswith("xxx")


def test_junit_invalid_submission_is_one_errored_case() -> None:
    root = ET.fromstring(junit_xml(RUN))
    suite = root.find("testsuite[@name='=dave']")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 1 and suite.get("errors") == "1"
    error = cases[0].find("error")
    assert error is not None and "<eof>" in error.get("message", "")


# ---------------------------------------------------------------- Markdown feedback


def _table_cells(line: str) -> list[str]:
    """Split a Markdown table row on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_feedback_markdown_partial() -> None:
    text = feedback_markdown(PARTIAL, title="Planar | data")
    assert text.startswith("# Planar \\| data\n")
    assert "**Score: 5 / 20**" in text
    assert "sklearn" in text and "\x07" not in text and "\x1b" not in text
    row = next(line for line in text.splitlines() if line.startswith("| ✗ failed"))
    cells = _table_cells(row)
    assert len(cells) == 4
    assert cells[3] == ("expected A1 \\< 0 \\& b \\| c \"quoted\" 'single'<br>second line bell")
    assert "took longer than 2 s" in text
    blocks = re.findall(r"^```text\n(.*?)\n```$", text, flags=re.S | re.M)
    assert blocks == ["x" * (OUTPUT_LIMIT - 1) + "…"]
    assert HIDDEN_PRINT not in text
    assert HIDDEN_PRINT in feedback_markdown(PARTIAL, title="t", show_hidden_output=True)


def test_feedback_markdown_full_and_invalid() -> None:
    full = feedback_markdown(FULL, title="t")
    assert "**Score: 20 / 20**" in full and "✗" not in full
    assert full.count("## `") == 3
    invalid = feedback_markdown(INVALID, title="t")
    assert "could not be graded" in invalid and "invalid JSON at line 1 \\<eof\\>" in invalid
    assert "## `" not in invalid


def test_feedback_markdown_fence_outlasts_backticks() -> None:
    test = check("forward_propagation.values", 0, 5, "failed", "no", output="a```b")
    sub = submission("e", (test,))
    text = feedback_markdown(sub, title="t")
    assert "````text\na```b\n````" in text


# ---------------------------------------------------------------- HTML feedback


def _write_notebook(path: Path, sources: list[tuple[str, str]]) -> None:
    cells: list[dict[str, Any]] = [
        {
            "cell_type": kind,
            "id": f"student-{index}",
            "metadata": {},
            "source": source,
            **({"execution_count": None, "outputs": []} if kind == "code" else {}),
        }
        for index, (kind, source) in enumerate(sources, start=1)
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    path.write_text(json.dumps(notebook), encoding="utf-8")


NOTEBOOK = [
    ("markdown", "# Planar data"),
    ("code", "import numpy as np"),
    ("code", "def initialize_parameters(n_x, n_h, n_y):\n    return {}"),
    ("markdown", "Now forward."),
    ("code", "def forward_propagation(X, parameters):\n    pass"),
    ("code", "def forward_propagation(X, parameters):\n    return X"),
]


def _cell_order(html: str) -> list[str]:
    return re.findall(r'id="cell-id=([^"]+)"', html)


def test_feedback_html_inserts_after_defining_cell(tmp_path: Path) -> None:
    path = tmp_path / "bob.ipynb"
    _write_notebook(path, NOTEBOOK)
    html = feedback_html(str(path), PARTIAL)
    assert _cell_order(html) == [
        "grader-summary",
        "student-1",
        "student-2",
        "student-3",
        "grader-initialize_parameters",
        "student-4",
        "student-5",
        "student-6",  # the last definition wins
        "grader-forward_propagation",
    ]
    # backward_propagation is not in the notebook: its feedback goes to the summary cell.
    summary_end = html.index('id="cell-id=student-1"')
    assert html.index("took longer than 2 s") < summary_end
    feedback_cell = html[html.index('id="cell-id=grader-initialize_parameters"') :]
    assert "expected A1 &lt; 0 &amp; b | c" in feedback_cell.split('id="cell-id=student-4"')[0]
    assert "Score: 5 / 20" in html[:summary_end]
    assert "\x07" not in html and HIDDEN_PRINT not in html
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html)
    assert "default-src 'none'" in html


def test_feedback_html_explicit_cells(tmp_path: Path) -> None:
    path = tmp_path / "bob.ipynb"
    _write_notebook(path, NOTEBOOK)
    html = feedback_html(str(path), PARTIAL, functions_by_cell={"forward_propagation": 1})
    order = _cell_order(html)
    assert order[:3] == ["grader-summary", "student-1", "grader-forward_propagation"]
    assert "grader-initialize_parameters" not in order


def test_feedback_html_unreadable_notebook(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json", encoding="utf-8")
    html = feedback_html(str(path), PARTIAL)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "took longer than 2 s" in html and "Score: 5 / 20" in html
    assert _cell_order(html) == ["grader-all"]
    missing = feedback_html(str(tmp_path / "absent.ipynb"), INVALID)
    assert "could not be graded" in missing


# ---------------------------------------------------------------- summaries


def test_run_stats_numbers() -> None:
    stats = run_stats(RUN)
    graded_scores = [20.0, 5.0, 10.0]
    assert (stats.graded, stats.invalid) == (3, 1)
    assert stats.mean == pytest.approx(statistics.fmean(graded_scores))
    assert (stats.median, stats.minimum, stats.maximum) == (10.0, 5.0, 20.0)
    assert sum(stats.histogram) == 3
    assert (stats.histogram[2], stats.histogram[5], stats.histogram[9]) == (1, 1, 1)
    rates = {r.id: (r.failed, r.total) for r in stats.test_rates}
    assert rates == {
        "initialize_parameters.shapes": (0, 3),
        "initialize_parameters.scale": (1, 3),
        "forward_propagation.shapes": (2, 3),
        "backward_propagation.shapes": (2, 3),
    }
    assert [r.rate for r in stats.test_rates] == sorted(
        (r.rate for r in stats.test_rates), reverse=True
    )
    assert stats.top_failures[0][2] == 1 and len(stats.top_failures) == 5
    assert ("backward_propagation.shapes", "missing", 1) in stats.top_failures
    assert stats.invalid_reasons[0][0] == "=dave"


def test_summary_text_and_markdown() -> None:
    text = summary_text(RUN)
    assert "Graded: 3   Invalid: 1" in text
    assert "mean 11.67, median 10, min 5, max 20" in text  # two decimals at most
    assert re.search(r"forward_propagation\.shapes\s+67%\s+\(2/3\)", text)
    assert text.count("█") > 0 and "\x07" not in text
    assert "=dave: not a notebook" in text
    markdown = summary_markdown(RUN)
    assert "| `forward_propagation.shapes` | 2 / 3 | 67% |" in markdown
    assert "## Invalid submissions" in markdown and "\\<eof\\>" in markdown
    bars = re.findall(r"^\[\s*\d+%,\s*\d+%[)\]] .*?(\d+)$", markdown, flags=re.M)
    assert [int(b) for b in bars] == list(run_stats(RUN).histogram)


def test_summary_of_empty_run() -> None:
    empty = GradingRun("0", RUN.assignment, {})
    assert "mean n/a" in summary_text(empty)
    assert run_stats(empty).histogram == (0,) * 10


# ---------------------------------------------------------------- terminal


def test_terminal_table_plain_and_coloured() -> None:
    crafted = submission("evil\x1b[2J", FULL.tests)
    run = GradingRun("0", RUN.assignment, {}, (*RUN.submissions, crafted))
    plain = terminal_table(run, color=False)
    lines = plain.splitlines()
    assert len(lines) == 5 and "\x1b" not in plain
    assert lines[0].split() == ["alice", "20/20", "✓✓✓", "graded"]
    assert lines[1].split()[:3] == ["bob", "5/20", "~✗✗"]
    assert lines[2].split()[2] == "✓··"
    assert "invalid: not a notebook" in lines[3]
    coloured = terminal_table(RUN, color=True)
    assert "\x1b[32m✓" in coloured and "\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == terminal_table(RUN, color=False)


# ---------------------------------------------------------------- files and API


def test_write_report(tmp_path: Path) -> None:
    target = write_report(tmp_path / "out" / "grades.csv", gradebook_csv(RUN, FUNCTIONS))
    assert target.read_bytes().count(b"\r\n") == len(RUN.submissions) + 1
    raw = write_report(tmp_path / "r.bin", b"\x00\x01")
    assert raw.read_bytes() == b"\x00\x01"


def test_public_api() -> None:
    assert sorted(reports.__all__) == reports.__all__
    for name in reports.__all__:
        assert getattr(reports, name).__doc__, name
