"""A bounded, normalised copy of a student's notebook, safe to hand to nbconvert.

The reader accepts notebooks that deviate from the schema (nbformat 3, odd metadata, outputs of
odd shapes, non-string mime data); nbconvert's templates assume the schema, and left alone they
render the whole of a notebook however large it is. This module rebuilds the notebook from
the parsed JSON, keeping only what a feedback page shows, in the shape nbconvert expects:

- cells: code, markdown and raw (nbformat 3 headings become Markdown), at most
  :data:`MAX_CELLS`; ids are kept when they match nbformat's pattern; cell and notebook
  metadata, attachments and widget state are dropped;
- sources and text outputs: cut per item and against one budget for the whole notebook;
- outputs: one mime type each (HTML, SVG, PNG, JPEG, Markdown, LaTeX or plain text);
  JavaScript, widgets and unknown types are dropped; images over a size are replaced by a
  note, and so is anything beyond the notebook's image budget.

Every cut is marked in the page ("(output truncated)", "(image not shown: ...)"). Work and
memory are linear in the part kept, so the page stays small whatever the upload holds.
"""

from __future__ import annotations

import re
from typing import Any

import nbformat

__all__ = ["MAX_CELLS", "TRUNCATED", "notebook_view"]

# nbconvert costs roughly 10-50 µs per character of page (Markdown rendering, highlighting,
# TeX to MathML), so the budgets are sized for a few seconds per page: far above a real
# assignment notebook (about 100 KB of text).
MAX_CELLS = 500
MAX_OUTPUTS = 20  # outputs shown per cell (consecutive stream outputs count as one)
OUTPUT_BUDGET = 500  # outputs shown in the whole page
CELL_SOURCE_LIMIT = 20_000  # characters of one cell's source
OUTPUT_LIMIT = 5_000  # characters of one text output
CELL_OUTPUT_LIMIT = 10_000  # characters of all the text outputs of one cell
TEXT_BUDGET = 400_000  # characters of sources and text outputs in the whole page
# Markdown rendering (mistune) is superlinear on some inputs (20,000 "[" take ~10 s), so
# Markdown gets tighter limits of its own.
MARKDOWN_CELL_LIMIT = 10_000  # characters of one Markdown cell
MARKDOWN_BUDGET = 60_000  # characters of Markdown in the whole page
# Markdown's inline parser (mistune) is superlinear in nested delimiters: 10,000 `[` in one cell
# take seconds. Prose, even with LaTeX superscripts like W^{[1]}, has a few hundred at most, so
# a Markdown text with more is shown as plain text in a fence.
MARKDOWN_DELIMITERS = 1_000
_DELIMITER_CHARS = "[]()*_<>`!"
IMAGE_LIMIT = 1_000_000  # base64 characters of one image (about 750 KB)
IMAGE_BUDGET = 5_000_000  # base64 characters of all the images in the page
TRUNCATED = "(output truncated)"

_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # nbformat's pattern; others get ours
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_IMAGES = ("image/svg+xml", "image/png", "image/jpeg")
# nbformat 3 kept mime data under short keys on the output itself.
_V3_MIME = {
    "html": "text/html",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "markdown": "text/markdown",
    "latex": "text/latex",
    "text": "text/plain",
}
_PRIORITY = ("text/html", *_IMAGES, "text/markdown", "text/latex", "text/plain")
_V3_OUTPUT_TYPES = {"pyout": "execute_result", "pyerr": "error"}


class _Budget:
    """What is left of the page's allowance of text and image characters."""

    def __init__(self) -> None:
        self.text = TEXT_BUDGET
        self.images = IMAGE_BUDGET
        self.outputs = OUTPUT_BUDGET
        self.markdown = MARKDOWN_BUDGET

    def cut(self, text: str, limit: int, note: str) -> str:
        """``text`` cut to ``limit`` and to the budget left, with ``note`` where it was cut."""
        allowed = max(min(limit, self.text), 0)
        if len(text) > allowed:
            text = text[:allowed] + f"\n… {note}"
        self.text -= len(text)
        return _scrub(text)


