"""Both bundled assignments work with the same commands and every report format."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.cli import ExitCode, main
from grader.results import GradingRun

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = {
    "planar_data_classification": "planar_data_classification.ipynb",
    "deep_initialization": "deep_initialization.ipynb",
}


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_grade_writes_every_report_for_each_assignment(
    assignment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    subs = tmp_path / "subs"
    (subs / "ref").mkdir(parents=True)
    (subs / "stub").mkdir()
    solution = REPO / "solutions" / f"{assignment}.ipynb"
    (subs / "ref" / "nb.ipynb").write_bytes(solution.read_bytes())
    release = REPO / "assignments" / assignment / ASSIGNMENTS[assignment]
    (subs / "stub" / "nb.ipynb").write_bytes(release.read_bytes())
    code = main([
        "grade", assignment, str(subs), "-q", "--json", "r.json", "--csv", "g.csv",
        "--junit", "j.xml", "--gradescope", "gs", "--feedback", "fb", "--summary", "s.md",
    ])
    assert code == ExitCode.OK
    run = GradingRun.from_dict(json.loads((tmp_path / "r.json").read_text()))
    assert run.assignment.id == assignment
    assert [(s.id, s.score) for s in run.submissions] == [("ref", 100.0), ("stub", 0.0)]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text())))
    assert [r["id"] for r in rows] == ["ref", "stub"]
    suites = ET.parse(tmp_path / "j.xml").getroot().findall("testsuite")
    assert len(suites) == 2 and int(suites[0].get("failures", "0")) == 0
    for sid, score in (("ref", 100.0), ("stub", 0.0)):
        gradescope = json.loads((tmp_path / "gs" / sid / "results.json").read_text())
        assert gradescope["score"] == score
        assert (tmp_path / "fb" / f"{sid}.md").read_text().strip()
        assert "<html" in (tmp_path / "fb" / f"{sid}.html").read_text().lower()
    assert "100" in (tmp_path / "s.md").read_text()


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_check_finds_each_assignment_from_notebook_metadata(
    assignment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    solution = REPO / "solutions" / f"{assignment}.ipynb"
    release = REPO / "assignments" / assignment / ASSIGNMENTS[assignment]
    assert main(["check", str(solution), "--color", "never"]) == ExitCode.OK
    assert main(["check", str(release), "--color", "never"]) == ExitCode.CHECKS_FAILED
    assert "public tests" in capsys.readouterr().out
