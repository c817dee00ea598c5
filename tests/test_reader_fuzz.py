"""Property-based tests of the reader and of extraction: whatever a stranger uploads, reading
either returns a SourceFile or raises InvalidSubmission with a short message, and extraction of
what was read never raises. Deterministic (derandomize) and modest in size, so CI stays fast.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import InvalidSubmission
from grader.extract import Program, extract_program
from grader.notebook import Cell, SourceFile, reads_submission

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces of code that have broken parsers before: magics, shell lines, brackets left open,
# strings never closed, null bytes, lone surrogates, odd newlines, IPython help.
FRAGMENTS = [
    "def f(x):\n    return x\n",
    "class C:\n    pass\n",
    "import numpy as np\n",
    "from __future__ import annotations\n",
    "try:\n    import sklearn\nexcept ImportError:\n    pass\n",
    "X = [1, 2, 3]\n",
    "%%bash\n",
    "%%time\n",
    "%matplotlib inline\n",
    "!pip install x\n",
    "files = !ls\n",
    "np.dot?\n",
    "# GRADED FUNCTION: f\n",
    "# YOUR CODE STARTS HERE\n",
    "# YOUR CODE ENDS HERE\n",
    "    ",
    "\t",
    "(",
    ")",
    "[[[",
    '"""',
    "'",
    "\\\n",
    "\0",
    "\ud800",
    "\r\n",
    "\r",
    "@decorator\n",
    "else:\n",
    "é",
    "😀",
    "return 1\n",
    "x = (\n",
    "nonlocal q\n",
]

sources = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=20), max_size=12).map("".join)


def check_read(data: bytes, path: str) -> SourceFile | None:
    """Read ``data``; it must give a SourceFile or a short InvalidSubmission."""
    try:
        sub = reads_submission(data, path)
    except InvalidSubmission as exc:
        message = str(exc)
        assert message
        assert len(message) <= 300
        assert "Traceback" not in message
        return None
    assert isinstance(sub, SourceFile)
    assert all(isinstance(cell, Cell) and isinstance(cell.source, str) for cell in sub.cells)
    assert all(isinstance(w, str) for w in sub.warnings)
    check_extract(sub.cells)
    return sub


def check_extract(cells: tuple[Cell, ...]) -> Program:
    program = extract_program(cells)
    assert all(isinstance(w, str) and w for w in program.warnings)
    for unit in program.units:
        unit.source.encode()  # every unit can travel to the sandbox as UTF-8
    for name, info in program.functions.items():
        assert info.name == name
    return program


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["sub.ipynb", "sub.py", "SUB.PY"]))
def test_any_bytes_are_read_or_refused_clearly(data: bytes, path: str) -> None:
    check_read(data, path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@FUZZ
@given(json_values)
def test_any_json_is_read_or_refused_clearly(value: Any) -> None:
    check_read(json.dumps(value).encode(), "sub.ipynb")


def _cell(cell_type: Any, source: Any, key: str, extra: dict[str, Any]) -> Any:
    cell = {"cell_type": cell_type, "metadata": {}, key: source}
    cell.update(extra)
    return cell


cell_types = st.sampled_from(["code", "markdown", "raw", "heading", 1, None])
cell_sources = st.one_of(
    sources,
    st.lists(sources, max_size=4),
    st.lists(st.one_of(sources, st.integers()), max_size=3),
    st.none(),
    st.integers(),
)
extras = st.dictionaries(
    st.sampled_from(["id", "outputs", "execution_count", "attachments", "bogus"]),
    json_values,
    max_size=3,
)
cells = st.builds(_cell, cell_types, cell_sources, st.sampled_from(["source", "input"]), extras)


@st.composite
def notebooks(draw: st.DrawFn) -> Any:
    """Near-valid notebooks of nbformat 3 and 4 (and a few wrong versions)."""
    version = draw(st.sampled_from([4, 4, 3, 5, 99, None, "4", True]))
    raw_cells = draw(st.lists(cells, max_size=6) | json_values)
    metadata = draw(st.just({}) | json_values | st.just({"grader": {"assignment": "a"}}))
    nb: dict[str, Any] = {"nbformat": version, "metadata": metadata}
    nb["nbformat_minor"] = draw(st.sampled_from([0, 4, 5, -1, "x"]))
    if version == 3:
        nb["worksheets"] = draw(st.sampled_from([[{"cells": raw_cells}], raw_cells, []]))
    else:
        nb["cells"] = raw_cells
    return nb


@FUZZ
@given(notebooks(), st.sampled_from([True, False]), st.sampled_from(["", "\ufeff"]))
def test_near_valid_notebooks_are_read_or_refused_clearly(nb: Any, crlf: bool, bom: str) -> None:
    text = bom + json.dumps(nb, indent=1)
    if crlf:
        text = text.replace("\n", "\r\n")
    check_read(text.encode("utf-8", "surrogatepass"), "sub.ipynb")


@FUZZ
@given(st.lists(sources, max_size=8))
def test_extraction_never_raises(texts: list[str]) -> None:
    check_extract(tuple(Cell(i, text) for i, text in enumerate(texts, start=1)))


@FUZZ
@given(sources)
def test_a_cell_as_a_script_is_extracted_like_a_notebook_cell(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    if "\ud800" in text or not text.strip() or "%%" in text:
        return  # not UTF-8, refused as empty, or split into cells: another test's business
    sub = check_read(data, "sub.py")
    assert sub is not None
    assert sub.cells == (Cell(1, text.replace("\r\n", "\n").replace("\r", "\n")),)


# --- the .py reader slices text between markers; it must split exactly as the old, line-based
# one did (kept here as the oracle) -------------------------------------------------------------

_MARKER = re.compile(r"^#[ \t]*%%(?!%)(.*)$")
_NON_CODE = re.compile(r"\[\s*(markdown|md|raw)\s*\]", re.IGNORECASE)


def _script_cells_by_lines(text: str) -> tuple[Cell, ...]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections: list[tuple[bool, list[str]]] = [(True, [])]
    for line in lines:
        marker = _MARKER.match(line)
        if marker is None:
            sections[-1][1].append(line)
        else:
            sections.append((_NON_CODE.search(marker.group(1)) is None, []))
    if not "".join(sections[0][1]).strip() and len(sections) > 1:
        del sections[0]
    return tuple(
        Cell(number, "\n".join(body))
        for number, (is_code, body) in enumerate(sections, start=1)
        if is_code
    )


script_lines = st.sampled_from(
    ["# %%", "#%%", "# %% [markdown]", "# %%[raw]", "# %%% not", " # %%", "# %% title", "", " "]
) | st.text(alphabet="x #%\t\r[]md", max_size=8)


@FUZZ
@given(st.lists(script_lines, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]))
def test_scripts_split_into_cells_as_before(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    if not text.strip():
        return
    sub = reads_submission(text.encode(), "sub.py")
    assert sub.cells == _script_cells_by_lines(text)