def _scrub(text: str) -> str:
    """Replace lone surrogates (valid in JSON escapes, not in UTF-8) so every writer copes."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _text(value: object) -> str:
    """A notebook string: a str, or a list of str (joined); anything else is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def _raw_cells(raw: object) -> tuple[list[Any], bool]:
    """The notebook's cells (a list of anything) and whether it is nbformat 3."""
    if not isinstance(raw, dict):
        raise ValueError("not a notebook")
    if raw.get("nbformat") == 3:
        cells: list[Any] = []
        worksheets = raw.get("worksheets")
        for sheet in worksheets if isinstance(worksheets, list) else []:
            sheet_cells = sheet.get("cells") if isinstance(sheet, dict) else None
            cells += sheet_cells if isinstance(sheet_cells, list) else []
        return cells, True
    v4_cells = raw.get("cells")
    if not isinstance(v4_cells, list):
        raise ValueError("no list of cells")
    return v4_cells, False


def _image(mime: str, value: str, budget: _Budget) -> tuple[str | None, str]:
    """The image data to keep (or None) and a note when it was left out."""
    if len(value) > IMAGE_LIMIT:
        return None, "(image not shown: it is too large)"
    if mime != "image/svg+xml":
        value = value.strip()
        if not _BASE64.fullmatch(value):
            return None, "(image not shown: it is not valid base64)"
    if len(value) > budget.images:
        return None, "(image not shown: the notebook holds too many images)"
    budget.images -= len(value)
    return _scrub(value), ""


def _mime_bundle(data: dict[str, Any], budget: _Budget, left: int) -> tuple[dict[str, str], int]:
    """One mime type of an output's data (the best one shown), and the text it used."""
    notes = []
    for mime in _PRIORITY:
        value = _text(data.get(mime))
        if not value:
            continue
        if mime in _IMAGES:
            kept, note = _image(mime, value, budget)
            if kept is not None:
                return {mime: kept}, 0
            notes.append(note)
            continue
        limit = min(OUTPUT_LIMIT, left)
        if mime == "text/markdown":
            limit = min(limit, max(budget.markdown, 0))
            budget.markdown -= min(len(value), limit)
        text = budget.cut(value, limit, TRUNCATED)
        if mime == "text/markdown" and _delimiters(text) > MARKDOWN_DELIMITERS:
            mime, text = "text/plain", text
        if notes:
            text = " ".join(notes) + "\n" + text if mime == "text/plain" else text
        return {mime: text}, len(text)
    return ({"text/plain": " ".join(notes)}, 0) if notes else ({}, 0)


def _output(raw: object, v3: bool, budget: _Budget, left: int) -> tuple[dict[str, Any] | None, int]:
    """One output in nbformat 4's shape (None: nothing to show), and the text it used."""
    if not isinstance(raw, dict):
        return None, 0
    kind = raw.get("output_type")
    kind = _V3_OUTPUT_TYPES.get(str(kind), kind) if v3 else kind
    if kind == "stream":
        name = "stderr" if raw.get("name", raw.get("stream")) == "stderr" else "stdout"
        text = budget.cut(_text(raw.get("text")), min(OUTPUT_LIMIT, left), TRUNCATED)
        return {"output_type": "stream", "name": name, "text": text}, len(text)
    if kind == "error":
        lines = raw.get("traceback")
        lines = lines if isinstance(lines, list) else []
        joined = "\n".join(x for x in lines if isinstance(x, str))
        text = budget.cut(joined, min(OUTPUT_LIMIT, left), TRUNCATED)
        ename, evalue = _text(raw.get("ename"))[:200], _text(raw.get("evalue"))[:1000]
        out: dict[str, Any] = {"output_type": "error", "ename": _scrub(ename)}
        out |= {"evalue": _scrub(evalue), "traceback": [text]}
        return out, len(text) + len(ename) + len(evalue)
    if kind in ("display_data", "execute_result"):
        data = raw.get("data") if not v3 else {m: raw[k] for k, m in _V3_MIME.items() if k in raw}
        bundle, used = _mime_bundle(data if isinstance(data, dict) else {}, budget, left)
        if not bundle:
            return None, 0
        return {"output_type": "display_data", "data": bundle, "metadata": {}}, used
    return None, 0


