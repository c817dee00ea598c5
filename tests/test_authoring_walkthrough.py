"""docs/authoring.md, followed literally: the walk-through can never drift from the grader.

Every fenced block of the walk-through is taken in order: a block whose info string names a
``file=`` is written to that file; one that names a ``notebook=`` and a ``cell=`` replaces that
cell's source (as an instructor does in Jupyter); a ``console`` block runs each ``$ grader ...``
line and expects exit status 0, or the one a trailing ``# exit status N`` gives, and every other
line of the block in the command's output (times and paths may differ; whitespace is collapsed).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "authoring.md"
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"\s+#\s*exit status (\d+)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, its ``key=value`` options and its text."""

    language: str
    options: dict[str, str]
    text: str


def walkthrough_blocks(markdown: str) -> list[Block]:
    """The fenced blocks of the walk-through section (up to the next level-2 heading)."""
    start = markdown.index("\n## Walk-through")
    end = markdown.index("\n## ", start + 1)
    blocks = []
    for match in _FENCE.finditer(markdown[start:end]):
        language, *words = match.group(1).split()
        options = dict(word.split("=", 1) for word in words)
        blocks.append(Block(language, options, match.group(2)))
    return blocks


def _set_cell(notebook: Path, number: int, source: str) -> None:
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data["cells"][number - 1]["source"] = source.rstrip("\n")
    notebook.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _run_console(block: Block, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run the block's commands; return the commands run, with their exit statuses."""
    ran: list[str] = []
    command: str | None = None
    expected: list[str] = []

    def finish() -> None:
        if command is None:
            return
        wanted = _EXIT.search(command)
        argv = shlex.split(_EXIT.sub("", command))
        assert argv[0] == "grader", command
        code = main(argv[1:])
        out = capsys.readouterr().out
        assert code == (int(wanted.group(1)) if wanted else 0), f"{command}\n{out}"
        for line in expected:
            assert _flat(line) in _flat(out), f"`{command}` did not print {line!r}:\n{out}"
        ran.append(f"{_EXIT.sub('', command)} -> {code}")

    for line in block.text.splitlines():
        if line.startswith("$ "):
            finish()
            command, expected = line[2:], []
        elif line.strip():
            expected.append(line)
    finish()
    return ran


def test_an_instructor_following_the_guide_writes_verifies_and_releases_an_assignment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADER_ASSIGNMENTS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    blocks = walkthrough_blocks(DOC.read_text(encoding="utf-8"))
    ran: list[str] = []
    for block in blocks:
        if "file" in block.options:
            path = tmp_path / block.options["file"]
            assert path.is_file(), f"the guide edits {path}, which `grader new` did not write"
            path.write_text(block.text, encoding="utf-8")
        elif "notebook" in block.options:
            _set_cell(tmp_path / block.options["notebook"], int(block.options["cell"]), block.text)
        elif block.language == "console":
            ran += _run_console(block, capsys)
        else:
            pytest.fail(f"a walk-through block says neither what to write nor what to run: {block}")
    assert ran == [
        "grader new mean_of -> 0",
        "grader release mean_of -> 0",
        "grader verify mean_of -> 0",
        "grader check assignments/mean_of/mean_of.ipynb --assignment mean_of -> 1",
        "grader check solutions/mean_of.ipynb --assignment mean_of -> 0",
        "grader list -> 0",
    ]
    # Nothing of the skeleton's example is left: the guide replaced every part of it.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert "double" not in path.read_text(encoding="utf-8"), path


def test_the_reference_sections_name_every_helper_and_every_limit() -> None:
    import grader.expect
    from grader.sandbox.limits import Limits

    text = DOC.read_text(encoding="utf-8")
    helpers = [name for name in grader.expect.__all__ if name.startswith("expect_")]
    missing = [name for name in helpers if f"| `{name}(" not in text]
    assert not missing, f"docs/authoring.md does not describe {missing}"
    limits = [key for key in Limits.__dataclass_fields__ if f"| `{key}` |" not in text]
    assert not limits, f"docs/authoring.md does not describe the limits {limits}"
