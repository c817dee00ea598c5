"""Notebook cells as IPython sees them, before Python parses them. Never executes anything.

IPython removes a cell's leading indentation, runs cell magics (``%%bash``...), line magics
(``%matplotlib``), shell lines (``!pip``) and help (``np.dot?``). :func:`prepare_cell` turns a
cell into plain Python lines the same way, neutralising all of that, and :class:`Scanner`
tells where statements start (also used to salvage the parts of a cell with a syntax error).
"""

from __future__ import annotations

import re

from grader.notebook import Cell

__all__ = ["Scanner", "prepare_cell"]

# Cell magics whose body is plain Python: running it without the magic changes nothing we grade.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture"})
_CELL_MAGIC_NAME = re.compile(r"%%([^\s]*)")
# Cheap pre-check: only cells that might contain IPython-only lines get the line-by-line scan.
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[%!]", re.MULTILINE)
_IPYTHON_LINE = re.compile(
    r"""[%!]                                           # %magic, !shell command
      | [\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[%!]   # files = !ls, t = %time f()
      | \?{1,2}[ \t]*[\w.]+[ \t]*$                     # ?name
      | [\w.]+[ \t]*\?{1,2}[ \t]*$                     # name?, name??
    """,
    re.VERBOSE,
)
_CODE_TOKEN = re.compile(r"""[\\'"#()\[\]{}]""")
_STRING_END = {q: re.compile(r"\\|" + re.escape(q)) for q in ("'", '"', "'''", '"""')}
_BLOCK_KEYWORD = re.compile(
    r"(?:async[ \t]+def|def|class|import|try|while|with)\b|from[ \t]+[\w.]+[ \t]+import\b|@\w"
)


class Scanner:
    """A best-effort line tokenizer: tracks open brackets, strings and line continuations.

    It only needs to answer one question: does the next line start a new statement? It never
    raises, whatever the input.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.quote = ""  # the quote that opened the string we are in, if any
        self.continued = False  # the last line ended with a backslash

    def starts_statement(self, line: str) -> bool:
        """Whether ``line`` (not yet fed) begins a new logical line."""
        if self.depth and not self.quote and _BLOCK_KEYWORD.match(line):
            # A bracket left open by a syntax error: a column-0 "def", "import", decorator...
            # can only start a statement, so resynchronise rather than lose the rest of the cell.
            self.depth, self.continued = 0, False
        return not (self.depth or self.quote or self.continued)

    def feed(self, line: str) -> None:
        """Advance over ``line``: brackets, strings and a trailing backslash."""
        self.continued = False
        pos, end = 0, len(line)
        while pos < end:
            if self.quote:
                found = _STRING_END[self.quote].search(line, pos)
                if found is None:
                    break
                if found.group() == "\\":
                    self.continued = found.end() == end
                    pos = found.end() + 1
                else:
                    self.quote, pos = "", found.end()
                continue
            token = _CODE_TOKEN.search(line, pos)
            if token is None or token.group() == "#":
                break
            char, pos = token.group(), token.end()
            if char == "\\":
                self.continued = pos == end
            elif char in "'\"":
                self.quote = char * 3 if line.startswith(char * 3, token.start()) else char
                pos = token.start() + len(self.quote)
            elif char in "([{":
                self.depth += 1
            else:
                self.depth = max(0, self.depth - 1)
        if len(self.quote) == 1 and not self.continued:
            self.quote = ""  # an unterminated one-line string ends with its line


def _dedent_like_ipython(lines: list[str]) -> None:
    """Remove the first code line's indentation from every line that has it, as IPython does."""
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if indent:
        lines[:] = [line[len(indent) :] if line.startswith(indent) else line for line in lines]


def _neutralise_lines(lines: list[str]) -> None:
    """Replace magics, shell and help lines by ``pass`` at the same indentation (in place)."""
    scanner = Scanner()
    for index, line in enumerate(lines):
        if scanner.starts_statement(line):
            indent = len(line) - len(line.lstrip(" \t"))
            if _IPYTHON_LINE.match(line, indent):
                lines[index] = line[:indent] + "pass"
                continue  # its text is not Python: do not let it confuse the scanner
        scanner.feed(line)


def prepare_cell(cell: Cell) -> tuple[list[str], str | None]:
    """Return the cell's lines as Python (or no lines and a warning if it is not Python)."""
    text = cell.source.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    _dedent_like_ipython(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        match = _CELL_MAGIC_NAME.match(lines[first])
        name = match.group(1) if match else ""
        if name not in _PYTHON_CELL_MAGICS:
            return [], f"cell {cell.number}: a %%{name} cell was skipped; only Python is graded"
        lines[first] = ""  # keep the line numbers the student sees
    if _MAYBE_IPYTHON.search(text):
        _neutralise_lines(lines)
    return lines, None