def _merged(raw: object) -> list[object]:
    """The outputs, consecutive stream outputs of one name merged (as Jupyter shows them)."""
    merged: list[object] = []
    for item in raw if isinstance(raw, list) else []:
        last = merged[-1] if merged else None
        if (
            isinstance(item, dict)
            and isinstance(last, dict)
            and item.get("output_type") == last.get("output_type") == "stream"
            and item.get("name", item.get("stream")) == last.get("name", last.get("stream"))
        ):
            if len(_text(last.get("text"))) <= CELL_OUTPUT_LIMIT:  # no need to grow further
                merged[-1] = {**last, "text": _text(last.get("text")) + _text(item.get("text"))}
            continue
        merged.append(item)
    return merged


def _outputs(raw: object, v3: bool, budget: _Budget) -> list[dict[str, Any]]:
    outputs: list[dict[str, Any]] = []
    left = CELL_OUTPUT_LIMIT
    for item in _merged(raw):
        if left <= 0 or budget.text <= 0 or len(outputs) >= MAX_OUTPUTS or budget.outputs <= 0:
            note = f"… {TRUNCATED}"
            outputs.append({"output_type": "stream", "name": "stdout", "text": note})
            break
        output, used = _output(item, v3, budget, left)
        left -= used
        if output is not None:
            outputs.append(output)
            budget.outputs -= 1
    return outputs


def _cell(raw: object, number: int, v3: bool, budget: _Budget) -> dict[str, Any]:
    cell = raw if isinstance(raw, dict) else {}
    kind = cell.get("cell_type")
    given = cell.get("id")
    cell_id = given if isinstance(given, str) and _CELL_ID.fullmatch(given) else f"cell-{number}"
    if kind == "code":
        source = _text(cell.get("input" if v3 else "source"))
        count = cell.get("prompt_number" if v3 else "execution_count")
        return {
            "cell_type": "code",
            "id": cell_id,
            "metadata": {},
            "execution_count": count if type(count) is int else None,
            "source": budget.cut(source, CELL_SOURCE_LIMIT, "(source truncated)"),
            "outputs": _outputs(cell.get("outputs"), v3, budget),
        }
    source = _text(cell.get("source"))
    if kind == "heading":
        level = cell.get("level")
        source = "#" * (level if type(level) is int and 1 <= level <= 6 else 1) + " " + source
    elif kind not in ("markdown", "raw"):
        source = f"(a cell of unknown type {str(kind)[:40]!r})"
    if kind == "raw":  # shown as text in a fence, never passed through as HTML
        source = _fenced(budget.cut(source, CELL_SOURCE_LIMIT, "(source truncated)"))
    else:
        limit = min(MARKDOWN_CELL_LIMIT, max(budget.markdown, 0))
        source = budget.cut(source, limit, "*(text truncated)*")
        budget.markdown -= len(source)
        if _delimiters(source) > MARKDOWN_DELIMITERS:
            source = _fenced(source)
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source}


def notebook_view(raw: object) -> Any:
    """Rebuild the parsed JSON of a notebook (nbformat 3 or 4) as a bounded v4 notebook.

    Args:
        raw: what :func:`json.loads` returned for the submission.

    Returns:
        An :class:`nbformat.NotebookNode`; cell ``n`` of the result is cell ``n`` of the
        submission (1-based), for the first :data:`MAX_CELLS` cells.

    Raises:
        ValueError: ``raw`` has no list of cells.
    """
    cells, v3 = _raw_cells(raw)
    budget = _Budget()
    view = [_cell(cell, n, v3, budget) for n, cell in enumerate(cells[:MAX_CELLS], start=1)]
    if len(cells) > MAX_CELLS:
        more = len(cells) - MAX_CELLS
        note = f"*({more} more cells not shown: the notebook is too long to show whole.)*"
        view.append({"cell_type": "markdown", "id": "cell-more", "metadata": {}, "source": note})
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"language_info": {"name": "python"}},
        "cells": view,
    }
    return nbformat.from_dict(notebook)  # type: ignore[no-untyped-call]


def _delimiters(text: str) -> int:
    """How many characters of ``text`` can open or close Markdown inline markup."""
    return sum(text.count(c) for c in _DELIMITER_CHARS)


def _fenced(text: str) -> str:
    """``text`` as a Markdown code block, whatever backticks it holds."""
    fence = "`" * max([3, *(len(r) + 1 for r in re.findall("`+", text))])
    return f"{fence}text\n{text}\n{fence}"
