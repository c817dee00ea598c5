"""``grader grade`` on a class folder where some files are hostile: every other file gets every
report, the hostile ones are listed with their reasons, and the exit code is 0 (README)."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hostile_files import fifo_released_after

from grader.cli import ExitCode, main
from grader.notebook import DEFAULT_MAX_BYTES
from grader.reports.stream import SafeNames

DATA = Path(__file__).parent / "data"
TINY = DATA / "assignments" / "tiny"
CORRECT_CELLS = [
    "import numpy as np\nimport tinyhelp",
    "def add(x, y):\n    return x + y",
    "def scale(v):\n    return v * tinyhelp.FACTOR",
]
GOOD = {  # file -> the id it must get
    "alice/hw.ipynb": "alice",
    "alice-2.ipynb": "alice-2",  # a real student whose id a duplicate must not take
    "bob.ipynb": "bob",
    "carol/hw.ipynb": "carol",
    "dave\x1b[2J.ipynb": "dave_[2J",  # a name that would drive the terminal
}
INVALID = {  # id -> what its reason must say
    "alice-3": "JSON",  # alice.ipynb, broken: a second "alice", after alice/ in path order
    "mallory": "is a symbolic link, which is not followed",
    "trudy": "is a symbolic link, which is not followed",
    "pipe": "is a named pipe (FIFO)",
    "sock": "is a socket",
    "dangling": "is a symbolic link",
    "huge": "the file is too large",
}


def notebook(cells: list[str]) -> str:
    return json.dumps({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": src, "outputs": [],
             "execution_count": None}
            for src in cells
        ],
    })


def build_folder(subs: Path) -> None:
    for name in GOOD:
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_text(notebook(CORRECT_CELLS))
    (subs / "carol" / "planar_utils.py").write_text("raise SystemExit('helper, never graded')\n")
    (subs / "alice.ipynb").write_text('{"nbformat": 4, "cells": [')
    (subs / "mallory.py").symlink_to(TINY / "solution.py")  # would earn full marks if read
    secret = subs.parent / "instructor" / "solution.ipynb"
    secret.parent.mkdir()
    secret.write_text(notebook([*CORRECT_CELLS, "# SECRET-SOLUTION-TEXT"]))
    (subs / "trudy.ipynb").symlink_to(secret)  # would show the solution in trudy's feedback
    (subs / "dangling.ipynb").symlink_to(subs / "gone.ipynb")
    (subs / "elsewhere").symlink_to(TINY, target_is_directory=True)
    with open(subs / "huge.ipynb", "wb") as handle:  # sparse: costs no disk
        handle.truncate(DEFAULT_MAX_BYTES + 1)
    # An expression nested far beyond what the parser accepts, in the graded function's cell.
    (subs / "deep.ipynb").write_text(notebook(
        [CORRECT_CELLS[0], "def add(x, y):\n    return " + "-" * 100_000 + "x", CORRECT_CELLS[2]]
    ))


def test_a_hostile_file_costs_no_other_file_its_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    subs = tmp_path / "subs"
    subs.mkdir()
    build_folder(subs)
    out = tmp_path / "out"
    argv = ["grade", str(TINY), str(subs), "-j", "2", "--json", f"{out}/r.json",
            "--csv", f"{out}/g.csv", "--junit", f"{out}/j.xml", "--gradescope", f"{out}/gs",
            "--feedback", f"{out}/fb", "--summary", f"{out}/summary.md"]
    with fifo_released_after(subs / "pipe.ipynb", 5.0), socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(subs / "sock.ipynb"))
        code = main(argv)
    printed = capsys.readouterr()
    assert code == ExitCode.OK, printed.err
    assert "Traceback" not in printed.err + printed.out
    assert f"grader: warning: {subs / 'elsewhere'}: a symbolic link, not followed" in printed.err

    doc = json.loads((out / "r.json").read_text())
    subs_by_id = {s["id"]: s for s in doc["submissions"]}
    ids = sorted(subs_by_id)
    assert ids == sorted([*GOOD.values(), *INVALID, "deep"])
    for sid in GOOD.values():
        assert (subs_by_id[sid]["status"], subs_by_id[sid]["score"]) == ("graded", 6.0), sid
    for sid, reason in INVALID.items():
        entry = subs_by_id[sid]
        assert (entry["status"], entry["score"]) == ("invalid", 0.0), sid
        assert reason in entry["error"], (sid, entry["error"])
    assert subs_by_id["mallory"]["sha256"] == ""  # the solution was never opened
    assert subs_by_id["huge"]["sha256"] == ""  # nor was the huge file hashed
    assert str(TINY) not in json.dumps(subs_by_id["mallory"])
    assert subs_by_id["deep"]["status"] == "graded"
    assert subs_by_id["deep"]["score"] < 6.0

    rows = list(csv.DictReader(io.StringIO((out / "g.csv").read_text(), newline="")))
    assert sorted(r["id"] for r in rows) == ids
    assert [s.get("name") for s in ET.parse(out / "j.xml").getroot()] == [
        s["id"] for s in doc["submissions"]
    ]
    reports = {p.name for p in (out / "gs").iterdir()}
    feedback = {p.name for p in (out / "fb").iterdir()}
    names = SafeNames()  # the reports name files the same way, in the same (plan) order
    for sid in (s["id"] for s in doc["submissions"]):
        name = names.name(sid)
        assert name in reports
        assert json.loads((out / "gs" / name / "results.json").read_text())["score"] >= 0
        assert {f"{name}.md", f"{name}.html"} <= feedback
    assert len(reports) == len(ids)
    for report in out.rglob("*"):
        if report.is_file():
            assert "SECRET-SOLUTION-TEXT" not in report.read_text(), report
    assert "## Score distribution" in (out / "summary.md").read_text()
    assert not os.path.exists(tmp_path / ".grader-cache" / "tmp")  # nothing half-written
