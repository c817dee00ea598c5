"""``grader grade`` on a folder holding one hostile notebook: every other report is written.

The hostile file is one the reader accepts (odd output shapes, a name with terminal escapes
and a bidi override); it must get its own reports and cost nobody else theirs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from grader.cli import ExitCode, main

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE_NAME = "ev\u202eil\x1b[31m"


def _hostile_notebook() -> str:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": 5},
        {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": 5}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<script>x"}},
    ]
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": CORRECT}
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{**cell, "outputs": outputs}],
    }
    return json.dumps(notebook)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default cache lives in the current directory


def test_one_hostile_file_costs_nobody_else_their_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{HOSTILE_NAME}.ipynb").write_text(_hostile_notebook(), encoding="utf-8")
    for name in ("a", "z"):
        (subs / f"{name}.py").write_text(CORRECT)
    out = tmp_path / "out"
    argv = ["grade", TINY, str(subs), "-j", "1", "--csv", f"{out}/g.csv"]
    argv += ["--gradescope", f"{out}/gs", "--feedback", f"{out}/fb", "--table"]
    assert main(argv) == ExitCode.OK
    printed = capsys.readouterr()
    assert not FORBIDDEN.search(printed.out)
    feedback = sorted(p.name for p in (out / "fb").iterdir())
    assert len(feedback) == 6  # .md and .html for each of the three
    assert len(list((out / "gs").iterdir())) == 3
    for page in (out / "fb").glob("*.html"):
        assert "<script" not in page.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO((out / "g.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 4
    assert all(not FORBIDDEN.search("".join(row)) for row in rows)
    assert {row[2] for row in rows[1:]} == {"6"}  # all three graded in full
