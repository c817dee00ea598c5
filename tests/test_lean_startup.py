"""``grader grade`` imports report renderers only for the formats asked for (issue 15).

nbconvert costs about half a second per process; without ``--feedback`` neither the parent
nor a batch worker may import it. ``-X importtime`` is passed on to worker processes, so
its log on stderr covers them too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "assignments" / "tiny")
CORRECT = (DATA / "submissions" / "tiny" / "correct.py").read_text()


def imported_modules(tmp_path: Path, *extra: str) -> set[str]:
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a.py", "b.py"):
        (subs / name).write_text(CORRECT)
    argv = [sys.executable, "-X", "importtime", "-m", "grader", "grade", TINY, str(subs)]
    argv += ["-j", "2", "--parallel", "processes", "--no-cache", "-q", *extra]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert lines, "no -X importtime log"
    return {line.rsplit("|", 1)[-1].strip() for line in lines}


def test_grade_without_feedback_does_not_import_nbconvert(tmp_path: Path) -> None:
    modules = imported_modules(tmp_path)
    assert "grader.reports" in modules  # the log is real: the reports package was imported
    assert not [m for m in modules if m.split(".")[0] == "nbconvert"]
    assert "grader.reports.notebook_html" not in modules


@pytest.mark.parametrize("flag", ["--feedback"])
def test_grade_with_feedback_still_renders_html(tmp_path: Path, flag: str) -> None:
    modules = imported_modules(tmp_path, flag, str(tmp_path / "fb"))
    assert "nbconvert" in modules
    assert sorted(p.suffix for p in (tmp_path / "fb").iterdir()).count(".html") == 2
