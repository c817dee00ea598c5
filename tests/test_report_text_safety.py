"""Text reports never crash and carry no control or bidi characters from student material.

Terminal table, summary, CSV, ``grader check`` output and the rest are fuzzed with random
text in every student-derived field, and specific hostile values are checked one by one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grader.reports.stream as stream
from grader.local_check import LocalCheck, format_check_report
from grader.reports import (
    feedback_markdown,
    gradebook_csv,
    gradescope_results,
    json_report,
    junit_xml,
    summary_markdown,
    summary_text,
    terminal_table,
)
from grader.results import AssignmentInfo, CheckResult, GradingRun, SubmissionResult

# What no terminal or spreadsheet text may hold: C0/C1 controls but tab and newline, lone
# surrogates, line/paragraph separators, bidi marks, embeddings, overrides and isolates.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069]"
)
HOSTILE = [
    "\x1b[2J\x1b]0;pwned\x07",
    "alice\u202egnp.exe",
    "\u2066isolate\u2069\u200f\u061c",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "c1 \x9b31m control",
    "line\u2028sep",
    "]]> --> <!-- <script>",
    "=cmd|' /C calc'!A0",
    "x" * 100_000,
]
FUNCTIONS = ["f", "g"]

_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)
_texts = st.one_of(_text, st.sampled_from(HOSTILE))
_scores = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def _check(draw: Any, function: str, index: int) -> CheckResult:
    return CheckResult(
        f"{function}.c{index}",
        function,
        draw(_scores),
        5.0,
        draw(st.sampled_from(["passed", "failed", "error", "timeout", "missing"])),
        draw(_texts),
        draw(st.sampled_from(["visible", "hidden"])),
        0.1,
        draw(_texts),
    )


@st.composite
def _submission(draw: Any) -> SubmissionResult:
    graded = draw(st.booleans())
    tests = tuple(draw(_check(f, i)) for f in FUNCTIONS for i in range(2)) if graded else ()
    return SubmissionResult(
        id=draw(_texts),
        path=draw(_texts),
        sha256="0" * 64,
        status="graded" if graded else "invalid",
        error=None if graded else draw(_texts),
        score=sum(t.score for t in tests),
        max_score=20.0,
        duration_s=0.5,
        tests=tests,
        warnings=tuple(draw(st.lists(_texts, max_size=3))),
    )


def _run(subs: list[SubmissionResult]) -> GradingRun:
    info = AssignmentInfo(id="hw", title="Homework", max_score=20.0)
    return GradingRun(assignment=info, grader_version="t", isolation={}, submissions=tuple(subs))


def _without_our_colours(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _check_report(sub: SubmissionResult) -> str:
    assignment: Any = SimpleNamespace(title="Homework")
    return format_check_report(LocalCheck(assignment, sub, 0.5), color=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_submission(), min_size=1, max_size=3))
def test_every_text_renderer_survives_any_text(subs: list[SubmissionResult]) -> None:
    run = _run(subs)
    terminal = _without_our_colours(terminal_table(run, color=True))
    gradebook = gradebook_csv(run, FUNCTIONS)
    for text in (terminal, summary_text(run)):
        assert not FORBIDDEN.search(text)
    for row in list(csv.reader(io.StringIO(gradebook)))[1:]:
        assert not FORBIDDEN.search("".join(row))
        assert not row[0].lstrip(" ").startswith(("=", "+", "-", "@"))
        assert not row[-1].lstrip(" ").startswith(("=", "+", "-", "@"))
    ET.fromstring(junit_xml(run).split("\n", 1)[1])
    json.dumps(json_report(run))
    summary_markdown(run)
    for sub in subs:
        feedback = feedback_markdown(sub, title="Homework")
        assert not FORBIDDEN.search(feedback)
        json.dumps(gradescope_results(sub), allow_nan=False)
        if sub.status == "graded":
            assert not FORBIDDEN.search(_without_our_colours(_check_report(sub)))


def _sub(sub_id: str, **kw: Any) -> SubmissionResult:
    fields: dict[str, Any] = {
        "path": f"{sub_id}.ipynb",
        "sha256": "0" * 64,
        "status": "graded",
        "error": None,
        "score": 0.0,
        "max_score": 5.0,
        "duration_s": 0.1,
        "tests": (CheckResult("f.c", "f", 0.0, 5.0, "failed", "bad", "visible", 0.1, ""),),
    }
    fields.update(kw)
    return SubmissionResult(id=sub_id, **fields)


@pytest.mark.parametrize("hostile", HOSTILE[:8])
def test_terminal_and_summary_strip_controls_and_bidi(hostile: str) -> None:
    run = _run([_sub(f"id{hostile}"), _sub("x", status="invalid", error=hostile, tests=())])
    for text in (terminal_table(run, color=False), summary_text(run)):
        assert not FORBIDDEN.search(text)


@pytest.mark.parametrize(
    "value", ["=1+1", " =1+1", "\t=1", "\uff1dcmd", "\u202e=1+1", "\n=1", "@SUM(A1)", "-2+3"]
)
def test_csv_never_starts_a_formula(value: str) -> None:
    run = _run([_sub(value, status="invalid", error=value, tests=())])
    rows = list(csv.reader(io.StringIO(gradebook_csv(run, FUNCTIONS))))
    assert rows[1][0].startswith("'")
    assert rows[1][-1].startswith("'")
    assert not FORBIDDEN.search("".join(rows[1]))


def test_grader_check_output_is_clean_and_indented() -> None:
    test = CheckResult(
        "f.c\u202e", "f", 0.0, 5.0, "failed", "first\x1b[31m\nsecond", "visible", 0.1, "out" * 9999
    )
    sub = _sub("s", path="/x/\x1b]0;title\x07evil\u202e.ipynb", tests=(test,))
    sub = SubmissionResult(**{**sub.__dict__, "warnings": ("warn one\nwarn two\u2066",)})
    text = _check_report(sub)
    assert not FORBIDDEN.search(_without_our_colours(text))
    assert "public tests on ]0;titleevil.ipynb" in text
    lines = text.splitlines()
    assert "      first[31m" in lines and "      second" in lines  # ESC gone, inert rest kept
    assert any(line.endswith("warning: warn one\x1b[0m") for line in lines)
    assert "    warn two" in lines
    assert max(len(line) for line in lines) < 600  # one huge printed line is cut


def test_a_failing_feedback_renderer_costs_only_that_submission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_html, real_gradescope = stream._feedback_html, stream.gradescope_results

    def html(path: str, sub: SubmissionResult) -> str:
        if sub.id == "bad":
            raise RuntimeError("nbconvert exploded")
        return real_html(path, sub)

    def gradescope(sub: SubmissionResult) -> dict[str, Any]:
        if sub.id == "bad":
            raise ValueError("boom")
        return real_gradescope(sub)

    monkeypatch.setattr(stream, "_feedback_html", html)
    monkeypatch.setattr(stream, "gradescope_results", gradescope)
    feedback = stream.FeedbackStream(tmp_path / "fb", "Homework")
    scope = stream.GradescopeStream(tmp_path / "gs")
    for sub in (_sub("bad", score=2.5), _sub("good")):
        feedback.add(sub)
        scope.add(sub)
    bad_page = (tmp_path / "fb" / "bad.html").read_text(encoding="utf-8")
    assert "Score: 2.5 / 5" in bad_page and "could not be rendered" in bad_page
    assert "could not be rendered" not in (tmp_path / "fb" / "good.html").read_text("utf-8")
    assert (tmp_path / "fb" / "bad.md").exists() and (tmp_path / "fb" / "good.md").exists()
    bad = json.loads((tmp_path / "gs" / "bad" / "results.json").read_text(encoding="utf-8"))
    assert bad["score"] == 2.5 and "could not be rendered" in bad["output"]
    good = json.loads((tmp_path / "gs" / "good" / "results.json").read_text(encoding="utf-8"))
    assert good["tests"]
